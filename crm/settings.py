"""Settings for every environment, read from the process environment (12-factor).

`CRM_ENV` is the one switch: `development` (default), `test` or `production`. With no `DATABASE_URL`
the app runs on the embedded PostgreSQL server (crm/embedded_db.py), and with no `CELERY_BROKER_URL` on
Celery's filesystem transport, so that `make run` needs no server; set both to run on your own
PostgreSQL and Redis. See `.env.example`.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from crm import embedded_db

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CRM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


CRM_ENV = os.environ.get("CRM_ENV", "development")
if CRM_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"CRM_ENV must be development, test or production, not {CRM_ENV!r}")
PRODUCTION = CRM_ENV == "production"
TESTING = CRM_ENV == "test"

DEBUG = env_bool("DJANGO_DEBUG", default=CRM_ENV == "development")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "contacts",
    "marketing_status",
    "billing",
    "workflows",
    "jobs",
    "integrations",
    "api",
    "companies",
    "capture",
    "leadforms",
    "conversations",
    "imports",
    "engagements",
    "screens",
    "demo",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside every middleware that renders a page (axes' included), so each page's nonce is in its header.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes requires: turns a throttled sign-in into the "try again later" page.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Static files are served by the app itself (nothing from a CDN); runserver does it in development.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

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
                "crm.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# PostgreSQL only (15 or newer): the guarded set-based switches, row locks with SKIP LOCKED, COPY imports
# and partial indexes are PostgreSQL's. Without DATABASE_URL, the embedded server of crm/embedded_db.py
# (started by bin/serve, the Makefile and the test session) holds the data in var/postgres.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {"default": embedded_db.connection_settings(VAR_DIR)}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://…).")
if TESTING:
    # A test database is thrown away: commits need not wait for the disk.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
# One date format for every screen; the en-us locale's own would override settings.DATE_FORMAT.
FORMAT_MODULE_PATH = "crm.formats"
# The account's time zone: update dates (R20) begin at midnight here.
TIME_ZONE = os.environ.get("CRM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Sign-in throttling (OWASP ASVS 2.2.1, django-axes; accounts/sign_in.py) --------------------
# Failures are counted per username OR per client address: either reaching the limit within the
# cool-off pauses signing in for it until the cool-off has passed since its last counted failure.
AUTHENTICATION_BACKENDS = [
    "accounts.sign_in.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Attempts while paused are refused uncounted, so someone who keeps trying cannot extend the pause.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.sign_in.sign_in_address"  # the address CRM_TRUSTED_PROXIES gives
AXES_LOCKOUT_CALLABLE = "accounts.sign_in.locked_out_response"
AXES_DISABLE_ACCESS_LOG = True  # failed attempts are what is kept; successful sign-ins are not logged
AXES_VERBOSE = False  # no banner on every start; log lines name only what is counted

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email (billing-contact notices, R24) -----------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crm@localhost")

# --- Celery -----------------------------------------------------------------------------------
# PostgreSQL holds the state of every long job; a message is only a wake-up. Tasks are acknowledged
# after they ran and re-queued if their worker dies, so a killed worker loses nothing.
# The embedded default names a host only so that kombu does not warn that it "reverts to localhost".
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
if TESTING and os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel test processes share one broker: each sends to, and its test workers consume from, a queue
    # of its own (a worker subprocess inherits PYTEST_XDIST_WORKER), so no process takes another's task.
    CELERY_TASK_DEFAULT_QUEUE = f"celery-{os.environ['PYTEST_XDIST_WORKER']}"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery-queue"
    # Kombu's filesystem transport does not create its folders; the worker would crash on a fresh clone.
    for _folder in (_queue_dir, VAR_DIR / "celery-control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery-control"),
    }
else:
    # Countdowns and ETAs must stay below this, or Redis re-delivers the message.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

from crm.schedules import BEAT_SCHEDULE  # noqa: E402

CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE

# --- The product ------------------------------------------------------------------------------
# R25: marketing contacts included in each hub tier, and the size of the blocks a tier grows by (R24).
CRM_TIER_INCLUDED_CONTACTS = {
    "starter": env_int("CRM_TIER_STARTER_CONTACTS", 1000),
    "professional": env_int("CRM_TIER_PROFESSIONAL_CONTACTS", 2000),
    "enterprise": env_int("CRM_TIER_ENTERPRISE_CONTACTS", 10000),
}
CRM_TIER_BLOCK_SIZE = {
    "starter": env_int("CRM_TIER_STARTER_BLOCK", 1000),
    "professional": env_int("CRM_TIER_PROFESSIONAL_BLOCK", 5000),
    "enterprise": env_int("CRM_TIER_ENTERPRISE_BLOCK", 10000),
}
# Rows per set-based write: one guarded UPDATE and one history INSERT each, one transaction each.
CRM_BULK_CHUNK_SIZE = env_int("CRM_BULK_CHUNK_SIZE", 5000)
# R22: archived contacts can be restored for this many days.
CRM_RESTORE_WINDOW_DAYS = 90

# --- REST API (HubSpot's CRM v3 dialect) ----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.IntegrationTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScopes"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONBodyParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    "DESCRIPTION": "HubSpot-compatible CRM v3 contacts API, plus marketing-status endpoints.",
    "VERSION": "3",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema_extensions.declare_body_errors",
    ],
}
# Per integration: requests in any rolling 10 seconds, and per day (HubSpot's headers report both).
CRM_API_RATE_LIMIT_10S = env_int("CRM_API_RATE_LIMIT_10S", 190)
CRM_API_RATE_LIMIT_DAILY = env_int("CRM_API_RATE_LIMIT_DAILY", 625_000)
# Rate-limit counters live in Redis when it is configured (shared by every web process); otherwise in
# each process's memory. REDIS_URL, else the Celery broker when that is Redis.
REDIS_URL = os.environ.get("REDIS_URL") or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
CRM_API_RATE_LIMIT_PREFIX = os.environ.get("CRM_API_RATE_LIMIT_PREFIX", "crm:ratelimit")
# Where the contacts change feed keeps "a consumer wake-up is waiting" in that Redis (contacts.models).
CRM_FEED_WAKE_PREFIX = os.environ.get("CRM_FEED_WAKE_PREFIX", "crm:feed-wake")

# --- Lead capture -----------------------------------------------------------------------------
# Public intake (form submissions, chat, meeting bookings): requests per source address in any
# rolling 10 seconds and per day, counted where the API's are.
CRM_INTAKE_RATE_LIMIT_10S = env_int("CRM_INTAKE_RATE_LIMIT_10S", 20)
CRM_INTAKE_RATE_LIMIT_DAILY = env_int("CRM_INTAKE_RATE_LIMIT_DAILY", 2_000)
CRM_INTAKE_RATE_LIMIT_PREFIX = os.environ.get("CRM_INTAKE_RATE_LIMIT_PREFIX", "intake")
# Reverse proxies in front of the app that append to X-Forwarded-For; 0 trusts REMOTE_ADDR only.
CRM_TRUSTED_PROXIES = env_int("CRM_TRUSTED_PROXIES", 0)
# The account id in HubSpot-shaped intake URLs (/submissions/v3/integration/submit/<portal id>/<form id>).
CRM_PORTAL_ID = os.environ.get("CRM_PORTAL_ID", "1")
# Where public pages and snippets say the app lives (embed codes on other sites need an absolute URL);
# empty: the host of the request that shows the snippet.
CRM_PUBLIC_URL = os.environ.get("CRM_PUBLIC_URL", "").rstrip("/")
# Uploaded import files live here until their import is done (a volume in production).
MEDIA_ROOT = Path(os.environ.get("CRM_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served publicly: import files are read by the worker only
CRM_IMPORT_MAX_BYTES = env_int("CRM_IMPORT_MAX_BYTES", 512 * 1024 * 1024)
CRM_IMPORT_CHUNK_ROWS = env_int("CRM_IMPORT_CHUNK_ROWS", 5000)

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy, in every environment (the browser tests run the pages under it). Nothing
# comes from another origin. Inline <script> and <style> blocks carry `nonce="{{ request.csp_nonce }}"`;
# `style=` attributes are allowed (style-src-attr), inline event handlers are not (there are none).
# The hash is the <style> the form embed script (static/leadforms/embed-v2.js) adds on the hosted form
# page (tests/crm/test_csp.py keeps it in step). No page may be framed, like X_FRAME_OPTIONS says. The
# API docs pages add what Swagger UI and ReDoc need (api/views/schema.py).
CRM_CSP_EMBED_STYLE_HASH = "'sha256-KOt4MoMyRh66Z4ZfFXYxzcIuscGS0xKARsrcLQT1cxI='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE, CRM_CSP_EMBED_STYLE_HASH],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusals": {"()": "crm.log_filters.RefusalLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CRM_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own console handler (under DEBUG) would print each record a second time beside the root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A refused request is one WARNING line that says why, without a traceback; 5xx keep theirs.
        "django.request": {"filters": ["refusals"]},
    },
}
