"""The three report formats say what the signed statement says: every figure of the signed JSON appears, with the
same value and the currency's minor units, in the XLSX (as a number), in the CSV zip (as a plain decimal) and in
the PDF's text (with thousands separators, which are taken out before comparing). On the demo ledger with its
last month closed and signed; the whole report and one partner's section."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import zipfile
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from ledger.integrity import canonical_json
from ledger.journal.models import Period
from ledger.money import minor_units
from ledger.statements.demo import demo_months
from ledger.timeutil import period_of

_AMOUNT = re.compile(r"-?\d+\.\d+")
NOT_MONEY = {"confidence"}  # a decimal that is not an amount (a match's confidence)


@pytest.fixture
def closed_month(runner, session) -> str:
    """The demo ledger with every month up to its last closed (so that month's statements are signed)."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    month = period_of(demo_months()[-1])
    session.expire_all()
    for period in session.execute(select(Period.period).where(Period.status == "open", Period.period <= month)
                                  .order_by(Period.period)).scalars().all():
        result = runner.invoke(args=["settle", "close", period])
        assert result.exit_code == 0, result.output
    return month


def figures(value, currency: str | None = None) -> set[tuple[str, str | None]]:
    """Every decimal figure of a statement, with the currency of the object that holds it (None: not money)."""
    if isinstance(value, dict):
        currency = value.get("currency", currency)
        return {f for k, v in value.items() for f in figures(v, None if k in NOT_MONEY else currency)}
    if isinstance(value, list):
        return {f for v in value for f in figures(v, currency)}
    if isinstance(value, str) and _AMOUNT.fullmatch(value):
        return {(value, currency)}
    return set()


def xlsx_numbers(body: bytes) -> set[tuple[str, str]]:
    """(the number written with the decimals its format shows, the format) of every numeric cell."""
    book = load_workbook(io.BytesIO(body))
    out = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "n" and cell.value is not None:
                    places = len(cell.number_format.partition(".")[2]) if "#" in cell.number_format else None
                    number = Decimal(str(cell.value))
                    out.add((f"{number:.{places}f}" if places is not None else str(number), cell.number_format))
    return out


def csv_fields(archive: zipfile.ZipFile) -> set[str]:
    return {field for name in archive.namelist() if name.endswith(".csv")
            for row in csv.reader(io.StringIO(archive.read(name).decode())) for field in row}


def pdf_words(body: bytes) -> set[str]:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return set(re.sub(r"(?<=\d),(?=\d{3})", "", text).split())


def _report(api, token, month, fmt, query=""):
    response = api.get(f"/api/v1/settlements/{month}/report?format={fmt}{query}", token=token)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def check_formats_agree(api, token, month, query="") -> tuple[set, set[str]]:
    documents = _report(api, token, month, "json", query).get_json()["documents"]
    assert documents, "the closed month has signed statements"
    expected = {f for doc in documents for f in figures(doc["statement"])}
    assert any(currency for _, currency in expected)

    xlsx = xlsx_numbers(_report(api, token, month, "xlsx", query).get_data())
    for value, currency in expected:
        if currency is None:
            assert any(Decimal(shown) == Decimal(value) for shown, _ in xlsx), value
        else:
            places = minor_units(currency)
            assert (value, "#,##0" + ("." + "0" * places if places else "")) in xlsx, (value, currency)

    archive = zipfile.ZipFile(io.BytesIO(_report(api, token, month, "csv", query).get_data()))
    in_csv = csv_fields(archive)
    assert {value for value, _ in expected} <= in_csv
    _check_signed_files(archive, documents)

    words = pdf_words(_report(api, token, month, "pdf", query).get_data())
    assert {value for value, _ in expected} <= words, {value for value, _ in expected} - words
    return expected, words


def _check_signed_files(archive: zipfile.ZipFile, documents: list[dict]) -> None:
    """Each signed statement is in the zip as the bytes that were signed, with a detached signature that verifies."""
    names = sorted(n for n in archive.namelist() if n.startswith("statement") and n.endswith(".json"))
    assert len(names) == len(documents)
    for doc in documents:
        name = "statement.json" if len(documents) == 1 else \
            f"statement-{doc['statement']['scope'].replace(':', '-')}.json"
        body = archive.read(name)
        assert body == canonical_json(doc["statement"]) and json.loads(body) == doc["statement"]
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(doc["public_key"]))
        key.verify(archive.read(name + ".sig"), body)  # raises if it does not verify


def test_every_signed_figure_appears_in_each_format(api, officer, closed_month):
    expected, _ = check_formats_agree(api, officer, closed_month)
    assert len(expected) > 10  # the demo month has agreements, totals and open items
    check_the_pdf_names_itself_and_has_an_outline(api, officer, closed_month)


def test_a_partners_section_alone_carries_its_own_signed_figures(api, officer, closed_month):
    whole = _report(api, officer, closed_month, "json").get_json()["documents"][0]["statement"]
    theirs = [a for a in whole["agreements"] if "AL" not in (a["payer"], a["payee"])]
    _, words = check_formats_agree(api, officer, closed_month, "&party=AL")
    assert theirs and all(a["reference"] not in words for a in theirs)  # only AL's section is printed
    partner = api.token("partner", party="AL")
    check_formats_agree(api, partner, closed_month)
    assert api.get(f"/api/v1/settlements/{closed_month}/report?format=pdf&party=RW", token=partner).status_code == 404


def check_the_pdf_names_itself_and_has_an_outline(api, officer, closed_month):
    """A title, a language, an author, an outline of the headings, and a chart per currency."""
    body = _report(api, officer, closed_month, "pdf").get_data()
    reader = PdfReader(io.BytesIO(body))
    assert reader.metadata.title == f"Settlement statement {closed_month}"
    assert reader.metadata.author == "Returns Ledger"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    headings = [item.title for item in reader.outline if not isinstance(item, list)]
    assert {"Summary", "Accrued and paid by month", "Integrity"} <= set(headings)
    assert any(h.startswith("Partner ") for h in headings)
    currencies = {a["currency"] for a in _report(api, officer, closed_month, "json").get_json()["documents"][0]
                  ["statement"]["agreements"]}
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(currencies) > 1 and all(f"Accrued and paid by month, {c}" in text for c in currencies)
