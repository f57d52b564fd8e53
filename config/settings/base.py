"""Settings shared by every environment; the environment variables below select the rest."""

import os
from datetime import timedelta
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
    "axes",
    "csp",
    "invoicing.apps.InvoicingConfig",
    "corrections.apps.CorrectionsConfig",
    "returns.apps.ReturnsConfig",
    "einvoicing.apps.EinvoicingConfig",
    # The JSON API; "ninja" serves Swagger UI from its own static files (no CDN: the CSP allows 'self' only).
    "ninja",
    "api.apps.ApiConfig",
]

MIDDLEWARE = [
    "config.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.querystring.DropNulFromQueryString",
    "config.security.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): AXES_FAILURE_LIMIT failed logins for one username, or from one address,
# lock that username, or that address, out for AXES_COOLOFF_TIME after the last failure. Every failure is
# recorded (Users -> Access attempts / Access failures in the back office).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LEDGERLINE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LEDGERLINE_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: a user, or an address
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
AXES_HTTP_RESPONSE_CODE = 429
# How many proxies (nginx, a load balancer) stand in front of the application and append to X-Forwarded-For.
LEDGERLINE_PROXY_COUNT = int(os.environ.get("LEDGERLINE_PROXY_COUNT", "0"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# One date and number format across the back office (config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
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

# Security headers beyond Django's own: a Content-Security-Policy (django-csp) and a Permissions-Policy
# (config.security). Scripts only from our own static files; styles also inline, because Django's own
# change list template and the status badges carry inline styles (style-src 'unsafe-inline').
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Logs go to standard output, one line each with the request id; errors carry their traceback.
LOG_LEVEL = os.environ.get("LEDGERLINE_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.requestid.RequestIdFilter"}},
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s [request_id=%(request_id)s] %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "line",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # 4xx and 5xx with their tracebacks; Django's own handlers (mail to ADMINS) are not used.
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        # WeasyPrint and fontTools narrate every PDF step at INFO: only their warnings are worth a line.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},
    },
}

# Which settings module is in force: seed_demo refuses to run under "production".
LEDGERLINE_ENVIRONMENT = "base"
