"""Invoice intake: read a partner's invoice (JSON or UBL 2.1) and check that it adds up.

Pure domain code; the models, service and views that store and route invoices live beside it.
"""

from ledger.invoices.arithmetic import Finding, check_arithmetic, computed_payable
from ledger.invoices.json_intake import from_json
from ledger.invoices.parsed import (
    LINE_KINDS,
    AllowanceCharge,
    InvoiceParseError,
    ParsedInvoice,
    ParsedLine,
    ParsedParty,
    TaxSubtotal,
)
from ledger.invoices.ubl import parse_ubl, parse_ubl_stream

__all__ = [
    "LINE_KINDS",
    "AllowanceCharge",
    "Finding",
    "InvoiceParseError",
    "ParsedInvoice",
    "ParsedLine",
    "ParsedParty",
    "TaxSubtotal",
    "check_arithmetic",
    "computed_payable",
    "from_json",
    "parse_ubl",
    "parse_ubl_stream",
]
