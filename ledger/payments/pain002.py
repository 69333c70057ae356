"""ISO 20022 pain.002 (Customer Payment Status Report): what the bank said about a pain.001 it received.

Any version from .03 on: elements are read by local name under the document's own namespace. Parsed with the
ledger's untrusted-XML parser (no DTD, no entities, size capped). The report names the original message
(`OrgnlGrpInfAndSts/OrgnlMsgId`, our batch), a group status, and per transfer (`TxInfAndSts`) its
`OrgnlEndToEndId`, status and reason code. A group rejection with no transfer detail rejects every transfer.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ledger.xmlsafe import XmlInputError, parse_untrusted

ACCEPTED = {"ACCP", "ACSP", "ACSC", "ACWC", "ACTC", "ACCC", "ACFC", "PART"}
REJECTED = {"RJCT"}
PENDING = {"PDNG", "RCVD"}
MAX_BYTES = 16 * 1024 * 1024


class StatusReportError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class TransferStatus:
    end_to_end_id: str
    status: str  # the bank's code
    reason_code: str | None
    reason_text: str | None

    @property
    def outcome(self) -> str:
        return "rejected" if self.status in REJECTED else ("accepted" if self.status in ACCEPTED else "pending")


@dataclass(frozen=True)
class StatusReport:
    message_id: str
    original_message_id: str
    group_status: str | None
    group_reason: str | None
    transfers: tuple[TransferStatus, ...]


def _text(element, path: str) -> str | None:
    found = element.find(path)
    return found.text.strip() if found is not None and found.text else None


def _reason(element) -> tuple[str | None, str | None]:
    info = element.find("{*}StsRsnInf")
    if info is None:
        return None, None
    code = _text(info, "{*}Rsn/{*}Cd") or _text(info, "{*}Rsn/{*}Prtry")
    extra = " ".join(e.text.strip() for e in info.findall("{*}AddtlInf") if e.text)
    return code, extra or None


def parse(data: bytes) -> StatusReport:
    try:
        root = parse_untrusted(data, max_bytes=MAX_BYTES)
    except XmlInputError as error:
        raise StatusReportError(error.code, error.message) from None
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "Document" or "pain.002" not in namespace:
        raise StatusReportError("not_a_status_report", "the document is not an ISO 20022 pain.002 status report")
    report = root.find("{*}CstmrPmtStsRpt")
    if report is None:
        raise StatusReportError("not_a_status_report", "the document has no CstmrPmtStsRpt")
    original = report.find("{*}OrgnlGrpInfAndSts")
    original_id = _text(original, "{*}OrgnlMsgId") if original is not None else None
    if not original_id:
        raise StatusReportError("not_a_status_report", "the report names no original message (OrgnlMsgId)")
    group_status = _text(original, "{*}GrpSts")
    group_reason, _ = _reason(original)
    transfers = []
    for tx in report.iter("{*}TxInfAndSts"):
        end_to_end = _text(tx, "{*}OrgnlEndToEndId")
        status = _text(tx, "{*}TxSts")
        if not end_to_end or not status:
            raise StatusReportError("not_a_status_report", "a transfer status lacks OrgnlEndToEndId or TxSts")
        code, text = _reason(tx)
        transfers.append(TransferStatus(end_to_end, status, code, text))
    return StatusReport(_text(report, "{*}GrpHdr/{*}MsgId") or "", original_id, group_status, group_reason,
                        tuple(transfers))


def build(message_id: str, original_message_id: str, statuses: list[tuple[str, str, str | None]],
          group_status: str | None = None) -> bytes:
    """A pain.002.001.10 report (what a bank sends; the demo and the tests play the bank with it):
    `statuses` are (EndToEndId, status, reason code)."""
    ns = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
    E = lambda parent, tag, text=None: _sub(parent, ns, tag, text)  # noqa: E731
    root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    report = E(root, "CstmrPmtStsRpt")
    header = E(report, "GrpHdr")
    E(header, "MsgId", message_id)
    E(header, "CreDtTm", "2026-01-01T00:00:00")
    original = E(report, "OrgnlGrpInfAndSts")
    E(original, "OrgnlMsgId", original_message_id)
    E(original, "OrgnlMsgNmId", "pain.001.001.09")
    if group_status:
        E(original, "GrpSts", group_status)
    payment = E(report, "OrgnlPmtInfAndSts")
    E(payment, "OrgnlPmtInfId", f"{original_message_id}-1")
    for end_to_end, status, reason in statuses:
        tx = E(payment, "TxInfAndSts")
        E(tx, "OrgnlEndToEndId", end_to_end)
        E(tx, "TxSts", status)
        if reason:
            E(E(E(tx, "StsRsnInf"), "Rsn"), "Cd", reason)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _sub(parent, ns: str, tag: str, text: str | None):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = text
    return element
