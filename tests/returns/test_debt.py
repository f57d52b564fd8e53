"""The Debt tab explains the credit of returns on both documents (SPEC 6, 7)."""

from decimal import Decimal

from invoicing.debt import document_debt
from returns.services import return_create
from tests import factories
from tests.returns.helpers import invoice_of_60, set_quantity

D = Decimal


def test_debt_rows_show_the_credit_a_return_applied_on_both_documents():
    invoice = invoice_of_60()
    credit_note = factories.posted(set_quantity(return_create(document=invoice, user=factories.accountant()), 2))
    invoice.refresh_from_db()

    source_debt = document_debt(document=invoice)
    rows = {row.label: row.amount for row in source_debt.rows}
    assert rows[f"Credit from credit note {credit_note.number}"] == D("-24.00")
    assert source_debt.not_itemised == 0 and source_debt.balance_due == D("36.00")

    return_debt = document_debt(document=credit_note)
    rows = {row.label: row.amount for row in return_debt.rows}
    assert rows[f"Applied to {invoice}"] == D("-24.00")
    assert return_debt.not_itemised == 0 and return_debt.balance_due == 0


def test_debt_tab_on_a_source_shows_no_unexplained_gap(accountant_client):
    invoice = invoice_of_60()
    factories.posted(set_quantity(return_create(document=invoice, user=factories.accountant()), 1))
    html = accountant_client.get(invoice.get_absolute_url()).content.decode()
    assert "Credit from credit note" in html and "Not itemised" not in html
