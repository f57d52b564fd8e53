"""Helpers of the corrections tests: editing a draft correction's lines as the card's form would."""

from decimal import Decimal

from corrections import selectors, services
from invoicing.models import Document
from tests import factories

D = Decimal


def set_lines(document, lines):
    """Replace a draft's lines with `lines` (dicts from `factories.line`), as the card's form would."""
    return factories.save_draft(document, lines=lines)


def correct(document, untaxed=None, *, reversal=False, lines=None, post=True, user=None):
    """Create a correction of `document`; give it one `untaxed` line + VAT 20% (or `lines`); post it."""
    user = user or factories.accountant()
    correction = services.correction_create(document=document, user=user, reversal=reversal, reason="Price agreed")
    if untaxed is not None:
        lines = [factories.line(unit_price=untaxed)]
    if lines is not None:
        set_lines(correction, lines)
    if post:
        factories.posted(correction, user=user)
    return correction


def fresh(document):
    return Document.objects.get(pk=document.pk)


def triple(amounts):
    """(untaxed, tax, total) of an Amounts."""
    return (amounts.untaxed, amounts.tax, amounts.total)


def amount_correction(correction):
    return triple(selectors.correction_amount(correction=correction))
