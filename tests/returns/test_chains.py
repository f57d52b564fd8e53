"""Goods returned from one state of a correction chain are not returned again from another."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from corrections.services import correction_create
from invoicing.selectors import draft_line_data
from returns.selectors import returned_quantity
from returns.services import return_create
from tests import factories
from tests.returns.helpers import invoice_of_60, sales_type, set_quantity

D = Decimal


def test_goods_returned_from_an_invoice_cannot_be_returned_again_from_its_correction():
    invoice = invoice_of_60(check_returned_quantity=True)
    user = factories.accountant()
    factories.posted(return_create(document=invoice, user=user))  # all 5 back
    correction = factories.posted(correction_create(document=invoice, user=user))
    with pytest.raises(ValidationError, match="nothing is left to return"):
        return_create(document=correction, user=user)


def test_a_correction_offers_what_its_original_has_not_returned_yet():
    invoice = invoice_of_60(check_returned_quantity=True)
    user = factories.accountant()
    factories.posted(set_quantity(return_create(document=invoice, user=user), 2))
    correction = factories.posted(correction_create(document=invoice, user=user))
    credit_note = return_create(document=correction, user=user)
    assert credit_note.lines.get().quantity == D("3")
    with pytest.raises(ValidationError, match="only 3 remaining"):
        set_quantity(credit_note, 4)


def test_every_state_of_a_chain_shows_one_returned_quantity(accountant_client):
    """Return 2 of 5 from an invoice, post a correction: the correction's Lines tab shows 2 returned and
    3 remaining, as its Return button prefills 3, and as the invoice's own Lines tab says."""
    invoice = invoice_of_60(check_returned_quantity=True)
    user = factories.accountant()
    factories.posted(set_quantity(return_create(document=invoice, user=user), 2))
    correction = factories.posted(correction_create(document=invoice, user=user))
    for document in (invoice, correction):
        html = accountant_client.get(document.get_absolute_url()).content.decode()
        row = html.split('<table class="card-table lines">')[1].split("</tbody>")[0]
        assert '<td class="num">5</td><td class="num">2</td><td class="num">3</td>' in row, document
    assert return_create(document=correction, user=user).lines.get().quantity == D("3")


def test_a_line_added_by_a_correction_is_goods_of_its_own():
    invoice = invoice_of_60(check_returned_quantity=True)
    user = factories.accountant()
    factories.posted(set_quantity(return_create(document=invoice, user=user), 2))
    correction = correction_create(document=invoice, user=user)
    lines = [*draft_line_data(document=correction), factories.line(quantity=4, description="Extra")]
    factories.posted(factories.save_draft(correction, lines=lines))
    credit_note = return_create(document=correction, user=user)
    assert sorted(credit_note.lines.values_list("quantity", flat=True)) == [D("3"), D("4")]


def test_fractional_quantities_are_returned_exactly():
    """Returning 1.572 of 5.241 leaves exactly 3.669, which the next return prefills and may post."""
    user = factories.accountant()
    line = factories.line(quantity="5.241", unit_price="2.00")
    sold = factories.posted(factories.invoice(type=sales_type(check_returned_quantity=True), lines=[line]))
    factories.posted(set_quantity(return_create(document=sold, user=user), "1.572"))
    second = return_create(document=sold, user=user)
    assert second.lines.get().quantity == D("3.669")
    factories.posted(second)
    assert returned_quantity(line=sold.lines.get()) == D("5.241")
