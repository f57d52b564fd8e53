"""The one write path of a draft (`document_draft_save`): query budget, bounds, parsing and concurrency."""

import re
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import selectors, services
from invoicing.models import Document, DocumentLine
from tests import factories

D = Decimal


def card_url(document):
    return document.get_absolute_url()


def editor_post_data(document, quantity="2"):
    """What the card's form sends for a draft whose every line gets a new quantity."""
    lines = selectors.draft_line_data(document=document)
    data = {
        "type": document.type_id, "partner": document.partner_id, "company": document.company_id,
        "date": document.date.isoformat(), "due_date": "", "currency": document.currency, "note": "",
        "loaded_version": document.version, "lines-TOTAL_FORMS": len(lines), "lines-INITIAL_FORMS": len(lines),
        "lines-MIN_NUM_FORMS": 0, "lines-MAX_NUM_FORMS": 2000, "_continue": "1",
    }  # fmt: skip
    for n, line in enumerate(lines):
        data.update(
            {
                f"lines-{n}-id": line["id"],
                f"lines-{n}-position": line["position"],
                f"lines-{n}-description": line["description"],
                f"lines-{n}-quantity": quantity,
                f"lines-{n}-unit_price": str(line["unit_price"]),
                f"lines-{n}-discount": "0",
                f"lines-{n}-taxes": line["taxes"],
            }
        )
    return data


def draft_of(count):
    tax = factories.TaxFactory()
    return factories.invoice(lines=[factories.line(unit_price="1.00", taxes=[tax]) for _ in range(count)])


def save_queries(client, document, quantity="2"):
    return len(saved_with_queries(client, document, quantity))


def saved_with_queries(client, document, quantity="2"):
    """The SQL of one save through the card, every line given `quantity`."""
    document.refresh_from_db()  # the version the editor loads
    data = editor_post_data(document, quantity)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(card_url(document), data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    return [query["sql"] for query in queries.captured_queries]


def test_saving_a_draft_through_the_card_takes_the_same_queries_at_1_and_200_lines(accountant_client):
    counts = save_queries(accountant_client, draft_of(1)), save_queries(accountant_client, draft_of(200))
    assert counts[0] == counts[1] <= 25, counts


def test_a_draft_of_1000_lines_saves_through_the_card_within_40_queries(accountant_client):
    document = draft_of(1000)
    assert save_queries(accountant_client, document) <= 40
    document.refresh_from_db()
    assert document.amount_untaxed == D("2000.00")
    assert set(document.lines.values_list("quantity", flat=True)) == {D("2")}


def test_the_catalog_size_changes_neither_the_queries_nor_the_checks_of_a_save(accountant_client):
    """Items and taxes are read once per save whatever their number, and the lines are checked against them."""
    document = draft_of(200)
    tax = factories.TaxFactory()
    factories.ItemFactory().default_taxes.add(tax)
    few = saved_with_queries(accountant_client, document)
    for _ in range(300):
        factories.ItemFactory().default_taxes.add(tax)
    item = factories.ItemFactory(name="Desk lamp")
    many = saved_with_queries(accountant_client, document, quantity="3")  # every line changes again
    assert len(many) == len(few)
    assert not [sql for sql in many if "invoicing_item_default_taxes" in sql]  # only a shown editor needs them

    document.refresh_from_db()
    data = editor_post_data(document)
    data["lines-0-item"] = str(item.pk)
    assert accountant_client.post(card_url(document), data).status_code == 302
    assert document.lines.get(position=1).item == item
    document.refresh_from_db()
    for field, unknown in [("item", str(item.pk + 1000)), ("taxes", "999999")]:
        data = {**editor_post_data(document, quantity="5"), f"lines-199-{field}": unknown}
        data["lines-199-description"] = "Kept as typed"
        response = accountant_client.post(card_url(document), data)
        page = response.content.decode()
        assert response.status_code == 200, field
        assert f"Select a valid choice. {unknown} is not one of the available choices." in page
        assert re.search(r'name="lines-199-description"[^>]* value="Kept as typed"', page)  # the input stays
        assert re.search(r'name="lines-199-quantity"[^>]* value="5"', page)
        assert set(document.lines.values_list("quantity", flat=True)) == {D("2")}  # the 5s were not stored


def test_service_save_replaces_the_lines_and_recomputes_the_amounts():
    draft = factories.invoice(lines=[factories.line(quantity=1, unit_price="10.00")])
    [kept] = selectors.draft_line_data(document=draft)
    factories.save_draft(draft, lines=[{**kept, "quantity": "3"}, factories.line(quantity=1, unit_price="5.00")])
    draft.refresh_from_db()
    assert (draft.amount_untaxed, draft.amount_tax, draft.amount_total) == (D("35.00"), D("7.00"), D("42.00"))
    assert draft.lines.get(position=1).pk == kept["id"]  # a kept line keeps its identity
    factories.save_draft(draft, lines=[])
    assert draft.lines.count() == 0 and Document.objects.get(pk=draft.pk).amount_total == 0


def test_kept_lines_are_updated_exactly_whatever_their_text_on_every_engine():
    """The kept lines go back in one UPDATE (arrays on PostgreSQL, a VALUES list on SQLite): text that means
    something to either syntax comes back as typed, and an item is set where there was none and cleared where
    there was one."""
    item = factories.ItemFactory()
    texts = ["{a,b}", 'say "hi", then \\leave', "it's", "NULL", "", "ÉtÉ — 夏 ∑", "x" * 300]
    draft = factories.invoice(
        lines=[factories.line(description="old", item=None if n % 2 == 0 else item) for n in range(len(texts))]
    )
    lines = selectors.draft_line_data(document=draft)
    edited = [
        {**line, "description": text, "item": None if n % 2 else item.pk, "quantity": f"{n + 1}.125",
         "unit_price": "0.10", "discount": "12.5"}
        for n, (line, text) in enumerate(zip(lines, texts, strict=True))
    ]  # fmt: skip
    factories.save_draft(draft, lines=edited)
    stored = list(draft.lines.order_by("position").values_list("pk", "description", "item", "quantity", "discount"))
    assert stored == [
        (line["id"], text, None if n % 2 else item.pk, D(f"{n + 1}.125"), D("12.50"))
        for n, (line, text) in enumerate(zip(lines, texts, strict=True))
    ]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("12,50", D("12.50")), ("12.50", D("12.50")), ("1,234.50", D("1234.50")), ("1.234,50", D("1234.50"))],
)
def test_a_dot_or_a_comma_is_the_decimal_separator(typed, stored):
    draft = factories.invoice()
    [line] = selectors.draft_line_data(document=draft)
    factories.save_draft(draft, lines=[{**line, "unit_price": typed}])
    assert draft.lines.get().unit_price == stored


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("unit_price", "1,234.5,6", "is not a number"),
        ("unit_price", "NaN", "is not a number"),
        ("unit_price", "1e400", "is not a number"),
        ("unit_price", "99999999999999999999", "too large"),
        ("unit_price", "1.125", "more than 2 decimals"),
        ("quantity", "1.0001", "more than 3 decimals"),
        ("discount", "150", "from 0 to 100"),
    ],
)
def test_bad_numbers_are_refused_with_the_line_named_and_nothing_is_stored(field, typed, message):
    draft = factories.invoice()
    [line] = selectors.draft_line_data(document=draft)
    with pytest.raises(ValidationError, match=message) as refused:
        factories.save_draft(draft, lines=[{**line, field: typed}])
    assert f"lines.0.{field}" in refused.value.error_dict
    assert "Line 1" in str(refused.value)
    assert draft.lines.get().unit_price == D("10.00") and draft.lines.get().quantity == D("1")


def test_a_line_that_would_not_fit_its_column_is_refused_on_every_engine():
    draft = factories.invoice()
    [line] = selectors.draft_line_data(document=draft)
    with pytest.raises(ValidationError, match="Line 1: its amount .* is too large to be stored"):
        factories.save_draft(draft, lines=[{**line, "quantity": "99999999", "unit_price": "99999999"}])
    assert Document.objects.get(pk=draft.pk).amount_total == D("12.00")


def test_a_document_total_that_would_not_fit_is_refused():
    draft = factories.invoice()
    [line] = selectors.draft_line_data(document=draft)
    big = {**line, "id": None, "quantity": "1", "unit_price": "900000000000.00", "taxes": []}
    with pytest.raises(ValidationError, match="The document total .* is too large to be stored"):
        factories.save_draft(draft, lines=[big, {**big}])


@pytest.mark.parametrize("day", ["9999-12-31", "1899-12-31", "3000-01-01"])
def test_dates_outside_1900_to_2999_are_refused(day, accountant_client):
    draft = factories.invoice()
    data = {**editor_post_data(draft), "date": day}
    response = accountant_client.post(card_url(draft), data)
    assert response.status_code == 200 and "Enter a date" in response.content.decode()
    assert Document.objects.get(pk=draft.pk).date == draft.date


def test_a_line_someone_else_deleted_is_told_as_a_change_by_someone_else():
    draft = factories.invoice()
    lines = selectors.draft_line_data(document=draft)
    factories.save_draft(Document.objects.get(pk=draft.pk), lines=[])  # someone else removes the line
    with pytest.raises(ValidationError, match="Someone else changed this draft"):
        factories.save_draft(draft, lines=lines)


def test_worked_example_14_two_editors_save_the_same_draft_and_exactly_one_lands(client):
    """Two editors load the same draft; both save; exactly one save lands, the other editor sees
    "changed by someone else" with their input kept."""
    draft = factories.invoice(note="")
    first, second = factories.accountant("first"), factories.accountant("second")
    loaded = editor_post_data(draft)  # both loaded version N
    client.force_login(first)
    assert client.post(card_url(draft), {**loaded, "note": "first"}).status_code == 302
    client.force_login(second)
    response = client.post(card_url(draft), {**loaded, "note": "second"})
    page = response.content.decode()
    assert response.status_code == 200 and "Someone else changed this draft" in page
    assert "second</textarea>" in page  # the refused editor's input stays on the form
    assert Document.objects.get(pk=draft.pk).note == "first"


@pytest.mark.postgres
def test_two_simultaneous_saves_of_one_draft_on_postgresql_never_both_land(require_postgres, transactional_db):
    draft = factories.invoice()
    version = Document.objects.get(pk=draft.pk).version
    user = factories.accountant()
    barrier, outcomes = threading.Barrier(2), []

    def save(note):
        try:
            barrier.wait()
            document = Document.objects.get(pk=draft.pk)
            lines = selectors.draft_line_data(document=document)
            services.document_draft_save(document=document, user=user, lines=lines, version=version, note=note)
            outcomes.append(("saved", note))
        except ValidationError as error:
            outcomes.append(("refused", " ".join(error.messages)))
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(note,)) for note in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = [note for outcome, note in outcomes if outcome == "saved"]
    refused = [message for outcome, message in outcomes if outcome == "refused"]
    assert len(saved) == 1 and len(refused) == 1, outcomes
    assert "Someone else changed this draft" in refused[0]
    stored = Document.objects.get(pk=draft.pk)
    assert stored.note == saved[0] and stored.version == version + 1
    assert DocumentLine.objects.filter(document=draft).count() == 1


def test_removing_a_line_that_a_canceled_return_gave_back_is_refused_with_a_message():
    from returns.services import return_create

    user = factories.accountant()
    invoice = factories.posted(factories.invoice(type=factories.invoice_type(return_type=credit_note_type())))
    credit_note = factories.posted(return_create(document=invoice, user=user))
    services.document_cancel(document=credit_note, user=user)
    services.document_reset_to_draft(document=invoice, user=user)
    with pytest.raises(ValidationError, match="A line you removed is the source of lines of Credit note"):
        factories.save_draft(invoice, lines=[])
    assert invoice.lines.count() == 1


def credit_note_type():
    return factories.bill_type(name="Credit note", series="CN", is_return=True)
