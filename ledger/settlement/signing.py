"""Ed25519 signatures over a statement's canonical JSON, so anyone holding the public key can check it.

The document a partner downloads is `{"statement": {...}, "digest": sha256 hex, "signature": base64,
"public_key": base64}`; the signature covers the canonical bytes of "statement" (sorted keys, no
whitespace, UTF-8), which is also what the digest hashes. See README: checking a statement with openssl.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.integrity import canonical_json


class SigningKeyError(ValueError):
    pass


def private_key(encoded: str) -> Ed25519PrivateKey:
    """LEDGER_SIGNING_KEY: base64 of the 32 raw bytes, or a PEM PKCS#8 key."""
    return _load(encoded, lambda pem: serialization.load_pem_private_key(pem, password=None),
                 Ed25519PrivateKey.from_private_bytes, Ed25519PrivateKey, "LEDGER_SIGNING_KEY is not an Ed25519 key")


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_key_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_key_pem_of(public_key_b64: str) -> str:
    return load_public_key(public_key_b64).public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sign(statement: dict, key: Ed25519PrivateKey) -> dict:
    body = canonical_json(statement)
    return {
        "statement": statement,
        "digest": hashlib.sha256(body).hexdigest(),
        "signature": base64.b64encode(key.sign(body)).decode(),
        "public_key": public_key_b64(key),
    }


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key as base64 of the raw 32 bytes, or PEM (what `GET /signing-key` publishes)."""
    return _load(text, serialization.load_pem_public_key, Ed25519PublicKey.from_public_bytes, Ed25519PublicKey,
                 "not an Ed25519 public key")


def _load(encoded: str, from_pem, from_raw, kind: type, refusal: str):
    """A key from PEM, or from base64 of its raw bytes; `SigningKeyError(refusal)` when it is neither, or not
    of `kind`."""
    text = encoded.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = from_pem(text.encode())
        else:
            key = from_raw(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error, TypeError) as error:
        raise SigningKeyError(f"{refusal}: {error}") from None
    if not isinstance(key, kind):
        raise SigningKeyError(refusal)
    return key


def verify(document: dict, public_key: Ed25519PublicKey) -> list[str]:
    """Problems with a signed statement document; an empty list means digest and signature both hold."""
    try:
        body = canonical_json(document["statement"])
        signature = base64.b64decode(document["signature"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        return ["the document is not a signed statement (statement, digest, signature)"]
    problems = []
    if hashlib.sha256(body).hexdigest() != document.get("digest"):
        problems.append("the digest does not match the statement: it was changed after signing")
    try:
        public_key.verify(signature, body)
    except InvalidSignature:
        problems.append("the signature does not verify with this public key")
    return problems


def load_key_set(text: str) -> dict[str, Ed25519PublicKey]:
    """Keys by key id: from GET /signing-key's JSON (its `keys` list, or its single key), or one bare key."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            published = json.loads(stripped)
            entries = published.get("keys") or [published]
            texts = [entry["public_key"] for entry in entries]
        except (ValueError, AttributeError, KeyError, TypeError):
            raise SigningKeyError("the key file is JSON but not GET /signing-key's answer") from None
    else:
        texts = [stripped]
    keys = [load_public_key(t) for t in texts]
    return {key_id_of(k): k for k in keys}


def key_id_of(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key (what a statement names)."""
    return hashlib.sha256(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()[:16]


def verify_with_set(document: dict, key_set: dict[str, Ed25519PublicKey]) -> list[str]:
    """Verify with the key the statement names; one that names none (signed before keys were named) must
    verify with one of the given keys."""
    named = document.get("statement", {}).get("signing_key_id") if isinstance(document.get("statement"), dict) else None
    if named is not None:
        if named not in key_set:
            return [f"the statement was signed with key {named}, which is not among the keys given "
                    f"({', '.join(sorted(key_set))}): fetch GET /signing-key again"]
        return verify(document, key_set[named])
    results = [verify(document, key) for key in key_set.values()]
    return next((r for r in results if not r), results[0] if results else ["no key given"])


def parse_document(raw: bytes) -> dict:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise SigningKeyError("the file is not JSON") from None
