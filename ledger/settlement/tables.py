"""The settlement statement as flat tables: the one layout the CSV files, the XLSX sheets and the PDF tables share.

A table is named, has worded headers and one row per line; each column says what its values are (text, an
amount in the row's currency, a date, a count, a plain number), so each format writes them its own way (a CSV
plain decimal, an XLSX number with the currency's format, a PDF figure with thousands separators) from the same
values. Nested values are flattened: a row per disputed line, an agreement's advance and quota as columns of
their own tables. Pure: plain values in, plain values out; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT, AMOUNT, DATE, COUNT, NUMBER = "text", "amount", "date", "count", "number"


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    kind: str = TEXT


@dataclass
class ReportTable:
    name: str  # file and sheet name: lowercase, underscores
    title: str  # what a reader sees
    columns: list[Col]
    rows: list[dict] = field(default_factory=list)

    def values(self, row: dict) -> list:
        return [row.get(c.key) for c in self.columns]


AGREEMENT_FIGURES = ("opening", "accrued", "adjustments", "invoiced", "approved", "paid", "closing")

AGREEMENTS = [Col("agreement_id", "Agreement id", COUNT), Col("reference", "Reference"), Col("kind", "Kind"),
              Col("payer", "Payer"), Col("payee", "Payee"), Col("currency", "Currency"),
              *(Col(f, f.capitalize(), AMOUNT) for f in AGREEMENT_FIGURES)]
PARTIES = [Col("party", "Party"), Col("currency", "Currency"), Col("owes", "Owes", AMOUNT),
           Col("is_owed", "Is owed", AMOUNT)]
ADVANCES = [Col("agreement_id", "Agreement id", COUNT), Col("reference", "Reference"), Col("currency", "Currency"),
            *(Col(f, f.capitalize(), AMOUNT) for f in ("amount", "paid", "unpaid", "offset", "outstanding"))]
QUOTAS = [Col("agreement_id", "Agreement id", COUNT), Col("reference", "Reference"),
          Col("annual_quota", "Annual quota", COUNT), Col("accepted_this_year", "Accepted this year", COUNT),
          Col("capacity", "Capacity", COUNT), Col("present", "Present at the end", COUNT)]

#: The open items each feature adds, column by column; a kind not listed here gets its keys as columns.
OPEN_ITEMS = {
    "unreconciled_transfers": ("Unreconciled transfers", [
        Col("transfer", "Transfer", COUNT), Col("party", "Party"), Col("counterparty", "Counterparty"),
        Col("direction", "Direction"), Col("booking_date", "Booking date", DATE), Col("currency", "Currency"),
        Col("amount", "Amount", AMOUNT), Col("unallocated", "Unallocated", AMOUNT)]),
    "overdue_invoices": ("Overdue invoices", [
        Col("invoice", "Invoice id", COUNT), Col("agreement_id", "Agreement id", COUNT), Col("number", "Number"),
        Col("payer", "Payer"), Col("payee", "Payee"), Col("due_on", "Due on", DATE), Col("currency", "Currency"),
        Col("open", "Open", AMOUNT), Col("days_overdue", "Days overdue", COUNT)]),
    "proposed_matches": ("Proposed matches", [
        Col("match", "Match", COUNT), Col("transfer", "Transfer", COUNT), Col("payer", "Payer"),
        Col("payee", "Payee"), Col("method", "Method"), Col("confidence", "Confidence", NUMBER),
        Col("currency", "Currency"), Col("value", "Value", AMOUNT), Col("invoices", "Invoices"),
        Col("claims", "Claims")]),
    "disputed_lines": ("Disputed lines (acknowledgements)", [
        Col("period", "Period"), Col("agreement_id", "Agreement id", COUNT), Col("party", "Party"),
        Col("line", "Line"), Col("line_reason", "Line reason"), Col("reason", "Reason")]),
    "statement_disputes": ("Disputes carried over", [
        Col("review", "Review", COUNT), Col("period", "Period"), Col("agreement_id", "Agreement id", COUNT),
        Col("party", "Party"), Col("line", "Line"), Col("comment", "Comment"),
        Col("reviewed_on", "Disputed on", DATE)]),
}
EU_OVERDUE = [Col("claim_id", "Claim"), Col("kind", "Overdue"), Col("issuing_state", "Issuing state"),
              Col("enforcing_state", "Enforcing state"), Col("due_on", "Due on", DATE),
              Col("days_overdue", "Days overdue", COUNT)]
EU_LATE = [Col("id", "Claim", COUNT), Col("issuing_state", "Issuing state"), Col("enforcing_state", "Enforcing state"),
           Col("submitted_on", "Submitted on", DATE)]
EU_IN_TRANSIT = [Col("id", "Claim", COUNT), Col("issuing_state", "Issuing state"),
                 Col("enforcing_state", "Enforcing state"), Col("currency", "Currency"),
                 Col("payable", "Payable", AMOUNT), Col("ordered_on", "Ordered on", DATE)]
NETTING_POSITIONS = [Col("state", "State"), Col("currency", "Currency"), Col("position", "Net position", AMOUNT)]
NETTING_TRANSFERS = [Col("payer", "Payer"), Col("payee", "Payee"), Col("currency", "Currency"),
                     Col("amount", "Amount", AMOUNT)]
SIGNATURES = [Col("scope", "Statement"), Col("digest", "SHA-256 digest"), Col("signature", "Ed25519 signature"),
              Col("key_id", "Key id"), Col("public_key", "Public key"),
              Col("chain_seq", "Journal chain head entry", COUNT),
              Col("chain_hash", "Journal chain head hash")]


def _flat(value):
    """A list in one cell: its items joined (invoice ids `9 10`); everything else as it is."""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return value


def open_item_rows(kind: str, items: list[dict]) -> list[dict]:
    if kind == "disputed_lines":  # an acknowledgement names several lines: one row each
        return [{**{k: v for k, v in item.items() if k != "lines"}, "line": line.get("line"),
                 "line_reason": line.get("reason")}
                for item in items for line in (item.get("lines") or [{}])]
    return [{k: _flat(v) for k, v in item.items()} for item in items]


def open_item_table(kind: str, items: list[dict]) -> ReportTable:
    title, columns = OPEN_ITEMS.get(kind) or (kind.replace("_", " ").capitalize(), None)
    rows = open_item_rows(kind, items)
    if columns is None:
        columns = [Col(k, k.replace("_", " ").capitalize()) for k in sorted({k for r in rows for k in r})]
    return ReportTable(kind, title, columns, rows)


def agreement_tables(content: dict) -> list[ReportTable]:
    agreements = content.get("agreements", [])
    tables = [ReportTable("agreements", "Agreements", AGREEMENTS, list(agreements))]
    advances = [{"agreement_id": a["agreement_id"], "reference": a.get("reference"), "currency": a["currency"],
                 **a["advance"]} for a in agreements if a.get("advance")]
    if advances:
        tables.append(ReportTable("advances", "Advances", ADVANCES, advances))
    quotas = [{"agreement_id": a["agreement_id"], "reference": a.get("reference"), **a["quota"]}
              for a in agreements if a.get("quota")]
    if quotas:
        tables.append(ReportTable("quotas", "Quota use", QUOTAS, quotas))
    return tables


def open_item_tables(content: dict) -> list[ReportTable]:
    return [open_item_table(kind, items) for kind, items in sorted(content.get("open_items", {}).items())]


def eu_tables(content: dict) -> list[ReportTable]:
    claims, netting = content.get("eu_claims"), content.get("netting")
    tables = []
    if claims is not None:
        tables += [ReportTable("eu_claims_overdue", "EU claims overdue", EU_OVERDUE, list(claims.get("overdue", []))),
                   ReportTable("eu_claims_late", "EU claims made late", EU_LATE, list(claims.get("late", []))),
                   ReportTable("eu_claims_in_transit", "EU claims in transit (ordered, not yet debited)",
                               EU_IN_TRANSIT, list(claims.get("in_transit", [])))]
    if netting is not None:
        plans = netting.get("currencies", [])
        tables += [
            ReportTable("netting_positions", "EU netting: net positions", NETTING_POSITIONS,
                        [{**p, "currency": plan["currency"]} for plan in plans for p in plan.get("positions", [])]),
            ReportTable("netting_transfers", "EU netting: transfers that settle them", NETTING_TRANSFERS,
                        [{**t, "currency": plan["currency"]} for plan in plans for t in plan.get("transfers", [])])]
    return tables


def statement_tables(content: dict) -> list[ReportTable]:
    """Every table of a statement, in reading order: agreements, party totals, open items, EU sections."""
    parties = ReportTable("parties", "Party totals", PARTIES, list(content.get("parties", [])))
    tables = agreement_tables(content)
    return [tables[0], parties, *tables[1:], *open_item_tables(content), *eu_tables(content)]


def signature_table(signatures: list[dict]) -> ReportTable:
    rows = [{**s, "chain_seq": (s.get("chain_head") or {}).get("seq"),
             "chain_hash": (s.get("chain_head") or {}).get("hash")} for s in signatures]
    return ReportTable("signatures", "Signatures", SIGNATURES, rows)


# ---- a party's section ----------------------------------------------------------------------------------

_PARTY_KEYS = ("party", "counterparty", "payer", "payee", "issuing_state", "enforcing_state", "state")


def parties_of(content: dict) -> list[str]:
    """Every party a side of an agreement in the statement, sorted."""
    return sorted({p for a in content.get("agreements", []) for p in (a.get("payer"), a.get("payee")) if p})


def for_party(content: dict, party: str) -> dict:
    """The part of a statement that concerns `party`: its agreements, its totals, the open items it is a side of
    (by a party field or by one of its agreements). EU netting and claims are kept only where they name it."""
    agreements = [a for a in content.get("agreements", []) if party in (a.get("payer"), a.get("payee"))]
    ids = {a["agreement_id"] for a in agreements}

    def concerns(item: dict) -> bool:
        return item.get("agreement_id") in ids or any(item.get(k) == party for k in _PARTY_KEYS)

    out = {**content, "scope": f"party:{party}", "agreements": agreements,
           "parties": [p for p in content.get("parties", []) if p["party"] == party],
           "open_items": {k: [i for i in v if concerns(i)] for k, v in content.get("open_items", {}).items()}}
    if "eu_claims" in content:
        out["eu_claims"] = {k: [i for i in v if concerns(i)] for k, v in content["eu_claims"].items()}
    if "netting" in content:
        out["netting"] = {**content["netting"], "currencies": [
            {**plan, "positions": [p for p in plan.get("positions", []) if p.get("state") == party],
             "transfers": [t for t in plan.get("transfers", []) if party in (t.get("payer"), t.get("payee"))]}
            for plan in content["netting"].get("currencies", [])]}
    return out
