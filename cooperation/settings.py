"""Project settings, read from the environment with defaults that suit development.

Production sets at least ``DEBUG=0``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` and
``CELERY_BROKER_URL``. With ``DATABASE_URL`` unset an embedded PostgreSQL is started under
``.pgdata/``; with ``CELERY_BROKER_URL`` unset Celery tasks run eagerly in the web process.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "development-only-insecure-key"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "cooperation.admin_site.PortalAdminConfig",  # the admin site, administrators only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "csp",
    "axes",
    "django_prometheus",
    "cooperation",
    "agreements",
    "operations",
    "summaries",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The request id in every log line written while the request is served.
    "cooperation.observability.RequestIdMiddleware",
    "csp.middleware.CSPMiddleware",
    # A database outage met inside (a view, the session, the user) answers 503, not 500.
    "cooperation.outage.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Responses to a signed-in or token request are never stored by a cache.
    "cooperation.security.PrivateResponseMiddleware",
    # After authentication: the change set of an unsafe request names its user.
    "cooperation.history.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # As django-axes asks, after the others: turns a locked-out sign-in into its page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# History (django-pghistory): reads open no change set; every event table is append-only.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Each event at the moment it happened (not its transaction's start): a timeline keeps the
# order of the writes inside one transaction too.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"
# Triggers on the plain many-to-many tables (no migration state of their own) are installed
# after each migrate; the others come with the migrations.
PGTRIGGER_INSTALL_ON_MIGRATE = True

ROOT_URLCONF = "cooperation.urls"
WSGI_APPLICATION = "cooperation.wsgi.application"

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
                "cooperation.context_processors.portal",
            ],
        },
    },
]

# Widgets render with the project's templates (``templates/portal/widgets/``) as well as
# Django's own.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# PostgreSQL is the only engine: a real server from DATABASE_URL, else the embedded one.
EMBEDDED_POSTGRES_DIR = Path(os.environ.get("EMBEDDED_POSTGRES_DIR", BASE_DIR / ".pgdata"))
if os.environ.get("DATABASE_URL"):
    _database_url = os.environ["DATABASE_URL"]
else:
    from cooperation.embedded_postgres import database_url

    _database_url = database_url(EMBEDDED_POSTGRES_DIR)
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A kept connection is checked before a request uses it: one the database dropped (a
        # restart) is replaced, not failed on.
        conn_health_checks=True,
    )
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...)")
# Django's PostgreSQL backend, counting queries and their errors for Prometheus.
DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
# No JIT compilation: our statements are short and many; a page of a thousand rows, or a count
# over a million through the visibility rule, crosses the planner's JIT threshold only to spend
# longer compiling than running (45 of 90 ms for the page, ~120 ms for the count).
#
# pgtrigger.ignore defined (as an empty list) from the start of each session: the check every
# history trigger makes ("is this trigger ignored?") otherwise raises and catches an error,
# row by row, until something sets it — a cost of ~0.3 ms per written row, growing with the
# rows of a transaction (3.5 s for 10,000 seizures inserted at once; 0.7 s with it).
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"]["options"] = " ".join(
    filter(
        None,
        [
            DATABASES["default"]["OPTIONS"].get("options", ""),
            "-c jit=off",
            "-c pgtrigger.ignore={}",
        ],
    )
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "cooperation.User"
# django-axes first: a sign-in (portal or admin) is refused after AXES_FAILURE_LIMIT failures
# for one user name from one address, for AXES_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = int(os.environ.get("AXES_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a proxy (SECURE_PROXY_SSL_HEADER=1), the client's address is the forwarded one.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Messages stay on the server: a new API token's key is shown once through one.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# -- Security --------------------------------------------------------------------------------
# Production (DEBUG=0) is HTTPS only: secure cookies, HSTS, redirect to https. Behind a proxy
# that ends TLS, set SECURE_PROXY_SSL_HEADER=1 (it must set X-Forwarded-Proto).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]  # probes inside the network
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_HOURS", "12")) * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp): scripts, styles, fonts and images from the portal's
# own origin only — no inline script or style anywhere, no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]

# The cache holds the API's throttle counts: per process by default; CACHE_URL (a redis://
# URL) shares them between every web process and machine, as a deployment needs.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cooperation.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "cooperation.api.permissions.ReadOnlyTokenPermission",
        "cooperation.api.permissions.RecordPermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["cooperation.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("API_THROTTLE_RATE", "120/min"),
        "anon": os.environ.get("API_ANON_THROTTLE_RATE", "60/min"),
    },
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cooperation.api.errors.handle",
    "DEFAULT_PARSER_CLASSES": [
        "cooperation.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "COERCE_DECIMAL_TO_STRING": False,
    # Anonymous clients are throttled by address: REMOTE_ADDR, or — behind NUM_PROXIES proxies
    # that each append to X-Forwarded-For — the address the outermost one saw. A client's own
    # X-Forwarded-For is never believed.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
    "URL_FORMAT_OVERRIDE": "format",
    # Path parameters keep the name "pk": country and vocabulary keys are codes, not ids.
    "SCHEMA_COERCE_PATH_PK": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Counter-narcotics cooperation records API",
    "DESCRIPTION": (
        "Agreements, joint operations, seizures and the partners behind them. Authenticate "
        "with `Authorization: Token <key>`; what a token's user may not see does not exist "
        "here (404). Page with `?page=` or, for bulk pulls, `?cursor=`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cooperation.api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PartyRoleEnum": "agreements.models.PartyRole",
        "ParticipationRoleEnum": "operations.models.ParticipationRole",
        "ImpactKindEnum": "operations.models.ImpactKind",
        "JournalKindEnum": "operations.models.JournalKind",
        "AgreementKindEnum": "agreements.models.AgreementKind",
        "PartnerKindEnum": "cooperation.models.PartnerKind",
    },
}

# Celery: Redis broker from the environment; without one, tasks run eagerly in-process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Workers log through LOGGING above (JSON lines with the request id), not Celery's own set-up.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A task a lost worker took is handed to another after this many seconds (Redis keeps it
# unacknowledged until then); longer than the longest task.
# Who may read /metrics (Prometheus): the probes' networks, never the public.
METRICS_ALLOWED_NETWORKS = env_list(
    "METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
)
# The largest JSON body the API reads (an operation with hundreds of nested seizures fits).
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(5 * 1024 * 1024)))
# The queue of the import jobs (empty: Celery's default queue), for workers of their own.
IMPORT_QUEUE = os.environ.get("IMPORT_QUEUE", "")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
}

# When beat queues the cooperation summaries: crontab fields "minute hour day month weekday",
# in TIME_ZONE; each may be overridden from the environment.
SUMMARY_SCHEDULE = {
    "monthly": os.environ.get("SUMMARIES_MONTHLY_CRON", "15 1 1 * *"),
    "quarterly": os.environ.get("SUMMARIES_QUARTERLY_CRON", "30 1 1 1,4,7,10 *"),
    "yearly": os.environ.get("SUMMARIES_YEARLY_CRON", "45 1 1 1 *"),
    "month_to_date": os.environ.get("SUMMARIES_NIGHTLY_CRON", "0 2 * * *"),
}


def _crontab(fields: str):
    from celery.schedules import crontab

    minute, hour, day_of_month, month_of_year, day_of_week = fields.split()
    return crontab(minute, hour, day_of_week, day_of_month, month_of_year)


CELERY_BEAT_SCHEDULE = {
    "summaries-monthly": {
        "task": "summaries.tasks.summarize_previous_period",
        "schedule": _crontab(SUMMARY_SCHEDULE["monthly"]),
        "args": ("month",),
    },
    "summaries-quarterly": {
        "task": "summaries.tasks.summarize_previous_period",
        "schedule": _crontab(SUMMARY_SCHEDULE["quarterly"]),
        "args": ("quarter",),
    },
    "summaries-yearly": {
        "task": "summaries.tasks.summarize_previous_period",
        "schedule": _crontab(SUMMARY_SCHEDULE["yearly"]),
        "args": ("year",),
    },
    "summaries-month-to-date": {
        "task": "summaries.tasks.refresh_month_to_date",
        "schedule": _crontab(SUMMARY_SCHEDULE["month_to_date"]),
    },
    # Import jobs the broker could not take when they were started, or whose worker died.
    "imports-requeue-stalled": {
        "task": "cooperation.tasks.requeue_stalled_imports",
        "schedule": 60.0,
    },
}

# Logs: one JSON object per line in production (LOG_FORMAT=json, the default when DEBUG is
# off), readable lines in development; the request id in both (cooperation.observability).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "cooperation.observability.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # One line per history trigger on every migrate says nothing an operator needs.
    "loggers": {"pgtrigger": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
