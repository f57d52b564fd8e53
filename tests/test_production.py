"""Running it for real: the deploy check, the health check, login throttling, request ids, security
headers and the demo loader's guard."""

import io
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import override_settings

from config.requestid import RequestIdFilter
from invoicing.models import Partner
from tests import factories

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "books.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://books.example.com",
}


def production_manage(*args, **env):
    """manage.py under config.settings.production, with the README's variables (and the database of the run)."""
    environment = {**os.environ, **PRODUCTION_ENV, **env}
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests' thread, never in production
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


# ----------------------------------------------------------------------------- check --deploy
def test_check_deploy_has_no_warning_under_the_documented_variables():
    result = production_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = production_manage("check", DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_seed_demo_never_runs_with_production_settings():
    result = production_manage("seed_demo", "--force")
    assert result.returncode != 0
    assert "never runs with production settings" in result.stderr


# ----------------------------------------------------------------------------- /healthz
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_fails(client):
    with mock.patch("config.health.connections") as connections:
        connections.__getitem__.return_value.cursor.side_effect = OperationalError("connection refused")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^healthz$"])
def test_healthz_is_exempt_from_the_https_redirect_and_the_rest_is_not(client):
    assert client.get("/healthz").status_code == 200
    response = client.get("/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


# ----------------------------------------------------------------------------- login throttling
def login(client, username, password, ip="10.1.2.3"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_user_is_locked_out_after_repeated_failures_even_with_the_right_password(client):
    factories.accountant("clerk")
    for _ in range(2):
        response = login(client, "clerk", "wrong")
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    response = login(client, "clerk", "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "locked after 3 failed attempts" in page
    assert "15 minutes" in page
    # From another address, the right password is still refused for that user...
    assert login(client, "clerk", "pw", ip="10.9.9.9").status_code == 429
    assert "_auth_user_id" not in client.session
    # ... and every failure is on record.
    assert AccessFailureLog.objects.filter(username="clerk").count() >= 3
    assert AccessAttempt.objects.filter(username="clerk").exists()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_an_address_is_locked_out_after_failures_on_different_users(client):
    factories.accountant("clerk")
    for name in ["alice", "bob", "carol"]:
        login(client, name, "wrong", ip="10.6.6.6")
    assert login(client, "clerk", "pw", ip="10.6.6.6").status_code == 429
    # Another address logs in as that user.
    response = login(client, "clerk", "pw", ip="10.7.7.7")
    assert response.status_code == 302


@override_settings(LEDGERLINE_PROXY_COUNT=1)
def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(rf):
    from config.security import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9", REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == "203.0.113.9"


def test_failures_and_lockouts_are_visible_to_administrators_under_users(client):
    client.force_login(factories.UserFactory(username="root", is_superuser=True))
    html = client.get("/").content.decode()
    users_section = html[html.index("Users") :]
    for title in ["Access attempts", "Access failures", "Access logs"]:
        assert title in users_section
    assert "Other" not in re.sub(r"<[^>]+>", " ", html).split()
    for url in ["/axes/accessattempt/", "/axes/accessfailurelog/", "/axes/accesslog/"]:
        assert client.get(url).status_code == 200


def test_passwords_go_through_the_standard_validators():
    user = factories.accountant("clerk")
    for weak in ["admin", "12345678901", "password123", "clerk1234"]:
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("tilted-ledger-orbit-47", user)


# ----------------------------------------------------------------------------- logs and headers
def test_request_id_is_echoed_and_in_the_log_line(accountant_client):
    client = accountant_client
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("[request_id=%(request_id)s] %(message)s"))
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = client.get("/corrections/no-such-page/", HTTP_X_REQUEST_ID="lb-1234.abcd")
    finally:
        logger.removeHandler(handler)
    assert response["X-Request-ID"] == "lb-1234.abcd"
    assert "[request_id=lb-1234.abcd] Not Found: /corrections/no-such-page/" in stream.getvalue()


def test_an_insane_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="x\nforged log line")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def inline_scripts_and_handlers(html):
    scripts = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", html)
        if "src=" not in tag and 'type="application/json"' not in tag
    ]
    handlers = re.findall(r"<[^>]+\son[a-z]+\s*=", html)
    return scripts + handlers


def test_csp_forbids_inline_scripts_and_the_pages_need_none(client):
    admin = factories.UserFactory(username="root", is_superuser=True)
    draft = factories.invoice(user=admin)
    posted = factories.posted(factories.invoice(user=admin))
    client.force_login(admin)
    pages = [
        "/",
        "/invoicing/invoice/",
        "/invoicing/bill/",
        "/invoicing/payment/",
        "/invoicing/invoice/add/",
        draft.get_absolute_url(),
        posted.get_absolute_url(),
        f"/invoicing/invoice/{posted.pk}/payment/",
        "/reports/partner-balances/",
        "/reports/payment-calendar/",
        "/auth/user/",
        "/axes/accessattempt/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]*)", policy).group(1)
        assert script_src == "'self'", policy
        assert "frame-ancestors 'none'" in policy
        assert "camera=()" in response["Permissions-Policy"]
        assert inline_scripts_and_handlers(response.content.decode()) == [], url
    client.logout()
    assert inline_scripts_and_handlers(client.get("/login/").content.decode()) == []


# ----------------------------------------------------------------------------- seed_demo's guard
def test_seed_demo_runs_twice_on_its_own_database():
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "already loaded" in out.getvalue()


def test_seed_demo_refuses_a_database_with_other_data():
    factories.accountant("real-person")
    with pytest.raises(CommandError, match="users that the demo did not create"):
        call_command("seed_demo", stdout=io.StringIO())


def test_seed_demo_refuses_a_demo_database_that_has_grown_real_partners_unless_forced():
    call_command("seed_demo", stdout=io.StringIO())
    Partner.objects.create(name="A real customer", is_customer=True)
    with pytest.raises(CommandError, match="partners"):
        call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", "--force", stdout=io.StringIO())


@override_settings(DEBUG=False, LEDGERLINE_ENVIRONMENT="production")
def test_seed_demo_refuses_production_settings_even_when_forced():
    with pytest.raises(CommandError, match="never runs with production settings"):
        call_command("seed_demo", "--force", stdout=io.StringIO())
