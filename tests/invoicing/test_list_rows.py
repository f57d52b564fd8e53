"""The bills and invoices lists render their rows in one pass (`DocumentChangeList.rows_html`): the same cells as
the admin's own `items_for_result`, for every kind of row and with the list's filters kept in the links."""

from datetime import timedelta

import pytest
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.urls import reverse
from django.utils import timezone

from invoicing import services
from invoicing.models import Kind
from returns import services as return_services
from tests import factories
from tests.corrections.support import correct
from tests.returns.helpers import bill_of_60, invoice_of_60


@pytest.fixture
def documents_of_every_kind():
    """Drafts, posted, overdue, paid, settled, corrected, returned, a credit note with open credit, and a partner
    whose name needs escaping."""
    user = factories.accountant()
    tricky = factories.PartnerFactory(name='Smith & "Sons" <Ltd>')
    factories.invoice(partner=tricky)
    factories.bill(partner=tricky, due_date=None)
    overdue = factories.posted(factories.invoice(date=timezone.localdate() - timedelta(days=90)))
    factories.pay(overdue, overdue.balance_due / 2)
    paid = factories.posted(factories.bill(lines=[factories.line(unit_price="100.00")]))
    factories.pay(paid, paid.balance_due)
    correct(paid, "50.00", user=user)  # settled against its original, which then has open credit
    for sold in (invoice_of_60(), bill_of_60()):
        made = return_services.return_create(document=sold, user=user, reason="Damaged")
        factories.posted(made)
    services.document_post(document=factories.bill(), user=user)


def the_admins_rows(changelist):
    return ["".join(items_for_result(changelist, document, None)) for document in changelist.result_list]


@pytest.mark.django_db
@pytest.mark.usefixtures("documents_of_every_kind")
@pytest.mark.parametrize("kind", [Kind.INVOICE, Kind.BILL])
@pytest.mark.parametrize(
    "query", ["", "?status__exact=to_pay", "?returns=only", "?q=Smith+%26&o=-3.2", "?date__year=2026&o=5"]
)
def test_the_rows_are_the_admins_own(client, kind, query):
    client.force_login(factories.reviewer())
    response = client.get(reverse(f"admin:invoicing_{kind}_changelist") + query)
    assert response.status_code == 200
    changelist = response.context["cl"]

    rows = changelist.rows_html()

    assert rows  # every query finds some of the fixture's documents
    assert rows == the_admins_rows(changelist)
    assert all(row in response.content.decode() for row in rows)


@pytest.mark.django_db
@pytest.mark.usefixtures("documents_of_every_kind")
def test_the_rows_cover_what_the_fixture_made(client):
    """The comparison above is only worth the rows it compares: drafts, overdue, settled, returns, open credit."""
    client.force_login(factories.reviewer())
    page = client.get(reverse("admin:invoicing_bill_changelist")).content.decode()
    invoices = client.get(reverse("admin:invoicing_invoice_changelist")).content.decode()
    assert "Smith &amp; &quot;Sons&quot; &lt;Ltd&gt;" in page
    assert "Settled against" in page
    assert "Open credit" in page
    assert 'class="due overdue"' in invoices
    assert "Draft ·" in invoices
