"""The one settings module: every value comes from the environment (and `.env`, `.env.local`)."""

import logging
import os
import secrets
import sys
from pathlib import Path

import environ
from corsheaders.defaults import default_headers as cors_default_headers

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# `.env` first; real environment variables win over it.
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)

APP_ENV = env.str("APP_ENV", default=env.str("FLASK_ENV", default="production")).lower()
if APP_ENV not in {"development", "testing", "staging", "production"}:
    sys.stderr.write(
        f"Configuration error: APP_ENV must be development, testing, staging or production, not {APP_ENV!r}\n"
    )
    raise SystemExit(1)
LENIENT_ENV = APP_ENV in {"development", "testing"}
# The secrets development and testing generated for themselves, read only there: a staging or production start in
# a checkout that has them must still refuse to start without its own.
if LENIENT_ENV and (BASE_DIR / ".env.local").is_file():
    env.read_env(str(BASE_DIR / ".env.local"), overwrite=False)

_log = logging.getLogger("config")


def _refuse(variable: str, why: str = "is required") -> None:
    hint = (
        " (to run locally, set APP_ENV=development, or use `make run` / `make test`, which set it)"
        if "APP_ENV" not in os.environ and "FLASK_ENV" not in os.environ
        else ""
    )
    sys.stderr.write(f"Configuration error: {variable} {why} when APP_ENV={APP_ENV}{hint}\n")
    raise SystemExit(1)


def _generated_secret(variable: str) -> str:
    """A development/testing secret: generated once into `.env.local` and reused by every later process."""
    path = BASE_DIR / ".env.local"
    line = f"{variable}={secrets.token_urlsafe(48)}\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as handle:
            handle.write(line)
    except OSError:
        return line.split("=", 1)[1].strip()
    # Re-read: a concurrent process may have written the variable first; the first line wins.
    for existing in path.read_text().splitlines():
        if existing.startswith(f"{variable}="):
            value = existing.split("=", 1)[1].strip()
            os.environ[variable] = value
            _log.warning("%s was not set: generated one and stored it in .env.local", variable)
            return value
    return line.split("=", 1)[1].strip()


def _secret(variable: str) -> str:
    value = env.str(variable, default="")
    if value:
        return value
    if LENIENT_ENV:
        return _generated_secret(variable)
    _refuse(variable)
    return ""


# --- core -------------------------------------------------------------------------------
SECRET_KEY = _secret("SECRET_KEY")
JWT_SECRET = _secret("JWT_SECRET")
DEBUG = env.bool("DEBUG", default=APP_ENV == "development")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"] if LENIENT_ENV else ["localhost", "127.0.0.1"])
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
SERVICE_NAME = "identity_service"

INSTALLED_APPS = [
    "identity.admin_config.IdentityAdminConfig",  # django.contrib.admin with the company-scoped site
    # Before django.contrib.auth, whose `changepassword` command it replaces with one through the password service.
    "users",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "identity",
    "companies",
    "org",
    "partners",
]

MIDDLEWARE = [
    "identity.middleware.RequestIdMiddleware",
    # Content-Length (all that CommonMiddleware did with APPEND_SLASH off) and Allow on 405/OPTIONS only.
    "identity.middleware.ResponseHeadersMiddleware",
    "identity.middleware.AccessLogMiddleware",
    # Before anything that can answer: a preflight, a 413 or a 401 carries the CORS headers an allowed origin needs.
    "corsheaders.middleware.CorsMiddleware",
    "identity.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, CSRF, Django's request.user and messages serve only the admin: applied under /admin/ alone.
    "identity.middleware.AdminSessionMiddleware",
    "identity.middleware.AdminCsrfViewMiddleware",
    "identity.middleware.AdminAuthenticationMiddleware",
    "identity.middleware.AdminMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- database ---------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=5.0)
DATABASE_PREPARE_THRESHOLD = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
if DATABASE_URL:
    _db = env.db_url_config(DATABASE_URL)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend and pool, with a fail-fast path while the server refuses connections (identity/postgres).
        _db["ENGINE"] = "identity.postgres"
        _options = _db.setdefault("OPTIONS", {})
        _server_side_binding = env.bool("DATABASE_SERVER_SIDE_BINDING", default=True)
        # Every statement, and every wait for a lock, ends after DATABASE_STATEMENT_TIMEOUT (0: never) with an
        # error the API answers as 503, instead of holding the worker until gunicorn kills it. Set at connection
        # start-up, so it costs no round trip; identity.postgres.statement_timeout raises it for a long command.
        _timeout_ms = int(DATABASE_STATEMENT_TIMEOUT * 1000)
        _options["options"] = " ".join(
            filter(
                None,
                [
                    _options.get("options", ""),
                    f"-c statement_timeout={_timeout_ms}",
                    f"-c lock_timeout={_timeout_ms}",
                ],
            )
        )
        _options.update(
            {
                "pool": {
                    # Connections are opened as requests need them and kept while they are used (closed after ten
                    # idle minutes). With a minimum of one, the process's first request waited for the pool's first
                    # connection, and the pool, seeing a client wait, opened a second one: the two were then taken
                    # in turn for ever (the pool hands out the one returned longest ago), each request on another
                    # PostgreSQL backend than the one before. One worker thread uses one connection, always the same.
                    "min_size": 0,
                    "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=8),
                    # How long a request waits for a free or new connection; at most the connect timeout, so that
                    # an unreachable server answers 503 within DATABASE_CONNECT_TIMEOUT + 1 s.
                    "timeout": env.float("DATABASE_POOL_TIMEOUT", default=float(DATABASE_CONNECT_TIMEOUT)),
                    # The pool's background reconnection backs off exponentially (1, 2, 4 … s): give up after one
                    # retry, so that the first request after an outage starts a fresh attempt at once.
                    "reconnect_timeout": 1.0,
                },
                "connect_timeout": DATABASE_CONNECT_TIMEOUT,
                # A server that vanished (no RST, no answer) is noticed within about 10 s: keepalives on idle
                # connections, tcp_user_timeout on unacknowledged writes.
                "keepalives": 1,
                "keepalives_idle": 5,
                "keepalives_interval": 2,
                "keepalives_count": 2,
                "tcp_user_timeout": 10_000,
                # Server-side parameters let psycopg prepare the statements a connection repeats (a write, the
                # caller's user, list pages): after DATABASE_PREPARE_THRESHOLD runs of the same SQL it prepares it,
                # and PostgreSQL then skips parsing and planning it (Django leaves preparing off unless asked). Turn
                # both off behind a transaction-pooling proxy (PgBouncer in transaction mode), which cannot keep
                # prepared statements.
                "server_side_binding": _server_side_binding,
                "prepare_threshold": (DATABASE_PREPARE_THRESHOLD or None) if _server_side_binding else None,
            }
        )
        _db["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        # The pool checks a connection before handing it out: the ones an outage broke are dropped, not used
        # (identity/postgres/base.py: a round trip only when the server has ended the connection).
        _db["CONN_HEALTH_CHECKS"] = True
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "db.sqlite3")}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a writer takes the lock at BEGIN, so concurrent writers queue instead of failing mid-way.
    _db.setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    _db.setdefault("TEST", {})
DATABASES = {"default": _db}
# Rows per table that each process keeps of the by-id reads (identity.rowcache; PostgreSQL only; 0: off).
ROW_CACHE_SIZE = env.int("ROW_CACHE_SIZE", default=10000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ------------------------------------------------------------------------------
CACHE_URL = env.str("CACHE_URL", default="")
CACHES = {
    "default": env.cache_url_config(CACHE_URL)
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "identity"}
}

# --- users and passwords ----------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["users.backends.IdentityBackend"]
# The first creates every hash (and makes the unknown-email refusal cost the same); the others only verify hashes
# that are upgraded to it at the next login (users/hashers.py).
PASSWORD_HASHERS = [
    "users.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "users.hashers.WerkzeugPasswordHasher",
]
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=8)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOCKOUT_MAX_FAILURES = env.int("LOCKOUT_MAX_FAILURES", default=10)
LOCKOUT_SECONDS = env.int("LOCKOUT_SECONDS", default=900)
PASSWORD_RESET_OTP_TTL_MINUTES = env.int("PASSWORD_RESET_OTP_TTL_MINUTES", default=15)
PASSWORD_RESET_OTP_MAX_ATTEMPTS = env.int("PASSWORD_RESET_OTP_MAX_ATTEMPTS", default=3)
# The public reset endpoints answer no sooner than this, whether the email is known or not: the work done for a
# known account (a code written, a mail queued) would otherwise show in the response time.
PASSWORD_RESET_MIN_RESPONSE_SECONDS = env.float("PASSWORD_RESET_MIN_RESPONSE_SECONDS", default=0.2)
INTERNAL_AUTH_TOKEN = env.str("INTERNAL_AUTH_TOKEN", default="")
if not INTERNAL_AUTH_TOKEN and not LENIENT_ENV:
    _refuse("INTERNAL_AUTH_TOKEN")

AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# --- outside services -------------------------------------------------------------------
USE_GUARDIAN_SERVICE = env.bool("USE_GUARDIAN_SERVICE", default=True)
GUARDIAN_SERVICE_URL = env.str("GUARDIAN_SERVICE_URL", default="").rstrip("/")
GUARDIAN_SERVICE_TIMEOUT = env.float("GUARDIAN_SERVICE_TIMEOUT", default=5.0)
GUARDIAN_CACHE_SECONDS = env.int("GUARDIAN_CACHE_SECONDS", default=0)
USE_STORAGE_SERVICE = env.bool("USE_STORAGE_SERVICE", default=False)
STORAGE_SERVICE_URL = env.str("STORAGE_SERVICE_URL", default="").rstrip("/")
STORAGE_REQUEST_TIMEOUT = env.float("STORAGE_REQUEST_TIMEOUT", default=30.0)
MAX_AVATAR_SIZE_MB = env.int("MAX_AVATAR_SIZE_MB", default=5)
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "/media/"

if not LENIENT_ENV:
    if USE_GUARDIAN_SERVICE and not GUARDIAN_SERVICE_URL:
        _refuse("GUARDIAN_SERVICE_URL", "is required with USE_GUARDIAN_SERVICE=true")
    if USE_STORAGE_SERVICE and not STORAGE_SERVICE_URL:
        _refuse("STORAGE_SERVICE_URL", "is required with USE_STORAGE_SERVICE=true")

# --- email ------------------------------------------------------------------------------
USE_EMAIL_SERVICE = env.bool("USE_EMAIL_SERVICE", default=False)
MAIL_SERVER = env.str("MAIL_SERVER", default="")
MAIL_PORT = env.int("MAIL_PORT", default=587)
MAIL_USE_TLS = env.bool("MAIL_USE_TLS", default=True)
MAIL_USE_SSL = env.bool("MAIL_USE_SSL", default=False)
MAIL_USERNAME = env.str("MAIL_USERNAME", default="")
MAIL_PASSWORD = env.str("MAIL_PASSWORD", default="")
MAIL_DEFAULT_SENDER = env.str("MAIL_DEFAULT_SENDER", default="noreply@localhost")
# A send that may succeed later is tried again MAIL_SEND_RETRIES times, waiting MAIL_RETRY_BACKOFF_SECONDS, then
# twice as long before each further try (defaults: 2, 4 and 8 s).
MAIL_SEND_RETRIES = max(0, env.int("MAIL_SEND_RETRIES", default=3))
MAIL_RETRY_BACKOFF_SECONDS = max(0.0, env.float("MAIL_RETRY_BACKOFF_SECONDS", default=2.0))
if USE_EMAIL_SERVICE and not MAIL_SERVER and not LENIENT_ENV:
    _refuse("MAIL_SERVER", "is required with USE_EMAIL_SERVICE=true")
if USE_EMAIL_SERVICE:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
EMAIL_HOST = MAIL_SERVER
EMAIL_PORT = MAIL_PORT
EMAIL_USE_TLS = MAIL_USE_TLS and not MAIL_USE_SSL
EMAIL_USE_SSL = MAIL_USE_SSL
EMAIL_HOST_USER = MAIL_USERNAME
EMAIL_HOST_PASSWORD = MAIL_PASSWORD
DEFAULT_FROM_EMAIL = MAIL_DEFAULT_SENDER
EMAIL_TIMEOUT = 10

# --- rate limits ------------------------------------------------------------------------
RATELIMIT_ENABLED = env.bool("RATELIMIT_ENABLED", default=True)
RATELIMIT_ENABLE = RATELIMIT_ENABLED
RATELIMIT_USE_CACHE = "default"
RATELIMIT_TRUSTED_PROXIES = env.list("RATELIMIT_TRUSTED_PROXIES", default=[])
RATELIMIT_VERIFY_PASSWORD = env.str("RATELIMIT_VERIFY_PASSWORD", default="30/m")
RATELIMIT_VERIFY_PASSWORD_EMAIL = env.str("RATELIMIT_VERIFY_PASSWORD_EMAIL", default="10/m")
RATELIMIT_RESET_REQUEST_IP = env.str("RATELIMIT_RESET_REQUEST_IP", default="5/15m")
RATELIMIT_RESET_REQUEST_EMAIL = env.str("RATELIMIT_RESET_REQUEST_EMAIL", default="3/15m")
RATELIMIT_RESET_CONFIRM = env.str("RATELIMIT_RESET_CONFIRM", default="10/15m")
RATELIMIT_CHANGE_PASSWORD = env.str("RATELIMIT_CHANGE_PASSWORD", default="10/15m")
RATELIMIT_INIT_DB = env.str("RATELIMIT_INIT_DB", default="10/h")
# users.User.email is unique through a case-insensitive constraint (Lower(email)), stricter than the plain
# `unique=True` that auth.E003/W004 look for (W004 once the backend is not ModelBackend itself).
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]
if not CACHE_URL:
    if RATELIMIT_ENABLED and not LENIENT_ENV:
        _refuse("CACHE_URL", "is required with RATELIMIT_ENABLED=true (rate limits need a shared cache)")
    # Local memory is per process: acceptable only where start-up allowed it above.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- HTTP -------------------------------------------------------------------------------
MAX_REQUEST_SIZE_MB = env.int("MAX_REQUEST_SIZE_MB", default=16)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_SIZE_MB * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = not LENIENT_ENV
CSRF_COOKIE_SECURE = not LENIENT_ENV
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not LENIENT_ENV
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = LENIENT_ENV

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["identity.authentication.CookieJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["identity.permissions.GuardianPermission"],
    "DEFAULT_PARSER_CLASSES": ["identity.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["identity.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "identity.renderers.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "identity.pagination.EnvelopePagination",
    "DEFAULT_SCHEMA_CLASS": "identity.schema.AutoSchema",
    "DEFAULT_METADATA_CLASS": "identity.metadata.TokenOnlyMetadata",
    "EXCEPTION_HANDLER": "identity.exception_handler.handle_exception",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Identity Service API",
    "DESCRIPTION": "Companies, users, organization units, positions, customers and subcontractors.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs are public: a stale access_token cookie in the browser must not turn them into a 401.
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["identity.schema.contract_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "identity.schema.contract_shapes",
    ],
    "ENUM_NAME_OVERRIDES": {"LanguageEnum": "users.models.Language"},
}

# --- CORS -------------------------------------------------------------------------------
# Comma-separated origins (`https://app.example.com`) whose pages may call the API with the caller's cookie; empty:
# no CORS headers at all. Other origins get none either.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_HEADERS = (*cors_default_headers, "if-match", "if-none-match", "x-request-id")
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "X-Request-ID"]

# --- metrics ----------------------------------------------------------------------------
# `GET /metrics` needs `Authorization: Bearer <METRICS_TOKEN>` when set; unset, it is served without one only in
# development and testing, and answers 404 elsewhere.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_WITHOUT_TOKEN = LENIENT_ENV

# --- logging ----------------------------------------------------------------------------
# json: one JSON object per line (for a log collector); text: plain lines for a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if APP_ENV == "development" else "json").lower()
if LOG_FORMAT not in {"json", "text"}:
    _refuse("LOG_FORMAT", f"must be json or text, not {LOG_FORMAT!r},")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "identity.logging.RequestContextFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [request_id=%(request_id)s company_id=%(company_id)s "
            "user_id=%(user_id)s] %(message)s"
        },
        "json": {
            "()": "identity.logging.JsonFormatter",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_context"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"}},
}
