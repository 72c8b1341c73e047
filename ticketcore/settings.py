"""TicketCore settings. Everything that differs between machines comes from the environment
(django-environ); `.env.example` documents each variable."""
import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# --- Production settings without insecure defaults (issue 13 item 13, docs/adr/0018) ---------
# Outside DEBUG there is no default secret: a guessable one lets anyone forge sessions (admin
# logins). Refused with the same rule `check --deploy` uses (security.W009).
_DEV_SECRET_KEY = "dev-insecure-change-me-" + "x" * 32
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY == _DEV_SECRET_KEY
                    or SECRET_KEY.startswith("django-insecure-") or "change-me" in SECRET_KEY):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG is false (at least 50 characters, "
        "not a placeholder). Generate one with: python -c \"import secrets; print(secrets.token_urlsafe(64))\"")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Behind a TLS-terminating proxy: SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https (the proxy
# must overwrite that header). Plain HTTP keeps working unless SECURE_SSL_REDIRECT is set (API.md).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
_ssl_header = env.list("SECURE_PROXY_SSL_HEADER",
                       default=["HTTP_X_FORWARDED_PROTO", "https"] if SECURE_SSL_REDIRECT else [])
SECURE_PROXY_SSL_HEADER = tuple(_ssl_header) if len(_ssl_header) == 2 else None
_behind_tls = SECURE_PROXY_SSL_HEADER is not None or SECURE_SSL_REDIRECT
# Secure cookies whenever TLS is in front; on plain HTTP a Secure cookie would never come back.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_behind_tls)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_behind_tls)
# Load balancer health checks come over plain HTTP without X-Forwarded-Proto: never redirected.
SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[r"^healthz$"])
# HSTS is only ever sent on HTTPS responses, so a production default costs plain HTTP nothing.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# WebSocket handshakes (ticketcore/origin.py): Origin must match one of these (ALLOWED_HOSTS
# syntax, or scheme://host[:port]); with ALLOWED_HOSTS=* and nothing set, the Origin's host must
# be the request's own Host (same origin).
WS_ALLOWED_ORIGINS = env.list("WS_ALLOWED_ORIGINS",
                              default=[] if "*" in ALLOWED_HOSTS else list(ALLOWED_HOSTS))
# --- end of issue 13 item 13 block ------------------------------------------------------------

# --- Venue mode: the public address (issue 16 item 7, docs/adr/0025) --------------------------
# The address phones reach this server at (scheme://host[:port], no path). Pairing links and QR
# codes are built on it (core/urls.py), never on the address the admin happens to browse (on the
# laptop, 127.0.0.1, which a phone cannot reach). Empty: the request's own address. `make run`
# derives it from PUBLIC_URL or PUBLIC_HOST and then serves HTTPS itself (scripts/run.py); TLS
# is otherwise the reverse proxy's (SECURE_PROXY_SSL_HEADER above).
PUBLIC_URL = env("PUBLIC_URL", default="").strip().rstrip("/")
if PUBLIC_URL:
    from urllib.parse import urlsplit

    _public = urlsplit(PUBLIC_URL)
    try:
        _public_port_ok = _public.port is None or 0 < _public.port < 65536
    except ValueError:
        _public_port_ok = False
    if (_public.scheme not in ("http", "https") or not _public.hostname or not _public_port_ok
            or _public.path or _public.query or _public.fragment or "@" in _public.netloc):
        raise ImproperlyConfigured(
            f"PUBLIC_URL must be http(s)://host[:port] without a path, e.g. https://192.168.1.20:8443; "
            f"got {PUBLIC_URL!r}")
# --- end venue mode ---------------------------------------------------------------------------

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    # Staff API tokens, stored as SHA-256 only (replaces rest_framework.authtoken, docs/adr/0019).
    "accounts",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, no CDN (docs/adr/0017)
    "channels",
    # The project's apps, lowest layer first: each may import only the apps listed before it
    # (and `core`, the shared code below them all, not an app). `ticketcore` is the project
    # itself (settings, urls, serving, commands) and comes last. docs/architecture.md;
    # tests/ticketcore/test_app_layers.py enforces it.
    "events",
    "mirror",
    "tickets",
    "alerts",
    "devices",
    "access",
    "counters",
    "offices",
    "live",
    "backoffice",
    "ticketcore",
]

MIDDLEWARE = [
    "ticketcore.outage.DatabaseOutageMiddleware",  # first: a database outage is 503, never 500
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app itself, under any WSGI server (ADR 0021).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of each response (docs/adr/0029): after the session (Django's order), before
    # CommonMiddleware. Django's LocaleMiddleware minus its look for a language prefix in the
    # path, most of its cost on every scan (bench/i18n_cost.py, docs/adr/0029).
    "core.i18n.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Admin flash messages live in the session. The default (cookie, falling back to the session)
# builds a cookie signer on every request, the scan included, for messages only the admin uses.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "ticketcore.urls"
APPEND_SLASH = False  # the contract's paths have no trailing slash and never redirect

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

WSGI_APPLICATION = "ticketcore.wsgi.application"
ASGI_APPLICATION = "ticketcore.asgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/ticketcore"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A health-check ping is one more round trip on every request (the scan path is one query in
# all). Off by default: a kept connection the server or a proxy closed is noticed without a round
# trip at the start of the next request and replaced (ticketcore/outage.py
# `discard_dropped_connections`); one whose host vanished silently fails one request per thread.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
# The scan's one query is a server-side prepared statement (core/prepared.py, used by access/fastpath.py):
# psycopg only prepares when the connection allows it. Django's own queries use client-side
# binding and are never prepared. Turn off behind a pooler that cannot keep prepared statements
# (PgBouncer in transaction mode before 1.21).
if env.bool("DB_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
# --- Database outages (ticketcore/outage.py, docs/adr/0020) ---
# A request that needs an unavailable database answers 503 with this Retry-After (seconds). A
# database host that does not answer fails a connection attempt after DB_CONNECT_TIMEOUT_S and a
# request whose data the server stopped acknowledging after DB_TCP_USER_TIMEOUT_MS, instead of
# holding a request thread until the kernel gives up (minutes).
OUTAGE_RETRY_AFTER_S = env.int("OUTAGE_RETRY_AFTER_S", default=5)
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT_S", default=5))
DATABASES["default"]["OPTIONS"].setdefault("tcp_user_timeout", env.int("DB_TCP_USER_TIMEOUT_MS", default=10_000))
# --- end database outages ---
# Parallel test runs on one machine (helpers, CI re-runs) each get their own test database.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}

# --- Secrets at rest and database roles (docs/adr/0019) ---------------------------------------
# The application connects (DATABASE_URL) as a role with DML rights only; migrations run as the
# owner (MIGRATE_DATABASE_URL, used by `bin/ticketcore migrate`), which grants this role its
# rights after every migrate (ticketcore/dbroles.py). Empty: nothing is granted (one role does all).
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="")
# Key-encryption keys of the signing keys' private halves (events/keyring.py): base64 32-byte
# keys, comma-separated, the first one current; the others only decrypt rows not yet re-wrapped
# (`manage.py rotate_signing_kek`). A fixed key only where nothing real is signed: DEBUG, or a
# pytest run (pytest sets PYTEST_VERSION; its server processes get the key in tests/servers.py).
SIGNING_KEYS_KEK = env.list("SIGNING_KEYS_KEK", default=[])
if not SIGNING_KEYS_KEK:
    if not (DEBUG or "PYTEST_VERSION" in os.environ):
        raise ImproperlyConfigured(
            "SIGNING_KEYS_KEK is required when DEBUG is false (it encrypts the ticket signing keys). "
            "Generate one: python -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'")
    SIGNING_KEYS_KEK = ["3ewX5ZvJ41mW_ip5jqutGOA-meTyT9IRDN266oxo73c="]  # development only
# --- end secrets at rest and database roles ----------------------------------------------------

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The test suite's parallel workers (pytest-xdist sets PYTEST_XDIST_WORKER: gw0, gw1...) share one
# Redis: each keeps its cache keys (rate limits, throttles) and channel groups apart. Test server
# processes inherit the worker's prefixes (tests/servers.py). Empty everywhere else.
_TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="tc") + _TEST_WORKER,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CHANNEL_PREFIX", default="tc") + _TEST_WORKER},
    }
}

# `make test` sets TEST_FAST_PASSWORD_HASHER: hundreds of test users would otherwise each cost a
# deliberate PBKDF2 (~0.5 s on this machine). Server subprocesses of the tests inherit it.
if env.bool("TEST_FAST_PASSWORD_HASHER", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

TIME_ZONE = "UTC"
USE_TZ = True

# --- Languages (issue 16 item 4, docs/adr/0029) ------------------------------------------------
# Pages, API error messages and printed outputs follow the browser's Accept-Language, or the
# language chosen with the switch (templates/includes/language_switch.html posts to
# /i18n/setlang/, which sets the cookie LocaleMiddleware reads first). Reason codes, field names
# and every other part of the contract never change with the language. Catalogues: locale/,
# compiled by `manage.py compile_catalogues` (Babel, no GNU gettext needed) at install and in
# `bin/ticketcore migrate`; `make messages` refreshes them from the source. An event's printed
# outputs use the event's own language (core/i18n.py `for_event`).
USE_I18N = True
LANGUAGE_CODE = "en"  # when the browser asks for neither language
LANGUAGES = [("es", "Español"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = int(timedelta(days=365).total_seconds())
LANGUAGE_COOKIE_SAMESITE = "Lax"
# --- end languages ------------------------------------------------------------------------------

# --- Static files (ADR 0021): WhiteNoise serves them from STATIC_ROOT under any WSGI server, with
# content-hashed names cached for a year and gzip/brotli copies. `collectstatic` must run before
# any server starts (make run and the tests do; so must a deployment); with DEBUG=false a template that
# names a file missing from the manifest fails loudly instead of linking a 404.
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / ".data" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "ticketcore.staticfiles.StaticFilesStorage"},
}
# Python knows .wasm only when the OS mime.types does; WebAssembly.instantiateStreaming refuses
# any other type. WhiteNoise has its own table (it has .wasm today): this pins it.
WHITENOISE_MIMETYPES = {".wasm": "application/wasm", ".webmanifest": "application/manifest+json"}
# --- end static files

# Offline sync uploads thousands of scans in one request.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "devices.auth.DeviceTokenAuthentication",
        "accounts.auth.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.IsStaff"],
    "DEFAULT_PARSER_CLASSES": ["core.api.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": 100,
    # `?format=svg|png` belongs to the QR endpoint, not to DRF content negotiation.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "TicketCore API",
    "DESCRIPTION": (BASE_DIR / "ticketcore" / "api_description.md").read_text(),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/ and /api/schema/ are public documents: no credentials, and a stale
    # `Authorization` header is ignored instead of answered with 401 (docs/adr/0017).
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI from drf-spectacular-sidecar's pinned copy in our static files: the docs work on
    # a venue network without internet and load no third-party script. No validator badge
    # either (Swagger UI would send the schema to validator.swagger.io).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Fields that share a name but not their values get their own enum names in the schema.
    "ENUM_NAME_OVERRIDES": {
        "TicketStateEnum": "tickets.models.TicketState.values",
        "ScanResultEnum": "access.vocabulary.ScanResult",
        "OfficeSaleResultEnum": "offices.vocabulary.SaleResult",
        "JobStateEnum": ["queued", "running", "done", "failed"],
    },
}

# Celery: Redis is both broker and result store.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {}
# Virtual office: the `tickets_unlock` sweep deletes expired checkout holds (tickets/tasks.py).
# Expired holds already count as available without it; `expires` drops runs a busy worker missed.
TICKETS_UNLOCK_INTERVAL = env.float("TICKETS_UNLOCK_INTERVAL", default=30.0)
CELERY_BEAT_SCHEDULE["tickets_unlock"] = {
    "task": "tickets_unlock",
    "schedule": TICKETS_UNLOCK_INTERVAL,
    "options": {"expires": TICKETS_UNLOCK_INTERVAL},
}

# Live counters (docs/adr/0033): a scan only queues itself; the readers count the queue first, and
# this sweep does it for events nobody is reading (counters/tasks.py).
COUNTERS_FOLD_INTERVAL_S = env.float("COUNTERS_FOLD_INTERVAL_S", default=2.0)
CELERY_BEAT_SCHEDULE["counters_fold_queued"] = {"task": "counters_fold_queued", "schedule": COUNTERS_FOLD_INTERVAL_S,
                                                "options": {"expires": COUNTERS_FOLD_INTERVAL_S}}

# --- Email: the sales desk sends buyers their tickets (backoffice/desk/mail.py, docs/adr/0032) ---
# Django's mail framework; every setting from the environment. The desk sends while the clerk
# waits, so EMAIL_TIMEOUT bounds how long a dead mail server can hold a request.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="TicketCore <tickets@localhost>")
EMAIL_SUBJECT_PREFIX = ""  # buyers' mail, not admins'
# --- end of email block -------------------------------------------------------------------------

# Firestore mirror (PostgreSQL stays the source of truth; see docs/adr/0001).
FIRESTORE_PROJECT_ID = env("FIRESTORE_PROJECT_ID", default="")
FIRESTORE_EMULATOR_HOST = env("FIRESTORE_EMULATOR_HOST", default="")
# Project id used with the emulator when FIRESTORE_PROJECT_ID is empty (any id works there).
FIRESTORE_EMULATOR_PROJECT_ID = env("FIRESTORE_EMULATOR_PROJECT_ID", default="ticketcore-local")
# The outbox drain (docs/adr/0011): documents per WriteBatch (Firestore allows 500), RPC timeout,
# how long one task drains before handing over, retries with backoff while Firestore is down.
FIRESTORE_BATCH_SIZE = env.int("FIRESTORE_BATCH_SIZE", default=500)
FIRESTORE_TIMEOUT_S = env.float("FIRESTORE_TIMEOUT_S", default=30.0)
FIRESTORE_DRAIN_TIME_BUDGET_S = env.float("FIRESTORE_DRAIN_TIME_BUDGET_S", default=50.0)
FIRESTORE_DRAIN_MAX_RETRIES = env.int("FIRESTORE_DRAIN_MAX_RETRIES", default=6)
# Services kick a drain on commit (mirror.outbox.kick); beat drains every few seconds anyway.
FIRESTORE_MIRROR_KICK = env.bool("FIRESTORE_MIRROR_KICK", default=True)
FIRESTORE_DRAIN_INTERVAL_S = env.float("FIRESTORE_DRAIN_INTERVAL_S", default=3.0)
CELERY_BEAT_SCHEDULE["mirror_drain"] = {
    "task": "mirror.drain_outbox",
    "schedule": FIRESTORE_DRAIN_INTERVAL_S,
    "kwargs": {"periodic": True},
    "options": {"expires": FIRESTORE_DRAIN_INTERVAL_S},
}
# While the mirror is off the outbox is compacted to one row per document (bounded by the number
# of documents, and turning the mirror on later catches up without a repair).
CELERY_BEAT_SCHEDULE["mirror_compact"] = {
    "task": "mirror.compact_outbox",
    "schedule": env.float("FIRESTORE_COMPACT_INTERVAL_S", default=600.0),
    "options": {"expires": 600.0},
}

# Ticket generation refuses events larger than this (a typo guard, not a performance limit).
TICKETCORE_MAX_SEATS_PER_EVENT = env.int("TICKETCORE_MAX_SEATS_PER_EVENT", default=250_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())
LOGIN_URL = "/admin/login/"

# Per-minute limits (devices/throttling.py): generous for scanning; for pairing, FAILED attempts
# (wrong or expired codes) per client address, so a venue pairs 100 phones a minute from one NAT
# (docs/adr/0018; the brute-force estimate is in docs/security.md).
TICKETCORE_THROTTLE_RATES = {
    "scan": env.int("THROTTLE_SCAN_PER_MIN", default=6000),
    "device": env.int("THROTTLE_DEVICE_PER_MIN", default=600),
    "pair": env.int("THROTTLE_PAIR_PER_MIN", default=30),
}
DEVICE_PAIRING_MINUTES = env.int("DEVICE_PAIRING_MINUTES", default=15)
DEVICE_ONLINE_SECONDS = env.int("DEVICE_ONLINE_SECONDS", default=60)

# Live feed and anomaly alerts (core/live.py, live/figures.py, live/anomalies.py;
# docs/adr/0014). The push is best effort: bounded in-process queues drained by threads.
LIVE_QUEUE_MAX = env.int("LIVE_QUEUE_MAX", default=20_000)
LIVE_BATCH_MAX = env.int("LIVE_BATCH_MAX", default=500)
LIVE_PUBLISH_TIMEOUT_S = env.float("LIVE_PUBLISH_TIMEOUT_S", default=2.0)
LIVE_BACKOFF_S = env.float("LIVE_BACKOFF_S", default=1.0)
# Also hand every live message to the Channels group event_<id>, for other channel-layer consumers.
# Off: the dashboards listen to the Redis pub/sub channel, and the group send costs the scan path
# about 6% of a worker's Python time at 1,500 scans/s (docs/adr/0014).
LIVE_CHANNEL_GROUPS = env.bool("LIVE_CHANNEL_GROUPS", default=False)
# How long each publisher thread lets messages accumulate before one batched send: at 1,500 scans/s
# this turns ~750 Redis round trips per second and process into ~100 (pub/sub) and ~20 (group).
LIVE_LINGER_S = env.float("LIVE_LINGER_S", default=0.01)
LIVE_GROUP_LINGER_S = env.float("LIVE_GROUP_LINGER_S", default=0.05)

# Server processes freeze their loaded heap out of the garbage collector's view
# (ticketcore/runtime.py: full collections of it were most of the scan's p99).
GC_FREEZE_AFTER_LOAD = env.bool("GC_FREEZE_AFTER_LOAD", default=True)
# gate_counts are recomputed from the database at most once per interval while scans arrive,
# and every LIVE_REFRESH_S otherwise (sales, devices and mirror lag are polled at that pace too).
LIVE_GATE_COUNTS_INTERVAL_S = env.float("LIVE_GATE_COUNTS_INTERVAL_S", default=1.0)
LIVE_REFRESH_S = env.float("LIVE_REFRESH_S", default=5.0)
# Thresholds: a burst is counted over ANOMALY_WINDOW_S at one checkpoint; the same alert about
# the same checkpoint/zone is not raised again within ANOMALY_REALERT_S. A device is silent after
# two missed online windows: one missed heartbeat is a phone asleep or a Wi-Fi blip, two is not.
ANOMALY_WINDOW_S = env.int("ANOMALY_WINDOW_S", default=60)
ANOMALY_REJECTED_BURST = env.int("ANOMALY_REJECTED_BURST", default=20)
ANOMALY_INVALID_SIGNATURE_BURST = env.int("ANOMALY_INVALID_SIGNATURE_BURST", default=5)
ANOMALY_ZONE_CAPACITY_PCT = env.float("ANOMALY_ZONE_CAPACITY_PCT", default=95.0)
ANOMALY_DEVICE_SILENT_S = env.int("ANOMALY_DEVICE_SILENT_S", default=2 * DEVICE_ONLINE_SECONDS)
ANOMALY_REALERT_S = env.int("ANOMALY_REALERT_S", default=600)
ANOMALY_CHECK_INTERVAL_S = env.float("ANOMALY_CHECK_INTERVAL_S", default=2.0)
ANOMALY_SCAN_INTERVAL_S = env.float("ANOMALY_SCAN_INTERVAL_S", default=15.0)
CELERY_BEAT_SCHEDULE["access_detect_anomalies"] = {
    "task": "live.detect_anomalies",
    "schedule": ANOMALY_SCAN_INTERVAL_S,
    "options": {"expires": ANOMALY_SCAN_INTERVAL_S},
}

# Offline scanning (access/offline_limits.py): a synced scan older than this is flagged late; the manifest
# waits this long for in-flight ticket transactions before trusting its version watermark.
OFFLINE_LATE_UPLOAD_SECONDS = env.int("OFFLINE_LATE_UPLOAD_SECONDS", default=600)
OFFLINE_MANIFEST_WAIT_SECONDS = env.float("OFFLINE_MANIFEST_WAIT_SECONDS", default=0.25)

# --- Abuse limits (issue 13 items 7-9, docs/adr/0018) -----------------------------------------
# Client addresses (core/client_ip.py): X-Forwarded-For is believed only when the peer is
# one of these proxies (IPs or CIDRs, comma-separated). Empty: the peer address is the client.
# Behind HAProxy (`option forwardfor`), list HAProxy's addresses as seen by the app servers.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Admin login lockout (django-axes): counted per username AND address together, so failures from
# one place never lock the same staff account out from another, and one address cannot lock out
# every account by guessing. Cool-off, then the pair may try again.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"  # the same trusted-proxy rule as pairing
# The locked-out page in the person's language and in minutes (axes' own is one English sentence).
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"

# A revoked device's sync uploads are stored as quarantined evidence up to these caps per device;
# the rest is answered `rejected`/`device_revoked` and not stored (access/evidence.py).
REVOKED_EVIDENCE_PER_MIN = env.int("REVOKED_EVIDENCE_PER_MIN", default=1000)
REVOKED_EVIDENCE_TOTAL = env.int("REVOKED_EVIDENCE_TOTAL", default=10_000)
# --- end of abuse limits block -----------------------------------------------------------------
