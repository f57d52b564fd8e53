"""Roles as in the back office, tokens, and problem details for every kind of bad input."""

import json

import pytest
from django.core.management import call_command

from api.models import ApiToken
from invoicing.models import Allocation, Document, DocumentTransition, Payment
from tests import factories
from tests.api.conftest import ApiClient, token_for
from tests.api.support import create_posted_invoice, invoice_body, master_data, ok, pay


def _state():
    return (
        list(Document.objects.order_by("pk").values_list("pk", "status", "version", "balance_due")),
        Payment.objects.count(),
        Allocation.objects.filter(reversed_at__isnull=True).count(),
        DocumentTransition.objects.count(),
    )


def test_a_reviewer_token_reads_but_gets_403_on_every_write_route_and_nothing_changes(accountant_api, client):
    setup = master_data()
    paid = create_posted_invoice(accountant_api, setup)
    payment = pay(accountant_api, paid, "60.00", setup.bank)
    note = ok(accountant_api.post(f"/documents/{paid['id']}/returns", {"reason": "Damaged"}), 201)
    note = ok(accountant_api.post(f"/documents/{note['id']}/post"))
    other = create_posted_invoice(accountant_api, setup)
    allocation = ok(
        accountant_api.post(f"/documents/{note['id']}/allocations", {"counterpart": other["id"], "amount": "1.00"}),
        201,
    )
    draft = ok(accountant_api.post("/documents", invoice_body(setup, [{"description": "x"}])), 201)
    reviewer = ApiClient(client, token_for(factories.reviewer()))
    before = _state()
    update = {**invoice_body(setup, []), "version": draft["version"]}
    update.pop("kind")
    writes = [
        ("post", "/documents", invoice_body(setup, [{"description": "x"}])),
        ("put", f"/documents/{draft['id']}", update),
        ("delete", f"/documents/{draft['id']}", None),
        ("post", f"/documents/{draft['id']}/post", {}),
        ("post", f"/documents/{other['id']}/reset", {}),
        ("post", f"/documents/{other['id']}/cancel", {}),
        ("post", f"/documents/{other['id']}/corrections", {}),
        ("post", f"/documents/{paid['id']}/returns", {}),
        ("post", f"/documents/{other['id']}/payments", {"method": setup.bank, "amount": "1.00"}),
        ("post", f"/payments/{payment['id']}/reverse", {"reason": "Mistake"}),
        ("post", f"/documents/{note['id']}/allocations", {"counterpart": other["id"], "amount": "1.00"}),
        ("delete", f"/allocations/{allocation['id']}", None),
    ]
    for method, path, body in writes:
        response = reviewer.delete(path) if method == "delete" else reviewer.send(method, path, body)
        assert response.status_code == 403, (method, path, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert "permission" in response.json()["detail"]
    assert _state() == before
    assert ok(reviewer.get(f"/documents/{paid['id']}"))["status"] == "paid"
    assert ok(reviewer.get("/documents"))["count"] == 4
    assert ok(reviewer.get("/reports/partner-balances"))["rows"]


@pytest.mark.parametrize("header", [None, "Bearer nope", "Token abc", "Bearer "])
def test_no_or_a_bad_token_is_401_problem(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/documents", **extra)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Not authenticated"


def test_a_revoked_token_is_refused_and_the_command_creates_and_revokes(client, capsys):
    factories.accountant()
    call_command("api_token", "create", "accountant", "--name", "shop")
    secret = capsys.readouterr().out.strip()
    api = ApiClient(client, secret)
    assert api.get("/documents").status_code == 200
    token = ApiToken.objects.get()
    assert token.key_hash != secret and secret.startswith(f"ll_{token.prefix}_") and token.last_used
    call_command("api_token", "revoke", token.prefix)
    assert api.get("/documents").status_code == 401


def test_the_back_office_shows_a_new_token_once_and_lists_only_ones_own(client):
    user = factories.accountant()
    ApiToken.issue(user=factories.administrator(), name="not mine")
    client.force_login(user)
    response = client.post("/api/apitoken/add/", {"name": "warehouse"}, follow=True)
    token = ApiToken.objects.get(name="warehouse")
    assert token.user == user
    assert f"ll_{token.prefix}_" in response.content.decode()
    listing = client.get("/api/apitoken/").content.decode()
    assert "warehouse" in listing and "not mine" not in listing
    client.post("/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_validation_errors_carry_the_back_office_messages_by_field(accountant_api):
    setup = master_data()
    body = invoice_body(setup, [{"description": "x", "quantity": "abc"}, {"description": ""}])
    response = accountant_api.post("/documents", body)
    assert response.status_code == 400
    problem = response.json()
    assert problem["errors"]["lines.0.quantity"] == ["Line 1: quantity “abc” is not a number."]
    assert problem["errors"]["lines.1"] == ["Line 2: give the line an item or a description."]
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "invoice"},
        {"kind": "nope", "type": 1, "partner": 1, "company": 1},
        {"kind": "invoice", "type": 2**80, "partner": 1, "company": 1},
        {"kind": "invoice", "type": 1, "partner": 1, "company": 1, "date": "2024-02-30"},
        {"kind": "invoice", "type": 1, "partner": 1, "company": 1, "date": "9999-01-01"},
        {"kind": "invoice", "type": 1, "partner": 1, "company": 1, "note": "a\x00b"},
        {"kind": "invoice", "type": 1, "partner": 1, "company": 1, "lines": [{"quantity": "1e999999"}]},
        {"kind": "invoice", "type": 1, "partner": 1, "company": 1, "lines": [{"unit_price": "9" * 39}]},
    ],
)
def test_bad_input_is_a_400_problem_never_a_500(accountant_api, body):
    master_data()
    response = accountant_api.post("/documents", body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 400


def test_a_body_that_is_not_json_is_a_400_problem(accountant_api):
    response = accountant_api.client.post(
        "/api/v1/documents",
        b"{nope",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {accountant_api.token}",
    )
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"


def test_a_stale_version_is_409_and_an_unknown_document_404(accountant_api):
    setup = master_data()
    draft = ok(accountant_api.post("/documents", invoice_body(setup, [{"description": "x"}])), 201)
    body = {**invoice_body(setup, [{"description": "y"}]), "version": draft["version"]}
    body.pop("kind")
    assert ok(accountant_api.put(f"/documents/{draft['id']}", body))["lines"][0]["description"] == "y"
    stale = accountant_api.put(f"/documents/{draft['id']}", body)
    assert stale.status_code == 409
    assert "Someone else changed this draft" in stale.json()["detail"]
    assert accountant_api.get("/documents/999999").status_code == 404
    assert accountant_api.delete(f"/documents/{draft['id']}").status_code == 204
    assert accountant_api.get(f"/documents/{draft['id']}").status_code == 404


def test_filters_of_the_list(accountant_api):
    setup = master_data()
    posted = create_posted_invoice(accountant_api, setup)
    ok(accountant_api.post("/documents", invoice_body(setup, [{"description": "x"}])), 201)
    note = ok(accountant_api.post(f"/documents/{posted['id']}/returns", {}), 201)
    ids = lambda **params: [row["id"] for row in ok(accountant_api.get("/documents", params))["results"]]  # noqa: E731
    assert ids(status="to_pay") == [posted["id"]]
    assert ids(returns="only") == [note["id"]]
    assert ids(kind="bill") == [note["id"]]
    assert ids(q=posted["number"]) == [posted["id"]]
    assert len(ids(page_size=1)) == 1 and ok(accountant_api.get("/documents", {"page_size": 1}))["count"] == 3
    assert accountant_api.get("/documents", {"page_size": 0}).status_code == 400


def test_pdf_and_ubl_downloads(accountant_api):
    setup = master_data()
    posted = create_posted_invoice(accountant_api, setup)
    pdf = accountant_api.get(f"/documents/{posted['id']}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    ubl = accountant_api.get(f"/documents/{posted['id']}/ubl")
    assert ubl.status_code in (200, 400)
    if ubl.status_code == 400:
        assert "Fill in before exporting for Peppol" in json.loads(ubl.content)["detail"]


def test_the_docs_page_serves_swagger_from_local_static_files_under_the_csp(client):
    response = client.get("/api/v1/docs")
    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    schema = client.get("/api/v1/openapi.json").json()
    assert "24 hours" in schema["info"]["description"]
