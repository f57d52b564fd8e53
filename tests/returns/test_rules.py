"""Every message of the return rules (SPEC 7), on save, on post and on the source's transitions."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from invoicing import services
from invoicing.models import Document, DocumentLine, Kind
from returns import rules
from returns.services import return_create
from tests import factories
from tests.returns.helpers import bill_of_60, credit_note_type, invoice_of_60, sales_type, set_quantity

D = Decimal


def credit_note(lines, partner, **kwargs):
    """A credit note typed by hand (not through the Return action)."""
    return services.document_create(
        kind=Kind.BILL,
        type=credit_note_type(),
        company=kwargs.pop("company", factories.CompanyFactory()),
        partner=partner,
        user=factories.accountant(),
        lines=lines,
        **kwargs,
    )


def return_line(source, quantity=1, **extra):
    return factories.line(
        quantity=quantity,
        unit_price="10.00",
        description=extra.pop("description", "Chair"),
        source_line=source,
        **extra,
    )


def refused_on_post(document, message):
    with pytest.raises(ValidationError, match=message):
        factories.posted(document)
    assert Document.objects.get(pk=document.pk).number == ""


def test_a_return_line_without_a_source_line_is_refused():
    invoice = invoice_of_60()
    document = credit_note([factories.line(description="Loose")], invoice.partner)
    refused_on_post(
        document, "Line 1 “Loose” returns nothing sold: every line of a credit note comes from an invoice line"
    )


def test_a_credit_note_cannot_return_a_bill_line():
    bill = bill_of_60(partner=factories.PartnerFactory())
    document = credit_note([return_line(bill.lines.get())], bill.partner)
    refused_on_post(
        document, "Line 1 “Chair”: its source line is on bill BILL/.*; a credit note returns lines of an invoice"
    )


def test_a_credit_note_cannot_return_a_credit_note_line():
    invoice = invoice_of_60()
    returned = factories.posted(return_create(document=invoice, user=factories.accountant()))
    document = credit_note([return_line(returned.lines.get())], invoice.partner)
    refused_on_post(document, "its source line is on credit note CN/")


def test_a_return_for_another_partner_is_refused():
    invoice = invoice_of_60()
    other = factories.PartnerFactory(name="Someone Else")
    document = credit_note([return_line(invoice.lines.get())], other)
    refused_on_post(document, "Line 1 “Chair”: invoice INV/.* is for “Partner .*”, not “Someone Else”; the vendor")


def test_a_return_of_another_item_is_refused():
    item, other = factories.ItemFactory(name="Chair"), factories.ItemFactory(name="Desk")
    invoice = factories.posted(
        factories.invoice(type=sales_type(), lines=[factories.line(item=item, description="", quantity=2)])
    )
    document = credit_note([return_line(invoice.lines.get(), item=other, description="")], invoice.partner)
    refused_on_post(document, r"Line 1 “Desk”: the item must be the source line's \(“\[SKU-\d+\] Chair” on invoice")


def test_a_returned_quantity_must_be_greater_than_zero():
    invoice = invoice_of_60()
    line = DocumentLine(position=1, description="Chair", quantity=D("0"), source_line=invoice.lines.get())
    document = Document(kind=Kind.BILL, type=credit_note_type(), partner=invoice.partner)
    assert rules._line_error(document, line) == (
        "Line 1 “Chair”: the returned quantity must be greater than zero (it is 0)."
    )
    # The database refuses it too, whatever path the line takes.
    line.document = credit_note([], invoice.partner)
    with pytest.raises(ValidationError, match="greater than zero"):
        line.validate_constraints()


def test_a_return_mixing_two_source_documents_is_refused():
    first, second = invoice_of_60(), None
    second = factories.posted(factories.invoice(type=first.type, partner=first.partner, lines=[return_line(None)]))
    document = credit_note([return_line(first.lines.get()), return_line(second.lines.get())], first.partner)
    refused_on_post(document, "A return comes from one document; these lines come from INV/.*, INV/.*")


def test_a_return_in_another_company_or_currency_is_refused():
    invoice = invoice_of_60()
    other_company = factories.CompanyFactory(name="Other Ltd")
    document = credit_note([return_line(invoice.lines.get())], invoice.partner, company=other_company)
    refused_on_post(document, "A return belongs to the company of its source")
    document = credit_note([return_line(invoice.lines.get())], invoice.partner, currency="EUR")
    refused_on_post(document, "A return is in the currency of its source: invoice INV/.* is in USD")


def test_a_return_of_a_draft_line_is_refused():
    draft = factories.invoice(type=sales_type(), partner=factories.PartnerFactory())
    document = credit_note([return_line(draft.lines.get())], draft.partner)
    refused_on_post(document, "Invoice Draft is Draft; only lines of a To pay or Paid document can be returned")


def test_saving_a_return_for_another_partner_is_refused():
    invoice = invoice_of_60()
    draft = return_create(document=invoice, user=factories.accountant())
    with pytest.raises(ValidationError, match="The vendor of a credit note is the customer of its source: choose"):
        factories.save_draft(draft, partner=factories.PartnerFactory(name="Someone Else"))
    assert Document.objects.get(pk=draft.pk).partner == invoice.partner


def test_saving_lines_beyond_the_remaining_quantity_is_refused_and_nothing_is_stored():
    invoice = invoice_of_60(check_returned_quantity=True)
    factories.posted(set_quantity(return_create(document=invoice, user=factories.accountant()), 2))
    draft = return_create(document=invoice, user=factories.accountant())
    with pytest.raises(
        ValidationError, match=r"only 3 remaining to return of line 1 “Chair” on invoice INV/.* \(5 sold"
    ):
        set_quantity(draft, 4)
    assert draft.lines.get().quantity == D("3")  # what the Return button prefilled, untouched
    factories.posted(set_quantity(draft, 3))


def test_two_lines_on_the_same_source_line_add_up():
    invoice = invoice_of_60(check_returned_quantity=True)
    source = invoice.lines.get()
    document = credit_note([return_line(source, 3), return_line(source, 3)], invoice.partner)
    refused_on_post(document, "only 5 remaining to return .* not 6")


def test_message_on_post_is_prefixed_so_the_card_says_what_failed():
    invoice = invoice_of_60(check_returned_quantity=True)
    user = factories.accountant()
    first, document = return_create(document=invoice, user=user), return_create(document=invoice, user=user)
    factories.posted(set_quantity(first, 1))
    with pytest.raises(ValidationError) as refused:
        factories.posted(document)
    assert refused.value.messages == [
        f"Cannot post: Line 1 “Chair”: only 4 remaining to return of line 1 “Chair” on invoice {invoice.number} "
        "(5 sold, 1 already returned), not 5."
    ]


def test_rules_cost_no_query_on_ordinary_documents(django_assert_num_queries):
    invoice = invoice_of_60()
    with django_assert_num_queries(0):
        assert rules.clean_error(invoice) is None
        assert rules.return_error(invoice, lock=True) is None
