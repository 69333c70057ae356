"""The one base of the domain's own errors: rule modules that know nothing of HTTP (the journal's rules) raise a
`Refusal`, and `ledger.errors` answers it as problem+json by its `kind`. Plumbing below every feature, so any
rule module may raise one without reaching up a layer."""

from __future__ import annotations


class Refusal(Exception):
    """A rule refused something: a stable snake_case `code`, a `detail` safe to show, named facts in `extra`, and
    its `kind`: `invalid` (the request can never succeed as it is) or `conflict` (it cannot in the present state)."""

    code = "refused"
    kind = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, extra: dict[str, object] | None = None):
        self.detail = detail
        self.code = code or self.code
        self.extra = extra or {}
        super().__init__(detail)
