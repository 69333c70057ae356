"""Four eyes as plain rules: who may decide a request, and the digest that pins what they decide on."""

from __future__ import annotations

import hashlib
import json


def digest(kind: str, subject: str, payload: dict) -> str:
    """SHA-256 over the canonical JSON of what is asked: the same request always gives the same digest."""
    canonical = json.dumps({"kind": kind, "subject": subject, "payload": payload},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def refusal(*, status: str, requested_by: str, decided_by: str, seen_digest: str | None, digest: str,
            approving: bool) -> tuple[str, str] | None:
    """(code, reason) why this decision cannot be taken, or None.

    The requester may withdraw their own request but never approve it, whatever their roles; an approver must
    have seen the request as it stands (its digest)."""
    if status != "pending":
        return "approval_decided", f"this request is already {status}"
    if approving and decided_by == requested_by:
        return "same_officer", "the officer who asked for this cannot also approve it: a second officer must"
    if approving and seen_digest != digest:
        return "digest_mismatch", "the request is not the one you saw (its digest differs): reload and check it"
    return None
