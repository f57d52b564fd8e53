"""Settings shared by every environment; the environment variables below select the rest."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-development-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "invoicing.apps.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "djmoney",
    "invoicing.apps.InvoicingConfig",
    "corrections.apps.CorrectionsConfig",
    "returns.apps.ReturnsConfig",
    "einvoicing.apps.EinvoicingConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL (e.g. postgres://user:pw@127.0.0.1:5432/db) selects PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once when two requests write together.
    # Take the write lock when a transaction begins: a second writer then waits (up to the timeout)
    # instead of failing with "database is locked" halfway through (SQLite has no row locks).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
    # The same backend, batching bulk writes by the linked SQLite's real variable limit (config/sqlite).
    DATABASES["default"]["ENGINE"] = "config.sqlite"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "admin:login"

# Currencies a document may be in: all have at most two minor digits (amounts are stored with two).
CURRENCIES = ("USD", "EUR", "GBP", "CHF", "JPY", "PLN", "CZK", "SEK")
DEFAULT_CURRENCY = "USD"

# Sessions are read from the cache first, so a page does not spend a query on them.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# A draft's lines are saved from one form: about 11 fields a line, and up to 2,000 lines a draft
# (invoicing.services.MAX_LINES), so a request may carry up to 25,000 fields (Django's default is 1,000).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 25_000

# Documents that leave the system (SPEC 11): uploaded logos, and mail through Django's email framework
# (printed to the console unless EMAIL_BACKEND says otherwise; production sets SMTP).
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media"))
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "billing@localhost")
