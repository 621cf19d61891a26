"""Settings for 百日竞赛, read from the environment and nowhere else.

Nothing set: SQLite under var/, Celery tasks run in-process, DEBUG off.
See README.md for every variable.
"""

import importlib.metadata
import os
import tomllib
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


# The documented spellings of a boolean (README, "Configuration"), compared case-blind.
TRUE_SPELLINGS = ("1", "true", "yes", "on")
FALSE_SPELLINGS = ("0", "false", "no", "off")


def _env(name: str) -> str | None:
    """The variable's value stripped, or None when it is unset or blank (the default applies)."""
    value = os.environ.get(name, "").strip()
    return value or None


def envbool(name: str, default: bool = False) -> bool:
    """A boolean in one of the documented spellings; any other value stops start-up.

    A typo must not silently mean False: `SECURE_SSL_REDIRECT=flase` would turn HTTPS off.
    """
    value = _env(name)
    if value is None:
        return default
    if value.lower() in TRUE_SPELLINGS:
        return True
    if value.lower() in FALSE_SPELLINGS:
        return False
    accepted = "/".join(TRUE_SPELLINGS) + " or " + "/".join(FALSE_SPELLINGS)
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use {accepted} (any case), or leave it unset."
    )


def envint(name: str, default: int) -> int:
    """A whole number; anything else stops start-up naming the variable."""
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a whole number (e.g. {default}), or leave it unset."
        ) from None


def envdecimal(name: str, default: str) -> Decimal:
    """A decimal number (e.g. 万元 thresholds); anything else stops start-up naming the variable."""
    value = _env(name)
    if value is None:
        return Decimal(default)
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a decimal number (e.g. {default}), or leave it unset."
        )
    return number


def package_version() -> str:
    """The release being run: pyproject.toml's version (the installed package's without it)."""
    pyproject = BASE_DIR / "pyproject.toml"
    if pyproject.exists():
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    return importlib.metadata.version("bairi")


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "django_tables2",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "departments",
    "notifications",  # 通知: in-app list and e-mail
    "projects",
    "competition",
    "axes",  # lock-out after failed logins (accounts/)
    "accounts",  # logins, passwords, lock-out, people pages
    "audit",  # change log and security log over every app's history
    "demo",  # loaddemo: the speech's figures
    "bench",  # bench, loadtest, ledger_bench
    "ops",  # backup and restore commands
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "web.middleware.AdminContentSecurityPolicyMiddleware",  # inside CSP's: before its header
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "web.middleware.PrivatePagesMiddleware",  # Cache-Control: private, no-store when signed in
    "web.middleware.IdleSessionMiddleware",  # extends a session once a minute, not per request
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.RequestAddressMiddleware",  # the address audit rows record
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "config.urls"

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
                "departments.context_processors.roles",
                "notifications.context_processors.unread",  # the header's count, lazily
            ],
        },
    },
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "config.wsgi.application"

# var/ is git-ignored: the embedded SQLite database and uploaded media live there.
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
        # A connection kept between requests (DB_CONN_MAX_AGE) is checked before a request
        # reuses it (one round trip), so a database restarted or failed over overnight
        # costs each web thread a reconnect, not its next request a 500.
        conn_health_checks=envbool("DB_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves a small office: several people write at once. WAL lets
    # readers go on while one writes; a writer waits up to 20 s for the lock instead of
    # failing, and takes it when its transaction begins (IMMEDIATE), so two transactions
    # that read and then write never deadlock into "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Every select list of a form iterates its queryset; a server-side cursor costs three
    # round trips (DECLARE, FETCH, CLOSE) for a few dozen rows, and breaks behind a
    # transaction-pooling pgbouncer. Our largest reads (exports) fit in memory.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = envbool(
        "DB_DISABLE_SERVER_SIDE_CURSORS", True
    )
    # Parameters sent apart from the statement (psycopg's server-side binding) and each
    # statement prepared on its connection once it has run 5 times (psycopg's default
    # threshold; Django turns preparing off unless asked). The load test's liaison flow
    # through two gunicorn workers side by side, in turn: 14.2–15.5 → 13.6–14.8 ms of the
    # worker's CPU per request; under the load test PostgreSQL's CPU fell from 2.1–2.2 to
    # 1.5 ms per request (README, Performance, round 8). Preparing pays only on connections
    # kept between requests (DB_CONN_MAX_AGE). Behind a transaction-pooling pgbouncer
    # older than 1.21 turn DB_PREPARED_STATEMENTS off: a prepared statement belongs to one
    # server connection.
    db_options = DATABASES["default"].setdefault("OPTIONS", {})
    db_options["server_side_binding"] = envbool("DB_SERVER_SIDE_BINDING", True)
    if db_options["server_side_binding"] and envbool("DB_PREPARED_STATEMENTS", True):
        db_options["prepare_threshold"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 等保 2.0: 8 characters or more, of at least three of upper case, lower case, digits,
    # other characters (in place of Django's MinimumLengthValidator: Chinese messages).
    {
        "NAME": "accounts.validators.ComplexityValidator",
        "OPTIONS": {"min_length": 8, "min_classes": 3},
    },
]
# The lock-out backend first: it refuses a locked-out username+address before any check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading a signed-in user and their roles in one query.
    "accounts.backends.RolesBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing directory
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
# Media (evidence, report PDFs) in S3-compatible object storage when a bucket is set
# (pip install '.[s3]'): needed once web and worker processes run on several machines.
# Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, read by boto3.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
if AWS_STORAGE_BUCKET_NAME or S3_ENDPOINT_URL:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": S3_ENDPOINT_URL or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "querystring_auth": True,  # evidence is private: signed, short-lived URLs only
            "file_overwrite": False,
        },
    }
# Evidence is served through a permission-checked view, never straight from MEDIA_URL.
EVIDENCE_MAX_BYTES = envint("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
# Ledger imports (台账): the largest workbook accepted, and the rows read per sheet; a
# sheet longer than that is refused with one message (a province's whole year fits).
LEDGER_MAX_BYTES = envint("LEDGER_MAX_BYTES", 10 * 1024 * 1024)
LEDGER_MAX_ROWS = envint("LEDGER_MAX_ROWS", 50_000)
# Request bodies (README, Production: the reverse proxy's client_max_body_size is the hard
# cap). Form fields but files: 2.5 MiB (Django's default). Uploaded files above 2.5 MiB
# are spooled to temporary files (FILE_UPLOAD_TEMP_DIR, the system's by default) rather
# than held in memory, then refused above EVIDENCE_MAX_BYTES / LEDGER_MAX_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
# Django's 1000 is too few: a competition's admin page posts about 10 fields per quota,
# and 100 departments take part (tests/test_request_limits.py).
DATA_UPLOAD_MAX_NUMBER_FIELDS = envint("DATA_UPLOAD_MAX_NUMBER_FIELDS", 5000)

# Security: production-like defaults when DEBUG is off; every one can be relaxed by env.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe /healthz over plain HTTP on the private side (config/health.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# The preload directive only offers the domain to browsers' HSTS preload list; it takes
# effect when the domain's owner submits it there. check --deploy asks for it (W021).
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = envint("SESSION_IDLE_SECONDS", 30 * 60)
# Idle expiry: a signed-in session is saved, and so extended, when this many seconds
# have passed since its last save (web.middleware.IdleSessionMiddleware), not on every
# request: a page view writes nothing most of the time.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = envint("SESSION_REFRESH_SECONDS", 60)

# Accounts and audit (accounts/): 等保 2.0 level 2.
# Reverse proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR).
# The client address of lock-outs and audit rows is read from here and nowhere else.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a successful login clears the failures before it
AXES_CLIENT_IP_CALLABLE = "web.addresses.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.views.password.locked_out"
AXES_VERBOSE = False  # accounts.receivers logs each failure and lock-out once
# Audit rows (history of counted records, security events) are kept at least this long.
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 184)
# Uploads per user and minute (web.ratelimit.rate_limited).
UPLOAD_RATE_PER_MINUTE = envint("UPLOAD_RATE_PER_MINUTE", 30)
# "default": rate-limit counters (web.ratelimit), one for every process: Redis when
# CACHE_URL is set, else per process (login lock-outs are django-axes rows in the
# database). "pages": drawn page parts (tables, forms, the league: README, Performance),
# each under a key naming what it shows; a store of its own in each process, so that page
# entries can never evict a counter. It holds PAGES_CACHE_ENTRIES (2,000: a create form per
# department and each list's recent pages, a few MB), not LocMem's default 300, past which
# it drops a third of its entries at once. "shared": drawn parts that are dear to draw and
# the same for every process (the league's table: 186 ms of CPU), drawn once for all of
# them: Redis when CACHE_URL is set (its entries expire after SHARED_CACHE_SECONDS, since
# the key changes with every recompute), else a store of its own; a cache that cannot be
# reached is a miss (web.fragments). Keys are namespaced per release (CACHE_KEY_PREFIX, by
# default the package version), so a deploy never reads what older code wrote.
CACHE_URL = os.environ.get("CACHE_URL", "")
SHARED_CACHE_SECONDS = envint("SHARED_CACHE_SECONDS", 600)
if SHARED_CACHE_SECONDS < 1:
    raise ImproperlyConfigured(f"SHARED_CACHE_SECONDS={SHARED_CACHE_SECONDS} must be at least 1.")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX") or package_version()
CACHES = {
    "default": {
        **(
            {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
            if CACHE_URL
            else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}
        ),
        "KEY_PREFIX": CACHE_KEY_PREFIX,
    },
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        "OPTIONS": {"MAX_ENTRIES": envint("PAGES_CACHE_ENTRIES", 2000)},
    },
    "shared": {
        **(
            {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": CACHE_URL,
                # A Redis that hangs is a miss after a second, not a page that waits.
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
            if CACHE_URL
            else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"}
        ),
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        "TIMEOUT": SHARED_CACHE_SECONDS,
    },
}
# Only a Redis (CACHE_URL) is one store for every web process: values forgotten when they
# change (web.shared_values) and sessions are kept there only then. A session is read from
# it and written through to the database (web.sessions, Django's cached_db): no session
# SELECT on every request. With a store per process, a logout in one process would leave
# the session alive in the others.
SHARED_VALUES = bool(CACHE_URL)
SESSION_ENGINE = "web.sessions" if SHARED_VALUES else "django.contrib.sessions.backends.db"
SESSION_CACHE_ALIAS = "shared"  # read by web.sessions only
# Content-Security-Policy (django-csp): no inline scripts or styles, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    }
}
# The admin's pages only (web.middleware): Django's admin and simple-history write inline
# style attributes. Styles only; scripts stay 'self' there too.
ADMIN_CSP_UPDATE = {"style-src": [UNSAFE_INLINE]}

# Celery: no broker configured means every task runs in-process (embedded mode).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A change reaches the stored league this many seconds later at most (plus the recompute):
# the changes of those seconds are recomputed together (competition.tasks.queue_recompute).
RECOMPUTE_DELAY_SECONDS = envint("RECOMPUTE_DELAY_SECONDS", 3)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 360)
# Longer than any task, so Redis never re-delivers a task that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A save must not hang when the broker is down: give up publishing quickly (see
# competition/league/recompute.py: the stale marker and the sweep catch up later).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = envint("CELERY_BROKER_CONNECTION_TIMEOUT", 2)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# E-mail (notifications): SMTP when EMAIL_HOST is set, else each message is written to
# standard error (the console backend). Sent by Celery tasks after commit, never inside
# a request (notifications.tasks).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one of them.")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "noreply@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's address as users browse to it (https://zsyz.example.gov.cn): e-mails link
# to the notification's page under it. Empty: e-mails carry no link.
SITE_URL = os.environ.get("SITE_URL", "").strip()

# Domain thresholds (DOMAIN.md); settings, not constants, because cities differ.
MAJOR_PROJECT_MIN_INVESTMENT = envdecimal("MAJOR_PROJECT_MIN_INVESTMENT", "5000")
REWARD_MIN_INVESTMENT = envdecimal("REWARD_MIN_INVESTMENT", "5000")
REWARD_MIN_REGISTERED_CAPITAL = envdecimal("REWARD_MIN_REGISTERED_CAPITAL", "2024")
REWARD_ZONES = envlist("REWARD_ZONES", "经济开发区,港经济区")
# Persons in one visit batch (接待人数): more than a few hundred is a typing error, and
# it would be counted in the league at once. Forms and the ledger import refuse more.
VISIT_MAX_PERSONS = envint("VISIT_MAX_PERSONS", 500)
if VISIT_MAX_PERSONS < 1:
    raise ImproperlyConfigured(f"VISIT_MAX_PERSONS={VISIT_MAX_PERSONS} must be at least 1.")
# 补录 (late entry): a record typed in more than this many days after the day it happened
# is marked as such on lists, in its history and in 红黑榜's 基础工作 (projects.lateness).
LATE_ENTRY_DAYS = envint("LATE_ENTRY_DAYS", 7)
if LATE_ENTRY_DAYS < 0:
    raise ImproperlyConfigured(f"LATE_ENTRY_DAYS={LATE_ENTRY_DAYS} must not be negative.")
# A create form's one-time token (projects.Submission) answers a repeat of that form
# (a double-click, the back button) with the first result; after this many days it is
# purged nightly (projects.tasks), and the table stays as small as a month's entries.
SUBMISSION_KEEP_DAYS = envint("SUBMISSION_KEEP_DAYS", 30)
if SUBMISSION_KEEP_DAYS < 1:
    raise ImproperlyConfigured(f"SUBMISSION_KEEP_DAYS={SUBMISSION_KEEP_DAYS} must be at least 1.")
# 整改 (rectification) of a yellow card is due this many days after the bulletin that
# issued it; past that, an open card without an accepted or submitted 整改 is overdue
# (competition.cards) and goes on 黑榜.
CARD_RECTIFICATION_DAYS = envint("CARD_RECTIFICATION_DAYS", 7)
if CARD_RECTIFICATION_DAYS < 1:
    raise ImproperlyConfigured(
        f"CARD_RECTIFICATION_DAYS={CARD_RECTIFICATION_DAYS} must be at least 1."
    )
# A bulletin lists at most this many major (and reward-eligible) projects, largest first;
# its counts still cover them all. A province-wide competition has thousands.
REPORT_PROJECT_ROWS = envint("REPORT_PROJECT_ROWS", 100)
# The Fandol fonts (仿宋, 黑体, 楷体, 小标宋 classes of GB/T 9704) the PDFs are set in;
# scripts/start and scripts/test extract them from Debian's texlive-lang-chinese into
# this git-ignored folder. Missing fonts make the PDFs fall back to Noto CJK (a warning).
REPORT_FONTS_DIR = Path(os.environ.get("REPORT_FONTS_DIR", BASE_DIR / "fonts" / "fandol"))

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

from config.logging import formatter_config  # noqa: E402 (settings read top to bottom)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # LOG_FORMAT=json: one JSON object per line (config/logging.py); plain text otherwise.
    "formatters": {"default": formatter_config(os.environ.get("LOG_FORMAT", ""))},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes logs several INFO lines per login; accounts.security writes the useful one.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
