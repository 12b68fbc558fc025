"""One settings module, driven by environment variables.

KOPERASI_HOME   folder for the embedded SQLite database, media and the generated secret key (./var)
DATABASE_URL    postgresql://user@host:5432/name for PostgreSQL (production); default SQLite
SECRET_KEY      required in production; otherwise generated once into KOPERASI_HOME
DEBUG           "1" to enable debug pages (development only; the demo keeps it off)
KOPERASI_DEMO   "1" shows the demo logins on the login page and allows plain http
ALLOWED_HOSTS   comma separated; default localhost only
EMAIL_HOST      SMTP server for members' notices (with EMAIL_PORT, EMAIL_HOST_USER,
                EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, DEFAULT_FROM_EMAIL); unset: on the console
"""

import os
import secrets
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


KOPERASI_HOME = Path(os.environ.get("KOPERASI_HOME", "var")).resolve()
KOPERASI_HOME.mkdir(parents=True, exist_ok=True)

DEBUG = env_flag("DEBUG")
DEMO_MODE = env_flag("KOPERASI_DEMO")
TESTING = env_flag("KOPERASI_TESTING") or "pytest" in sys.modules


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = KOPERASI_HOME / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs' Swagger UI from our static files, not a CDN
    "axes",
    "django_tasks",
    "django_tasks_db",
    "koperasi.tenancy",
    "koperasi.audit",
    "koperasi.members",
    "koperasi.membership",
    "koperasi.administration",
    "koperasi.ledger",
    "koperasi.cashdesk",
    "koperasi.savings",
    "koperasi.loans",
    "koperasi.closing",
    "koperasi.governance",
    "koperasi.reports",
    "koperasi.shu",
    "koperasi.web",
]

MIDDLEWARE = [
    # First, so that it sees every answer: errors under /api/ in the API's JSON shape.
    "koperasi.api.JsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "koperasi.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "koperasi.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "koperasi.audit.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "koperasi.urls"
WSGI_APPLICATION = "koperasi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "koperasi.web.context.site",
            ],
            "builtins": ["koperasi.web.templatetags.rupiah"],
        },
    }
]

# Rows per batch of a close step (tests cut a small cooperative into many batches).
CLOSE_BATCH_SIZE = int(os.environ.get("KOPERASI_CLOSE_BATCH_SIZE", "50000"))

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    # The hot statements (koperasi.sqlrows.hot_cursor) are prepared the fifth time a connection
    # runs them: parsed and planned once per connection (measured: planning the teller's account
    # read cost six times its execution). Django's own queries stay bound on the client and are
    # planned for their parameters. Behind a connection pooler in transaction mode that does
    # not keep prepared statements, set KOPERASI_PG_PREPARE=0.
    DATABASES["default"]["OPTIONS"] = {
        "prepare_threshold": 5 if env_flag("KOPERASI_PG_PREPARE", default=True) else None
    }
    # Tests of another database get their own test database: checkouts testing side by side
    # against one server (DATABASE_URL …/a and …/b) never share one.
    _db_name = DATABASES["default"]["NAME"]
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
        "KOPERASI_TEST_DB", "test_koperasi" if _db_name == "postgres" else f"test_{_db_name}"
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": KOPERASI_HOME / "koperasi.sqlite3",
            # IMMEDIATE: a write transaction takes the write lock at BEGIN, so two tellers can never
            # read the same balance and both withdraw it; WAL lets readers continue meanwhile.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The loan portfolio's covering index (INCLUDE) exists on PostgreSQL only, by design; SQLite
# builds the index without the extra column, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests create hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: 5 failures per user name and address lock the pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_ENABLED = not env_flag("AXES_DISABLED")
# Reverse proxies in front of the server (0: none). Behind one, the client's address is read from
# X-Forwarded-For, so a lock-out hits one address, not everyone behind the proxy (see
# docs/operations.md, "Behind a reverse proxy").
KOPERASI_PROXY_COUNT = int(os.environ.get("KOPERASI_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "koperasi.audit.client_address.client_address"

# API bearer tokens expire this many days after they are issued (KOPERASI_TOKEN_DAYS).
API_TOKEN_TTL_DAYS = max(1, int(os.environ.get("KOPERASI_TOKEN_DAYS", "90")))

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "web" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Makassar"

STATIC_URL = "/static/"
STATIC_ROOT = KOPERASI_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root even with finders
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = KOPERASI_HOME / "media"

# Uploads larger than this are refused with a clear message (imports, documents).
MAX_UPLOAD_BYTES = int(os.environ.get("KOPERASI_MAX_UPLOAD_BYTES", 5 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
# Spreadsheet imports (members, payroll; web and CLI alike) refuse a file past these before or
# while reading it (koperasi/tabular.py, docs/operations.md).
UPLOAD_MAX_ROWS = int(os.environ.get("KOPERASI_UPLOAD_MAX_ROWS", 100_000))
UPLOAD_MAX_COLUMNS = int(os.environ.get("KOPERASI_UPLOAD_MAX_COLUMNS", 50))
UPLOAD_MAX_CELL_CHARS = int(os.environ.get("KOPERASI_UPLOAD_MAX_CELL_CHARS", 1000))
UPLOAD_MAX_INFLATED_BYTES = int(
    os.environ.get("KOPERASI_UPLOAD_MAX_INFLATED_BYTES", 50 * 1024 * 1024)
)
UPLOAD_MAX_COMPRESSION_RATIO = int(os.environ.get("KOPERASI_UPLOAD_MAX_COMPRESSION_RATIO", 100))
# `koperasi calc shu --input` refuses a larger JSON file before reading it: enough for a
# million members (about 80 bytes each), far below what would exhaust memory when parsed.
CALC_MAX_INPUT_BYTES = int(os.environ.get("KOPERASI_CALC_MAX_INPUT_BYTES", 128 * 1024 * 1024))

# Pages load scripts, styles, fonts and images from this site only: no inline script, no inline
# style, no eval (htmx is told so in base.html). Pico's form icons are data: images. The API docs
# (django-ninja's Swagger UI) keep to it as they are: their start-up script is a static file.
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

# A login lasts one working day at most (counted from the login), and ends with the browser on
# a shared teller workstation.
SESSION_COOKIE_AGE = int(os.environ.get("KOPERASI_SESSION_MINUTES", "480")) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_flag("KOPERASI_SESSION_AT_BROWSER_CLOSE", default=True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not DEMO_MODE and not TESTING:
    SESSION_COOKIE_SECURE = env_flag("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_flag("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Email (the RAT's notice to members). Without EMAIL_HOST the messages are printed on the console
# (development, the demo); with it they go out by SMTP. Tests use Django's in-memory outbox.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "koperasi@localhost")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
