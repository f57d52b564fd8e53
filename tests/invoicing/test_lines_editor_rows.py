"""The lines editor of a draft that was not posted renders its rows from the formset's initial data alone
(`line_rows`): the same HTML as rendering each line's form (`line_row`), the reference kept for posted forms."""

import re
from itertools import zip_longest

import pytest

from invoicing import selectors
from invoicing.forms import BaseLineFormSet, LineFormSet, NewDocumentLineFormSet
from invoicing.templatetags.backoffice import line_row, line_rows, options_once
from tests import factories


def rows_from_forms(formset, options, totals):
    return "".join(line_row(form, options, total) for form, total in zip_longest(formset.forms, totals))


@pytest.mark.django_db
def test_a_drafts_rows_are_the_rows_of_its_forms():
    vat, levy = factories.TaxFactory(name="VAT 20%"), factories.TaxFactory(name='Levy "A" & <B>', group="Levy")
    chair = factories.ItemFactory(name="Chair & table")
    draft = factories.invoice(
        lines=[
            factories.line(quantity="2.5", unit_price="19.99", discount="12.5", taxes=[vat, levy], item=chair),
            factories.line(description='Fitting <b>"quoted"</b> & more', taxes=[]),
            factories.line(quantity="1000", unit_price="0.01", taxes=[levy]),
        ]
    )
    lines = selectors.document_lines(document=draft)
    formset = LineFormSet(prefix="lines", initial=selectors.line_initial(lines=lines))
    options = options_once(formset.item_choices)
    totals = [line.amount_total for line in lines]

    rows = line_rows(formset, options, totals)

    assert rows == rows_from_forms(LineFormSet(prefix="lines", initial=selectors.line_initial(lines=lines)),
                                   options, totals)  # fmt: skip
    assert rows.count('<tr class="line-row">') == 4  # three lines and the empty one
    assert 'value="Fitting &lt;b&gt;&quot;quoted&quot;&lt;/b&gt; &amp; more"' in rows
    assert f'<option value="{chair.pk}" selected>' in rows


@pytest.mark.django_db
def test_a_new_documents_empty_rows_are_the_rows_of_its_forms():
    factories.TaxFactory()
    formset = NewDocumentLineFormSet(prefix="lines")
    options = options_once(formset.item_choices)

    rows = line_rows(formset, options)

    assert rows == rows_from_forms(NewDocumentLineFormSet(prefix="lines"), options, [])
    assert rows.count('<tr class="line-row">') == 3
    assert re.search(r'<input [^>]*name="lines-2-quantity"[^>]*value="1"', rows)  # the field's initial


@pytest.mark.django_db
def test_the_card_of_a_draft_builds_no_form_per_line(client, monkeypatch):
    """Each line form deep-copies its fields; the card renders the rows from the initial data instead, and a
    template's `lines_editor.management_form` is not taken for an index (which built every form to answer)."""
    draft = factories.invoice(lines=[factories.line() for _ in range(3)])
    built = []
    original = BaseLineFormSet._construct_form
    monkeypatch.setattr(
        BaseLineFormSet, "_construct_form", lambda self, i, **kw: built.append(i) or original(self, i, **kw)
    )
    client.force_login(factories.accountant())

    page = client.get(draft.get_absolute_url()).content.decode()

    assert page.count('<tr class="line-row">') == 4 + 1  # three lines, the empty one, the <template>'s
    assert 'Lines <span class="badge">3</span>' in page
    assert built == []
    client.post(draft.get_absolute_url(), {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0"})
    assert built == [0]  # a posted editor's forms parse what was typed
