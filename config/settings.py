"""Settings for the records-of-processing portal, read from the environment.

Every value that differs between a laptop and production comes from an environment variable
(django-environ); nothing exists only in production. With DEBUG off, a SECRET_KEY must be given.
"""

import zoneinfo
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="debug-only-key-not-for-any-deployed-instance")
else:
    SECRET_KEY = env("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("Set the SECRET_KEY environment variable (DEBUG is off).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin, whose default site asks staff for a second factor.
    "apps.accounts.admin_config.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_countries",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "import_export",
    # Background tasks: django-tasks (Django 6's django.tasks API) and its database backend.
    "django_tasks",
    "django_tasks_db",
    # The REST API (django-ninja): its interactive docs' static files and template.
    "ninja",
    # Ours, from the ground up: core, the trail, the domain, then the doors.
    "apps.core",
    "apps.trail",
    "apps.accounts",
    "apps.notifications",
    "apps.jobs",
    "apps.controllers",
    "apps.data_categories",
    "apps.processors",
    "apps.subprocessors",
    "apps.dsar",
    "apps.breaches",
    "apps.audit",
    "apps.offboarding",
    "apps.integrations",
    "apps.retention",
    "apps.portal",
    "apps.api",
    "apps.demo",
    "apps.workspace",
]

MIDDLEWARE = [
    "apps.core.logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, checking the session's second factor against the devices read with the user.
    "apps.accounts.middleware.SessionDeviceOTPMiddleware",
    # The reader's time zone for the request (the portal adds the organisation's).
    "apps.accounts.zones.ReaderTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.accounts.middleware.SessionIdleTimeoutMiddleware",
    "apps.accounts.middleware.SecurityEventMiddleware",
    # Outside ATOMIC_REQUESTS, so that a refused or failed page still leaves its access-log line.
    "apps.portal.middleware.AuditAccessLogMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that a lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                # `brand`: the processor's name and logo heading the admin and the portal.
                "apps.processors.context_processors.brand",
            ],
        },
    },
]

# Unset DATABASE_URL: an SQLite file next to manage.py, so the demo runs on a bare machine.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Two roles on PostgreSQL (README, "Database roles"): the application connects as DATABASE_URL's
# role, which may only read and append history; `migrate` connects as MIGRATION_DATABASE_URL's
# role, which owns the tables, and grants the application's role its rights.
MIGRATION_DATABASE = (
    env.db("MIGRATION_DATABASE_URL") if env("MIGRATION_DATABASE_URL", default="") else None
)
DATABASE_APP_USER = DATABASES["default"].get("USER", "")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A psycopg connection pool per process (Django's OPTIONS["pool"]); 0 turns it off.
    pool_size = env.int("DATABASE_POOL_MAX_SIZE", default=0 if DEBUG else 10)
    if pool_size:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": pool_size,
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, reading the user's permissions and second-factor devices with the user.
    "apps.accounts.backends.UserAccessBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Customers sign in to the portal; staff keep the admin's own login at /admin/login/.
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_HOURS", default=24) * 60 * 60

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Date-times shown with their zone ("14 Mar 2026, 23:59 CET"), in each reader's zone.
FORMAT_MODULE_PATH = ["config.formats"]
# The zone staff read times in unless they choose their own: the processor's (the demo's,
# Calljmp LLC, is in Delaware).
PROCESSOR_TIME_ZONE = env("PROCESSOR_TIME_ZONE", default="America/New_York")
if PROCESSOR_TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"PROCESSOR_TIME_ZONE {PROCESSOR_TIME_ZONE!r} is not a time zone.")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Files about data subjects (e.g. the export answering an access request). Never under
    # MEDIA_URL: no URL of its own; only views that check the viewer's right serve them.
    "private": {
        "BACKEND": "apps.core.storage.PrivateFileSystemStorage",
        "OPTIONS": {
            "location": env("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "private")),
            "base_url": None,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# With several app servers, files live on S3-compatible storage (django-storages), not on a
# server's disk. Credentials come from the usual AWS_* environment variables.
FILES_S3_BUCKET = env("FILES_S3_BUCKET", default="")
if FILES_S3_BUCKET:
    s3_options = {
        "bucket_name": FILES_S3_BUCKET,
        "endpoint_url": env("FILES_S3_ENDPOINT_URL", default=None),
        "region_name": env("FILES_S3_REGION", default=None),
        "file_overwrite": False,
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**s3_options, "location": "media", "default_acl": "private"},
    }
    STORAGES["private"] = {
        "BACKEND": "apps.core.storage.PrivateS3Storage",
        "OPTIONS": {**s3_options, "location": "private"},
    }

# The audit trail's chain is keyed (HMAC-SHA256) with a secret that is neither in the database
# nor SECRET_KEY: someone holding a copy of the database and the code cannot re-chain it. Each
# entry names the key id that sealed it; retired keys stay listed so old entries still verify.
AUDIT_CHAIN_KEY_ID = env("AUDIT_CHAIN_KEY_ID", default="k1")
AUDIT_CHAIN_KEY = env(
    "AUDIT_CHAIN_KEY", default="debug-only-audit-chain-key-not-for-deployment" if DEBUG else ""
)
if not AUDIT_CHAIN_KEY:
    raise ImproperlyConfigured("Set the AUDIT_CHAIN_KEY environment variable (DEBUG is off).")
if AUDIT_CHAIN_KEY == SECRET_KEY:
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY must differ from SECRET_KEY.")
AUDIT_CHAIN_KEYS: dict[str, str] = {
    **dict(
        item.split(":", 1) for item in env.list("AUDIT_CHAIN_RETIRED_KEYS", default=[]) if item
    ),
    AUDIT_CHAIN_KEY_ID: AUDIT_CHAIN_KEY,
}
# Signed checkpoints of the chain's head are written outside the database: a directory (on
# another machine's mount, ideally) or, with AUDIT_CHECKPOINT_S3_BUCKET, an S3 prefix (each
# checkpoint is a new object, never overwritten: a bucket with object lock keeps them).
AUDIT_CHECKPOINT_S3_BUCKET = env("AUDIT_CHECKPOINT_S3_BUCKET", default="")
if AUDIT_CHECKPOINT_S3_BUCKET:
    STORAGES["trail_checkpoints"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AUDIT_CHECKPOINT_S3_BUCKET,
            "endpoint_url": env("AUDIT_CHECKPOINT_S3_ENDPOINT_URL", default=None),
            "region_name": env("AUDIT_CHECKPOINT_S3_REGION", default=None),
            "location": env("AUDIT_CHECKPOINT_S3_PREFIX", default="trail-checkpoints"),
            "file_overwrite": False,
            "default_acl": "private",
        },
    }
else:
    STORAGES["trail_checkpoints"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env("AUDIT_CHECKPOINT_DIR", default=str(BASE_DIR / "trail-checkpoints")),
            "base_url": None,
        },
    }

EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="privacy@calljmp.example")
# Seconds the mail server may take on each step (connecting, each reply) before a sender gives
# up and reschedules the message; passed to the SMTP connection. Mail is sent by workers only.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10)

# Background tasks (django-tasks). TASKS_BACKEND=database (the default) keeps the queue in the
# database: `manage.py db_worker` runs it, and a single server or the demo needs nothing more.
# TASKS_BACKEND=rq puts it on Redis (REDIS_URL) for several servers: `manage.py rqworker
# --job-class django_tasks_rq.Job default` runs it. Requests only enqueue, after they commit.
TASKS_BACKEND = env("TASKS_BACKEND", default="database")
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # RQ's queues (django-rq); a job that runs longer than an hour is stopped.
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL, e.g. redis://host:6379/0.")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # RQ's worker command (rqworker) and the backend, before our apps like every library.
    first_of_ours = INSTALLED_APPS.index("apps.core")
    INSTALLED_APPS[first_of_ours:first_of_ours] = ["django_rq", "django_tasks_rq"]
else:
    raise ImproperlyConfigured("TASKS_BACKEND is either database or rq.")
# /healthz answers 503 once the oldest task waiting to run has waited this many seconds.
TASKS_STUCK_AFTER = env.int("TASKS_STUCK_AFTER", default=600)

# Security headers and cookies. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The load balancer probes over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions end after this much inactivity: customers, and (shorter) staff.
SESSION_COOKIE_AGE = env.int("CUSTOMER_SESSION_IDLE_MINUTES", default=60) * 60
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_MINUTES", default=30) * 60
# A request pushes a session's end on by saving it, at most once in this many seconds (a page
# read sooner writes nothing): a session ends up to this much before its idle time is up.
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts only from our own origin, never inline. The
# admin sets a few style attributes, hence inline styles are allowed; nothing else is.
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

# django-simple-history: the acting user comes from HistoryRequestMiddleware; reading history in
# the admin needs the view permission of the historical model, and nobody edits the past.
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# django-axes: lock a user name and address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
# One counter per normalised address: "MULTI@x" gets no fresh tries after "multi@x" is locked.
AXES_USERNAME_CALLABLE = "apps.accounts.identity.axes_username"
AXES_VERBOSE = False
# Password-reset requests allowed per hour, per address and per client address.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=3)
PASSWORD_RESET_LIMIT_PER_CLIENT = env.int("PASSWORD_RESET_LIMIT_PER_CLIENT", default=10)
# A portal page (HTTP 429) that says when to try again, for the portal and the admin alike.
AXES_LOCKOUT_TEMPLATE = "portal/lockout.html"

# Two-factor authentication: the issuer name shown in authenticator apps.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Calljmp records")

# django-import-export: an import is all or nothing (one bad row writes no row), the preview shows
# each row's diff, and the uploaded file waits for confirmation in the default file storage (S3
# in production), never on an app server's disk. Import needs add and change; export needs view.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Domain settings.
SUBPROCESSOR_NOTICE_DAYS = env.int("SUBPROCESSOR_NOTICE_DAYS", default=30)
# Outbox: attempts before a message is shown as failed. Pauses grow 1, 2, 4 ... minutes up to
# six hours, so 12 attempts ride out a mail server that is down for about a day.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=12)
# Outbox bodies are stored encrypted (Fernet): the key is not in the database, so a copy of the
# tables holds no sign-in link. Make one with `python -c "from cryptography.fernet import Fernet;
# print(Fernet.generate_key().decode())"`. To rotate, list the old key (comma-separated) in
# OUTBOX_ENCRYPTION_RETIRED_KEYS until the messages it sealed are sent.
OUTBOX_ENCRYPTION_KEY = env(
    "OUTBOX_ENCRYPTION_KEY",
    # base64 of "debug-only-outbox-key-not-deploy": development only.
    default="ZGVidWctb25seS1vdXRib3gta2V5LW5vdC1kZXBsb3k=" if DEBUG else "",
)
if not OUTBOX_ENCRYPTION_KEY:
    raise ImproperlyConfigured("Set the OUTBOX_ENCRYPTION_KEY environment variable (DEBUG is off).")
OUTBOX_ENCRYPTION_RETIRED_KEYS = env.list("OUTBOX_ENCRYPTION_RETIRED_KEYS", default=[])
# Links in emails sent outside a request (invitations) start with this address.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# How long an invitation link to set a first password stays valid.
PORTAL_INVITATION_DAYS = env.int("PORTAL_INVITATION_DAYS", default=7)
PORTAL_PAGE_SIZE = 25
# Data-subject requests: our own answer target (calendar days from submission, paused while we
# wait on the customer), how long an erased subject's identifier is kept after completion, and
# what an attachment may be.
DSAR_RESPONSE_TARGET_DAYS = env.int("DSAR_RESPONSE_TARGET_DAYS", default=14)
DSAR_SCRUB_AFTER_DAYS = env.int("DSAR_SCRUB_AFTER_DAYS", default=30)
DSAR_ATTACHMENT_MAX_BYTES = env.int("DSAR_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Breaches: our own target to have notified every affected controller, hours after awareness.
BREACH_NOTIFY_TARGET_HOURS = env.int("BREACH_NOTIFY_TARGET_HOURS", default=24)
# Deletion and return: days a deletion request can be cancelled before a Privacy Officer may
# confirm it, and how long the download link of a data export stays valid.
OFFBOARDING_COOLING_OFF_DAYS = env.int("OFFBOARDING_COOLING_OFF_DAYS", default=14)
OFFBOARDING_EXPORT_LINK_DAYS = env.int("OFFBOARDING_EXPORT_LINK_DAYS", default=7)
# Retention (GDPR Art. 5(1)(e)): days each category of our own records is kept before
# `apply_retention` (daily, cron) deletes or anonymises it (apps/retention/schedule.py, README
# "Retention"). The defaults, and why:
RETENTION_DAYS = {
    # A year: a breach is often found months after the failed sign-ins that began it, and a
    # yearly security review compares the year. Then anonymised: kind and time stay.
    "security_events": env.int("RETENTION_SECURITY_EVENTS_DAYS", default=365),
    # Two years: a customer audit, its report and a dispute about it (DPA clause 10).
    "audit_access_log": env.int("RETENTION_AUDIT_ACCESS_LOG_DAYS", default=730),
    # Thirty days after a message was sent (or given up): long enough to answer "what did you
    # send us"; recipient, subject and outcome stay as proof that the notice went out.
    "outbox_bodies": env.int("RETENTION_OUTBOX_BODY_DAYS", default=30),
    # Ninety days of sign-in records (addresses, browsers): enough to trace an account taken
    # over; the lockout itself needs only AXES_COOLOFF_HOURS. Set the log collector that keeps
    # the JSON request lines from stdout to the same period.
    "request_logs": env.int("RETENTION_REQUEST_LOG_DAYS", default=90),
    # Thirty days, as `prune_db_task_results --min-age-days 30` did: time to read a failure.
    "task_results": env.int("RETENTION_TASK_RESULT_DAYS", default=30),
    # Thirty days after the link expired (PORTAL_INVITATION_DAYS): time for a customer to ask
    # why a colleague never arrived, then the unused account is erased.
    "invitations": env.int("RETENTION_INVITATION_DAYS", default=30),
    # Seven days after the download link expired (OFFBOARDING_EXPORT_LINK_DAYS): the file of a
    # customer's whole data is kept no longer than a late download needs.
    "data_exports": env.int("RETENTION_DATA_EXPORT_DAYS", default=7),
}
# The dashboard flags the schedule when no run has finished within this many hours.
RETENTION_STALE_AFTER_HOURS = 48
# Long jobs (apps/jobs): how long a job's file (a PDF made on demand) is kept for the person who
# started it, and how long a running job may go without reporting progress before it counts as
# stalled (its worker stopped) and may be retried.
JOB_RESULT_DAYS = env.int("JOB_RESULT_DAYS", default=7)
JOB_STALLED_AFTER_MINUTES = env.int("JOB_STALLED_AFTER_MINUTES", default=15)

# The REST API (apps/api, /api/v1/) and webhooks (apps/integrations). Requests per minute per
# token, counted in the cache (CACHE_URL: the process's memory by default; with several app
# servers, a shared one such as redis://host:6379/1, or the limit holds per server).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
# The longest a token may last, and how often its last use is written down (a busy token does
# not write a history row per request).
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
API_TOKEN_LAST_USE_MINUTES = env.int("API_TOKEN_LAST_USE_MINUTES", default=60)
# Webhook deliveries: seconds a receiver may take on each step; an endpoint is paused once every
# delivery has failed for this many hours, at least this many times in a row; resuming sends
# what it missed in the last WEBHOOK_RESUME_DAYS. Private and plain-http targets are refused
# outside development.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10)
WEBHOOK_PAUSE_AFTER_HOURS = env.int("WEBHOOK_PAUSE_AFTER_HOURS", default=24)
WEBHOOK_PAUSE_MIN_FAILURES = env.int("WEBHOOK_PAUSE_MIN_FAILURES", default=5)
WEBHOOK_RESUME_DAYS = env.int("WEBHOOK_RESUME_DAYS", default=7)
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=not DEBUG)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "apps.core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # runserver prints its own access lines; the request log says the same in JSON.
        "django.server": {"level": "WARNING"},
    },
}
