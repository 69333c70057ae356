"""Verify a signed settlement statement: python verify_statement.py statement.json signing-key.json

statement.json is one of `documents` from GET /api/v1/settlements/{period} (a closed period); signing-key.json
is GET /api/v1/signing-key. What was signed (Ed25519) and hashed (SHA-256, `digest`) is the statement's
canonical JSON: keys sorted, no whitespace, non-ASCII written as UTF-8, as
json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")."""
import base64, hashlib, json, sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def verify(document: dict, published: dict) -> str:
    """The id of the key that signed `document`; raises if the digest or the signature does not hold."""
    body = json.dumps(document["statement"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if hashlib.sha256(body).hexdigest() != document["digest"]:
        raise ValueError("the digest does not match the statement")
    key_id = document["statement"]["signing_key_id"]  # the current key and every retired one are listed
    entry = next((k for k in published["keys"] if k["key_id"] == key_id), None)
    if entry is None:
        raise ValueError(f"key {key_id} is not in the published keys")
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"]))
    key.verify(base64.b64decode(document["signature"]), body)  # raises InvalidSignature
    return key_id


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as statement, open(sys.argv[2], encoding="utf-8") as keys:
        try:
            print("valid: signed with key", verify(json.load(statement), json.load(keys)))
        except Exception as error:  # a bad signature's InvalidSignature has no message of its own
            sys.exit(f"NOT valid: {error!r}")
