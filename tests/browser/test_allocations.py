"""An accountant applies a credit note to another invoice from the card, removes it, and reverses a payment."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from invoicing import services
from invoicing.models import Allocation, Document, DocumentType, Item, Kind, Partner, PaymentKind, PaymentMethod, Status
from returns.services import return_create
from tests.browser.conftest import login, screenshot


def _invoice(partner, user, sku, quantity, days_ago):
    item = Item.objects.get(sku=sku)
    document = services.document_create(
        kind=Kind.INVOICE,
        type=DocumentType.objects.get(kind=Kind.INVOICE, name="Invoice"),
        company=Document.objects.filter(kind=Kind.INVOICE).first().company,
        partner=partner,
        user=user,
        date=timezone.localdate() - timedelta(days=days_ago),
        lines=[{"item": item, "description": item.name, "quantity": Decimal(quantity), "unit_price": item.default_price,
                "taxes": list(item.default_taxes.all())}],
    )  # fmt: skip
    return services.document_post(document=document, user=user)


def open_credit_note_and_invoice():
    """Tailspin Toys: a paid invoice with one lamp returned (a credit note of 42.60 left open), and a new invoice."""
    from django.contrib.auth.models import User

    user = User.objects.get(username="accountant")
    partner = Partner.objects.get(name="Tailspin Toys")
    paid = _invoice(partner, user, "LAMP-03", 3, 20)
    payment = services.payment_register(
        document=paid, kind=PaymentKind.PAYMENT, method=PaymentMethod.objects.get(name="Card"),
        amount=paid.balance_due, user=user,
    )  # fmt: skip
    credit_note = return_create(document=paid, user=user, reason="One lamp came back broken")
    lines = [{**line, "quantity": Decimal("1")} for line in services.selectors.draft_line_data(document=credit_note)]
    services.document_draft_save(document=credit_note, user=user, lines=lines)
    services.document_post(document=credit_note, user=user)
    return credit_note, _invoice(partner, user, "CHAIR-02", 1, 2), payment


def test_accountant_applies_a_credit_note_removes_it_and_reverses_a_payment(page):
    credit_note, invoice, payment = open_credit_note_and_invoice()
    assert credit_note.balance_due == Decimal("42.60") and credit_note.status == Status.TO_PAY
    login(page, "accountant")

    # Apply: the invoice's card offers the open credit note with the most that can be applied filled in.
    page.goto(invoice.get_absolute_url())
    row = page.locator(f'#open-counterparts tr[data-counterpart="{credit_note.pk}"]')
    assert row.locator("input[name=amount]").input_value() == "42.60"
    screenshot(page, "allocation-box")
    row.locator("button.apply-allocation").click()
    page.wait_for_selector(".messagelist")
    assert "42.60 USD applied" in page.inner_text(".messagelist")
    invoice.refresh_from_db()
    credit_note.refresh_from_db()
    assert invoice.balance_due == invoice.amount_total - Decimal("42.60") and credit_note.status == Status.PAID
    assert "Balance due" in page.inner_text(".card-header") and str(invoice.balance_due) in page.inner_text(
        ".card-header"
    )

    # Remove it from the Debt tab: both documents come back.
    page.click(".card-tabs >> text=Debt")
    allocation = Allocation.objects.get(receivable=invoice, payable=credit_note)
    assert f"Credit from credit note {credit_note.number}" in page.inner_text("#allocations")
    screenshot(page, "allocation-debt-tab")
    page.click(f'tr[data-allocation="{allocation.pk}"] button.remove-allocation')
    page.wait_for_selector(".messagelist")
    assert "removed" in page.inner_text(".messagelist")
    invoice.refresh_from_db()
    credit_note.refresh_from_db()
    assert invoice.balance_due == invoice.amount_total and credit_note.balance_due == Decimal("42.60")
    page.click(".card-tabs >> text=Debt")
    assert page.locator(f'tr.allocation.reversed[data-allocation="{allocation.pk}"]').count() == 1

    # Reverse the payment of the paid invoice, with a reason; the row stays, struck through.
    page.goto(payment.document.get_absolute_url())
    page.click(".card-tabs >> text=Payments")
    page.click(f'tr[data-payment="{payment.pk}"] a.reverse-payment')
    page.fill("#id_reason", "Card payment charged twice")
    page.click("#confirm-reverse-payment")
    page.wait_for_selector(".messagelist")
    assert "reversed" in page.inner_text(".messagelist")
    page.click(".card-tabs >> text=Payments")
    reversed_row = page.locator(f'tr.payment.reversed[data-payment="{payment.pk}"]')
    assert "Card payment charged twice" in reversed_row.inner_text() and "accountant" in reversed_row.inner_text()
    screenshot(page, "payment-reversed")
    paid = Document.objects.get(pk=payment.document_id)
    assert paid.net_paid == 0 and paid.status == Status.TO_PAY
