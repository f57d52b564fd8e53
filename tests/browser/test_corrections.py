"""An accountant corrects a posted bill in a real Chromium: Create Correction, edit a line, post."""

from decimal import Decimal

from corrections import selectors
from invoicing.formatting import format_money
from invoicing.models import Document, Kind, Status
from tests.browser.conftest import login, screenshot


def posted_bill_without_corrections():
    return (
        Document.objects.filter(kind=Kind.BILL, status=Status.TO_PAY, type__is_return=False, original__isnull=True)
        .filter(corrections__isnull=True, lines__position=1)
        .order_by("pk")
        .first()
    )


def footer(page):
    rows = page.locator("tr.footer-extra").all()
    return {row.locator("th").inner_text(): row.locator("td").inner_text() for row in rows}


def test_accountant_corrects_a_posted_bill(page):
    bill = posted_bill_without_corrections()
    login(page, "accountant")
    page.goto(bill.get_absolute_url())
    page.wait_for_selector(".card-actions")

    page.click(".card-actions >> text=Create Correction")
    page.wait_for_selector("#confirm-correction")
    assert page.is_checked("input[name=mode][value=replacement]")
    screenshot(page, "correction-confirm")
    page.click("#confirm-correction")
    page.wait_for_selector(".messagelist")
    correction = Document.objects.get(original=bill)
    assert correction.status == Status.DRAFT and page.url.endswith(correction.get_absolute_url())

    # The vendor charged one unit more on the first line.
    first = correction.lines.get(position=1)
    page.fill("#id_lines-0-quantity", str(first.quantity + 1))
    page.select_option("#id_reason_preset", label="Quantity delivered differs")  # a reason is required to post
    page.click("input[name=_continue]")
    page.wait_for_selector(".card-actions")
    correction.refresh_from_db()
    assert correction.amount_total > bill.amount_total
    screenshot(page, "correction-draft-card")

    page.click("#transition-post")
    page.wait_for_selector(".messagelist")
    correction.refresh_from_db()
    assert correction.status == Status.PAID and correction.correction_index == 1
    assert page.inner_text('.card-tabs a[href="#tab-corrections"] .badge') == "1"
    amount = selectors.correction_amount(correction=correction)
    assert amount.total == correction.amount_total - bill.amount_total
    page.click(".card-tabs >> text=Corrections")  # SPEC 5's footer figures sit at the foot of the tab
    values = footer(page)
    assert values["Amount correction total"] == format_money(amount.total, "USD")
    assert any(label.startswith(f"Settled against {bill.number}") for label in values)
    screenshot(page, "correction-posted-card")

    page.click(f'#tab-corrections .correction-of a:text-is("{bill.number}")')
    page.wait_for_selector(".card-actions")
    assert page.inner_text('.card-tabs a[href="#tab-corrections"] .badge') == "1"
    bill.refresh_from_db()
    assert bill.balance_due == correction.amount_total - bill.net_paid - bill.allocated
    page.click(".card-tabs >> text=Corrections")
    assert footer(page)["Effective total"] == format_money(correction.amount_total, "USD")
    assert page.locator(f'#tab-corrections a:text-is("{correction.number}")').count() == 1
    screenshot(page, "correction-original-card")
    assert Decimal(bill.debt_total) == correction.amount_total
