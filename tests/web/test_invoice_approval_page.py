"""The invoice page offers no approval for a document whose own figures do not add up."""

from __future__ import annotations

import re

from sqlalchemy import select

from ledger.invoices.models import Invoice, InvoiceFinding
from tests.web.conftest import html


def test_an_invoice_that_does_not_add_up_offers_no_approval(demo, officer_browser, session):
    invoice = session.execute(select(Invoice).where(Invoice.status == "disputed")).scalars().first()
    session.add(InvoiceFinding(invoice_id=invoice.id, line=None, code="total_mismatch", field="total",
                               message="sum of line amounts: stated 60000.00, computed 50000.00"))
    session.commit()
    here = f"/invoices/{invoice.id}"
    page = html(officer_browser.get(here))
    assert "cannot be approved" in page and "Approve invoice" not in page
    assert not re.findall(r'name="override--"', page)
    # a form posted anyway (an old page, a crafted request) is refused by the service, nothing changes
    fields = re.findall(r'name="(override-[^"]+)"', page)
    forced = officer_browser.post(f"{here}/approve", {"version": f'"invoice-{invoice.id}-{invoice.version}"',
                                                      "override--": "the partner insists",
                                                      **{f: "checked" for f in fields}}, token_from=here)
    assert forced.status_code == 303
    assert "cannot be overridden" in html(officer_browser.get(here))
    session.expire_all()
    assert session.get(Invoice, invoice.id).status == "disputed"
