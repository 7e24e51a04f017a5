"""Settings, read from the environment (twelve-factor).

Variables:
    DJANGO_DEBUG            "1" for development (``make run`` sets it); default off.
    DJANGO_SECRET_KEY       required when DEBUG is off.
    DJANGO_ALLOWED_HOSTS    comma-separated; default "localhost,127.0.0.1" (plus "*" in DEBUG).
    DJANGO_CSRF_TRUSTED_ORIGINS comma-separated origins behind a reverse proxy.
    DATABASE_URL            default: SQLite file var/db.sqlite3 (embedded).
    DJANGO_EMAIL_URL        "console" (default in DEBUG), "smtp://user:pass@host:port", "locmem".
    DJANGO_DEFAULT_FROM_EMAIL
    DJANGO_DATA_DIR         where the SQLite file and private uploads live; default ./var.
    DJANGO_SECURE           "1" behind TLS: secure cookies, HSTS, SSL redirect.
    FM_LOGIN_FAILURE_LIMIT  failed logins of one user name from one address before the lock; 5.
    FM_LOGIN_COOLOFF_MINUTES minutes the lock lasts, counted from the last attempt; 15.
    FM_PROXY_COUNT          reverse proxies in front of the app that append to X-Forwarded-For;
                            0 (default) takes the client address from REMOTE_ADDR only.
    FM_API_TOKEN_RATE       requests per address to /api/v1/auth/token/, e.g. "10/min" (default).
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

DATA_DIR = Path(os.environ.get("DJANGO_DATA_DIR", BASE_DIR / "var"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "axes",
    "csp",
    "fund_manager.core",
    "fund_manager.funds",
    "fund_manager.demo",
    "fund_manager.organisations",
    "fund_manager.applications",
    "fund_manager.ledger",
    "fund_manager.rounds",
    "fund_manager.payments",
    "fund_manager.settlement",
    "fund_manager.reporting",
    "viewflow.workflow",
    "workflows",
    "fund_manager.dashboard",
    "fund_manager.public",
    "fund_manager.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fund_manager.core.middleware.GermanFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fund_manager.core.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout into the lockout page (or the API's 429 body).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fund_manager.urls"
WSGI_APPLICATION = "fund_manager.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fund_manager.core.context_processors.navigation",
                "fund_manager.core.context_processors.installation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so read-then-write transactions never fail with
    # "database is locked" half-way (docs/architecture.md, "Conventions").
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out user name and address before any password check.
# Every authenticate() call must pass the request (the login form and the API token view do).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

# --- I18N ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "fund_manager" / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploads are private: they live outside the web root, are never served by URL, and are only
# streamed by a view that checks who may see the application (applications.views.attachment).
PRIVATE_MEDIA_ROOT = Path(os.environ.get("DJANGO_PRIVATE_MEDIA_ROOT", DATA_DIR / "private"))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
ATTACHMENT_MAX_BYTES = int(os.environ.get("FM_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Mail ---------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "verfuegungsfonds@localhost")
_email_url = os.environ.get("DJANGO_EMAIL_URL", "console" if DEBUG else "smtp://localhost:25")
if _email_url == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif _email_url == "locmem":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    _mail = urlsplit(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or 25
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_TLS = _mail.scheme == "smtp+tls"

# --- Security -----------------------------------------------------------------------------------
SECURE = env_bool("DJANGO_SECURE", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env_bool("DJANGO_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Login throttling (django-axes, issue 9 defect 15): after FM_LOGIN_FAILURE_LIMIT failed logins
# of one user name from one address, that combination is locked for FM_LOGIN_COOLOFF_MINUTES
# after its last attempt (attempts during the lock extend it). The login form and the API token
# endpoint count together. An administrator lifts a lock in the admin ("Zugriffsversuche":
# delete the entry) or with `manage.py axes_reset_username <name>` (or `axes_reset_ip`).
AXES_FAILURE_LIMIT = int(os.environ.get("FM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("FM_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "fund_manager.core.lockout.lockout_response"
AXES_VERBOSE = False  # no banner on every manage.py command; failures and locks are still logged
# The client's address as DRF's throttles see it (REMOTE_ADDR, or X-Forwarded-For behind
# FM_PROXY_COUNT trusted proxies): one rule for both.
FM_PROXY_COUNT = int(os.environ.get("FM_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "fund_manager.core.lockout.client_address"

# Content-Security-Policy (django-csp, issue 9 defect 16): nothing inline, nothing from other
# origins. Allowances for single views are made with csp's decorators, with the reason in
# docs/decisions.md. PDFs are rendered on the server (WeasyPrint) and need none.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "fund_manager.api.exceptions.exception_handler",
    # Bounded nesting and German messages for broken JSON (issue 9, defect 9).
    "DEFAULT_PARSER_CLASSES": [
        "fund_manager.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    # Scoped throttles: views name their scope (the token endpoint: "auth_token").
    "DEFAULT_THROTTLE_RATES": {"auth_token": os.environ.get("FM_API_TOKEN_RATE", "10/min")},
    "NUM_PROXIES": FM_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fund_manager API",
    "DESCRIPTION": "HTTP API v1 of the discretionary fund manager (Verfügungsfonds).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Serve Swagger UI from the installed sidecar package (no CDN: works offline, fits a CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"NoticeDeliveryEnum": "fund_manager.rounds.models.NoticeDelivery"},
}

# --- django-import-export -----------------------------------------------------------------------
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# --- Product parameters -------------------------------------------------------------------------
# The installation: the site's name and who runs it (header, imprint, privacy notice). Set per city.
FM_SITE_NAME = os.environ.get("FM_SITE_NAME", "")  # empty: "Verfügungsfonds" / "Discretionary fund"
FM_OPERATOR_NAME = os.environ.get("FM_OPERATOR_NAME", "Stadt Herne")
# Imprint (§ 5 DDG) and privacy notice (Art. 13 DSGVO): set per installation. Addresses in one
# variable, lines separated by ";". Unset values show the EXAMPLE of fund_manager/public/legal.py
# (the demo city, marked as an example on the pages); `manage.py check` warns with DEBUG off.
FM_OPERATOR_ADDRESS = os.environ.get("FM_OPERATOR_ADDRESS", "")
FM_OPERATOR_REPRESENTATIVE = os.environ.get("FM_OPERATOR_REPRESENTATIVE", "")  # e.g. the mayor
FM_OPERATOR_DEPARTMENT = os.environ.get("FM_OPERATOR_DEPARTMENT", "")  # the fund's office
FM_OPERATOR_EMAIL = os.environ.get("FM_OPERATOR_EMAIL", "")
FM_OPERATOR_PHONE = os.environ.get("FM_OPERATOR_PHONE", "")
FM_OPERATOR_VAT_ID = os.environ.get("FM_OPERATOR_VAT_ID", "")  # USt-IdNr., if any
FM_OPERATOR_SUPERVISION = os.environ.get("FM_OPERATOR_SUPERVISION", "")  # supervisory authority
FM_OPERATOR_CONTENT_RESPONSIBLE = os.environ.get("FM_OPERATOR_CONTENT_RESPONSIBLE", "")
FM_PRIVACY_DPO = os.environ.get("FM_PRIVACY_DPO", "")  # data protection officer and address
FM_PRIVACY_DPO_EMAIL = os.environ.get("FM_PRIVACY_DPO_EMAIL", "")
FM_PRIVACY_AUTHORITY = os.environ.get("FM_PRIVACY_AUTHORITY", "")  # data protection authority
# Forms render with the project's widget templates (templates/django/forms/): KERN's markup.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
FM_PAGE_SIZE = 25
# The open data (issue 13) are computed once per change and kept this long in the cache.
FM_OPEN_DATA_CACHE_SECONDS = int(os.environ.get("FM_OPEN_DATA_CACHE_SECONDS", "600"))
# Absolute links in e-mails.
FM_SITE_URL = os.environ.get("FM_SITE_URL", "http://127.0.0.1:8000")
# Days after which an open task counts as overdue in the inbox.
FM_TASK_OVERDUE_DAYS = int(os.environ.get("FM_TASK_OVERDUE_DAYS", "14"))
# Project dates lie from 1 January of the fiscal year minus BEFORE to 31 December of the fiscal
# year plus AFTER (policies/dates.py; issue 9, defect 7).
FM_PROJECT_DATES_YEARS_BEFORE = int(os.environ.get("FM_PROJECT_DATES_YEARS_BEFORE", "1"))
FM_PROJECT_DATES_YEARS_AFTER = int(os.environ.get("FM_PROJECT_DATES_YEARS_AFTER", "2"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
