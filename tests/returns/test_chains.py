"""Goods returned from one state of a correction chain are not returned again from another."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from corrections.services import correction_create
from returns.services import return_create
from tests import factories
from tests.returns.helpers import invoice_of_60, set_quantity

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
