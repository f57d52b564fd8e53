"""An accountant records a customer return on a paid invoice and refunds the customer, in a real Chromium."""

from decimal import Decimal

from invoicing.models import Document, DocumentLine, Kind, Status
from tests.browser.conftest import login, screenshot


def paid_invoice_without_returns():
    returned = DocumentLine.objects.filter(return_lines__isnull=False).values("document_id")
    return (
        Document.objects.filter(kind=Kind.INVOICE, status=Status.PAID, type__is_return=False, original__isnull=True)
        .filter(lines__position=1, lines__quantity__gte=2)
        .exclude(pk__in=returned)
        .order_by("pk")
        .first()
    )


def test_accountant_returns_goods_of_a_paid_invoice_and_refunds_the_customer(page):
    invoice = paid_invoice_without_returns()
    first_line = invoice.lines.get(position=1)
    login(page, "accountant")
    page.goto(invoice.get_absolute_url())
    page.wait_for_selector(".card-actions")
    assert "Paid" in page.inner_text(".card-header")

    page.click(".card-actions >> text=Return")
    page.wait_for_selector("#confirm-return")
    screenshot(page, "return-confirm")
    page.click("#confirm-return")
    page.wait_for_selector(".messagelist")
    credit_note = Document.objects.filter(lines__source_line__document=invoice, type__is_return=True).distinct().get()
    assert credit_note.kind == Kind.BILL and credit_note.status == Status.DRAFT
    assert page.url.endswith(credit_note.get_absolute_url())

    # One unit of the first line comes back; the other lines are kept as prefilled.
    page.fill("#id_lines-0-quantity", "1")
    page.fill("#id_reason", "Damaged in transit")  # a reason is required to post
    page.click("input[name=_continue]")
    page.wait_for_selector(".card-actions")
    line = credit_note.lines.get(position=1)
    assert line.quantity == Decimal("1") and line.source_line == first_line
    screenshot(page, "return-draft-card")

    page.click("#transition-post")
    page.wait_for_selector(".messagelist")
    credit_note.refresh_from_db()
    assert credit_note.status == Status.TO_PAY and credit_note.number.startswith("CN/")
    assert credit_note.balance_due == credit_note.amount_total > 0  # the invoice was paid: nothing to credit

    page.click("text=Register payment / refund")
    page.select_option("#id_kind", label="Refund to customer")
    page.select_option("#id_method", label="Cash")
    page.fill("#id_amount", "")
    page.click("#fill-amount")
    assert page.input_value("#id_amount") == str(credit_note.balance_due)
    page.click("#register-payment")
    page.wait_for_selector(".messagelist")
    assert "Paid" in page.inner_text(".card-header")
    credit_note.refresh_from_db()
    assert credit_note.status == Status.PAID and credit_note.balance_due == 0
    payment = credit_note.payments.get()
    assert payment.label == "Refund to customer" and payment.method.name == "Cash"
    screenshot(page, "return-refunded-card")

    page.goto(invoice.get_absolute_url())
    assert "Paid" in page.inner_text(".card-header")
    page.click(".card-tabs >> text=Returns")
    assert credit_note.number in page.inner_text("#tab-returns")
    invoice.refresh_from_db()
    assert invoice.status == Status.PAID
    screenshot(page, "return-source-card")
