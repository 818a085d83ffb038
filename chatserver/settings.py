"""Settings for clickchat, read from the environment (see README: Configuration).

The defaults run the whole service in one process on the embedded PostgreSQL (chatserver.embedded)
with the in-memory channel layer. Production sets DATABASE_URL (any PostgreSQL) and REDIS_URL
(channels-redis) and turns DEBUG off, which makes a missing SECRET_KEY or a wildcard ALLOWED_HOSTS
stop start-up.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from accounts.oidc_config import issuer_origin
from chats.hours import HoursError, parse_closed_dates, parse_hours
from chatserver.embedded import EMBEDDED_DATABASE_URL
from chatserver.env import (
    ConfigError,
    env_bool,
    env_host_ports,
    env_int,
    env_list,
    env_seconds_list,
    env_seconds_map,
    env_str,
)
from chatserver.oidc_settings import read_oidc_providers

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"  # noqa: S105 (only with DEBUG on)
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET if DEBUG else "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

if not DEBUG:
    if not SECRET_KEY:
        raise ConfigError("SECRET_KEY is required when DEBUG is off (set DEBUG=1 for local development)")
    # Django's own bar (check --deploy, security.W009), enforced at start-up instead of warned about.
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
        raise ConfigError(
            "SECRET_KEY must be at least 50 characters with at least 5 different ones, not a generated"
            " 'django-insecure-' key; make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ConfigError("ALLOWED_HOSTS must list this service's host names when DEBUG is off ('*' is refused)")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "accounts",
    "chats",
    "queueing",
    "transcripts",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accounts.http.UrlTextCheck",  # NUL or control characters in the path or query string: a JSON 400
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.http.SessionActivity",  # a request is session activity, saved at most once a minute
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # AxesMiddleware turns a locked-out login into our 429 page; it must come last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chatserver.urls"
ASGI_APPLICATION = "chatserver.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

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
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", EMBEDDED_DATABASE_URL)
_db = dj_database_url.parse(DATABASE_URL)
if _db["ENGINE"] != "django.db.backends.postgresql":
    # The design depends on row locks, SKIP LOCKED and the message function: PostgreSQL only.
    raise ConfigError(f"DATABASE_URL must be a postgres:// URL, not {DATABASE_URL.split(':', 1)[0]}://")
# psycopg's pool (Django 5.1+): a connection per database call without connecting each time,
# at most DB_POOL_MAX per process however many request threads ASGI starts, and no SELECT 1
# health check before every call (a broken connection is dropped by the pool on return).
_db["CONN_MAX_AGE"] = 0  # required with the pool: connections go back to it after each call
# timeout: how long a call waits for a connection; short, so that during an outage frames fail
# fast into retryable errors instead of queueing behind the database thread.
_db["OPTIONS"] = {
    "pool": {
        "min_size": 2,
        "max_size": env_int("DB_POOL_MAX", 20, minimum=1),
        "timeout": env_int("DB_POOL_TIMEOUT", 3, minimum=1),
    }
}
DATABASES = {"default": _db}
# Messages are stored from the event loop through their own async pool (chats.message_store).
DB_ASYNC_POOL_MAX = env_int("DB_ASYNC_POOL_MAX", 10, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer --------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# Sentinel instead of one address: REDIS_SENTINELS=host:26379,host2:26379 and REDIS_SENTINEL_MASTER.
REDIS_SENTINELS = env_host_ports("REDIS_SENTINELS")
# redis-py caps a pool at 100 connections and raises past that: size it explicitly.
_redis_pool = {"max_connections": env_int("REDIS_MAX_CONNECTIONS", 500, minimum=1)}
if REDIS_SENTINELS:
    _redis_host: dict[str, object] = {
        "sentinels": REDIS_SENTINELS,
        "master_name": env_str("REDIS_SENTINEL_MASTER", "mymaster"),
        **_redis_pool,
    }
elif REDIS_URL:
    _redis_host = {"address": REDIS_URL, **_redis_pool}
if REDIS_URL or REDIS_SENTINELS:
    CHANNEL_LAYERS = {
        "default": {
            # The pub/sub layer delivers several times faster than RedisChannelLayer. It has no
            # capacity, expiry or group_expiry (groups are Redis subscriptions that live as long
            # as the socket), and drops messages on a Redis reconnect: clients heal that by
            # resuming from the database (?after=SEQ, or `sync`). Subclassed to decode each
            # message once per process (chatserver/channel_layer.py).
            "BACKEND": "chatserver.channel_layer.DecodeOnceLayer",
            "CONFIG": {"hosts": [_redis_host]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}

# --- Auth, sessions, lockout -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The portal's rule: a session ends after 70 minutes without activity. Every request (and chat
# activity on a socket, see consumers) pushes the expiry forward, saved at most once a minute
# (accounts.http.SessionActivity, not SESSION_SAVE_EVERY_REQUEST: no write per request).
SESSION_IDLE_SECONDS = 70 * 60
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Cookies only over HTTPS in production; SECURE_COOKIES=0 for a plain-HTTP loopback test bench.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# --- OpenID Connect sign-in and the portal (accounts/oidc*.py, docs/deploy.md) -----
# OIDC_PROVIDERS=portal,staff with OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _SOURCE, ...
OIDC_PROVIDERS = read_oidc_providers()
# Username/password login: on for the embedded default and demos; off by default in production
# once an IdP is configured (`check --deploy` warns when both are on).
LOCAL_LOGIN = env_bool("LOCAL_LOGIN", default=DEBUG or not OIDC_PROVIDERS)
OIDC_HTTP_TIMEOUT = env_int("OIDC_HTTP_TIMEOUT", 10, minimum=1)  # seconds for each call to an IdP
OIDC_LOGOUT_TOKEN_MAX_AGE = env_int("OIDC_LOGOUT_TOKEN_MAX_AGE", 300, minimum=10)  # oldest `iat` accepted
OIDC_JWKS_REFETCH_INTERVAL = env_int("OIDC_JWKS_REFETCH_INTERVAL", 10)  # fewest seconds between refetches for a new kid
# Origins of the portal pages that embed the Click-to-Chat widget (docs/portal.md).
PORTAL_ORIGINS = env_list("PORTAL_ORIGINS")
for _origin in PORTAL_ORIGINS:
    if not _origin.startswith(("https://", "http://")) or _origin.count("/") != 2:
        raise ConfigError(f"PORTAL_ORIGINS: {_origin!r} is not an origin like https://portal.example.com")

# --- Security headers ------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        # logging out redirects the form's POST on to the IdP's end-session endpoint
        "form-action": ["'self'", *sorted({issuer_origin(p.issuer) for p in OIDC_PROVIDERS})],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Static files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")  # collectstatic writes here (release phase)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# --- Chat rules (CONTRACT.md: Configuration) ----------------------------------------------------
CHAT_TIMEZONE = env_str("CHAT_TIMEZONE", "America/New_York")
try:
    CHAT_HOURS = parse_hours(env_str("CHAT_HOURS", "Mon-Fri 08:00-18:00"))
    CHAT_CLOSED_DATES = parse_closed_dates(env_str("CHAT_CLOSED_DATES"))
except HoursError as exc:
    raise ConfigError(str(exc)) from None
CHAT_HOLIDAYS = env_str("CHAT_HOLIDAYS").upper()
if CHAT_HOLIDAYS not in {"", "US"}:
    raise ConfigError(f"CHAT_HOLIDAYS: only 'US' is known, got {CHAT_HOLIDAYS!r}")
CHAT_IDLE_WARNINGS = env_seconds_list("CHAT_IDLE_WARNINGS", [300, 480])
CHAT_IDLE_DISCONNECT = env_int("CHAT_IDLE_DISCONNECT", 600, minimum=1)
if len(CHAT_IDLE_WARNINGS) != 2 or CHAT_IDLE_WARNINGS[-1] >= CHAT_IDLE_DISCONNECT:
    raise ConfigError("CHAT_IDLE_WARNINGS must be two increasing seconds, both below CHAT_IDLE_DISCONNECT")
CHAT_AGENT_CAPACITY = env_int("CHAT_AGENT_CAPACITY", 3, minimum=1)
CHAT_MAX_MESSAGE_CHARS = env_int("CHAT_MAX_MESSAGE_CHARS", 2000, minimum=1)
# After a chat ends, its agent's slot stays taken this long for the disposition and a note (0: no wrap-up);
# the agent may extend it once by as much again.
CHAT_WRAPUP_SECONDS = env_int("CHAT_WRAPUP_SECONDS", 60, minimum=0)
# An auto-routed chat the agent has not answered (accept or first message) within this many
# seconds goes back to the front of the queue.
CHAT_OFFER_TIMEOUT = env_int("CHAT_OFFER_TIMEOUT", 120, minimum=1)
# Presence (docs/presence.md): a server process's consoles count as open while its lease (renewed
# by the database clock on console connects and heartbeats) lasts this many seconds.
CHAT_CONSOLE_LEASE = env_int("CHAT_CONSOLE_LEASE", 15, minimum=1)
# An agent whose last console closed keeps their status (but gets no offers) this long, so a
# reload resumes them; after it an available agent becomes away.
CHAT_RELOAD_GRACE = env_int("CHAT_RELOAD_GRACE", 20, minimum=1)
# An offer whose `assigned` frame no console of the agent received within this many seconds
# goes back to the front of the queue.
CHAT_OFFER_DELIVERY_TIMEOUT = env_int("CHAT_OFFER_DELIVERY_TIMEOUT", 10, minimum=1)
# Service levels the supervisors' floor watches (docs/floor.md): the longest wait in the queue per
# transaction type (`default` for the rest; discharge-within-24h chats get the strictest of their
# type's and `discharge_within_24h`), and the longest a provider waits on the agent's reply.
SLA_WAIT_KEYS = frozenset({"default", "discharge_within_24h", "add_on", "cancellation", "restaff",
                           "authorization_edit", "reauthorization", "status_inquiry"})  # fmt: skip
CHAT_SLA_WAIT_SECONDS = env_seconds_map(
    "CHAT_SLA_WAIT_SECONDS", {"default": 120, "discharge_within_24h": 60}, SLA_WAIT_KEYS
)
CHAT_SLA_REPLY_SECONDS = env_int("CHAT_SLA_REPLY_SECONDS", 120, minimum=1)
# Run the timer loop inside this process (tests drive timers by hand with an injected clock).
CHAT_TIMERS = env_bool("CHAT_TIMERS", default=True)
# How often each process's timer loop looks for due idle warnings and unanswered offers.
CHAT_SWEEP_INTERVAL = float(env_str("CHAT_SWEEP_INTERVAL", "0.5"))
# Per-user message rate: a burst, then a steady rate (messages per second).
CHAT_RATE_BURST = env_int("CHAT_RATE_BURST", 20, minimum=1)
CHAT_RATE_PER_SECOND = float(env_str("CHAT_RATE_PER_SECOND", "5"))
CHAT_MAX_SOCKETS_PER_USER = env_int("CHAT_MAX_SOCKETS_PER_USER", 20, minimum=1)
# Chat requests (POST /api/chats/, opened or refused) per provider and per agency in any
# CHAT_REQUEST_WINDOW seconds, and open (waiting or active) chats per provider; past them: 429.
CHAT_REQUEST_WINDOW = env_int("CHAT_REQUEST_WINDOW", 60, minimum=1)
CHAT_REQUESTS_PER_USER = env_int("CHAT_REQUESTS_PER_USER", 10, minimum=1)
CHAT_REQUESTS_PER_AGENCY = env_int("CHAT_REQUESTS_PER_AGENCY", 100, minimum=1)
CHAT_MAX_OPEN_PER_PROVIDER = env_int("CHAT_MAX_OPEN_PER_PROVIDER", 10, minimum=1)
# A provider's socket on an ended chat replays what it missed only this long after the end, and
# only entries stored in the last CHAT_ENDED_REPLAY_SECONDS before the end (FAQ 28: transcript
# copies go through the service center).
CHAT_ENDED_REPLAY_SECONDS = env_int("CHAT_ENDED_REPLAY_SECONDS", 120, minimum=0)
# Days after which ended chats' message bodies are purged (manage.py purge_transcripts); 0 keeps them.
CHAT_RETENTION_DAYS = env_int("CHAT_RETENTION_DAYS", 0, minimum=0) or None
SERVICE_CENTER_PHONE = env_str("SERVICE_CENTER_PHONE", "1-800-555-0199")

# --- Attachments (chats.attachments; docs/attachments.md) ----------------------------------------
# Leave a message (queueing/left_messages.py): offered after hours and when a new chat's estimated
# wait is over this many minutes (or no agent is working at all).
CHAT_LEAVE_MESSAGE_WAIT_MINUTES = env_int("CHAT_LEAVE_MESSAGE_WAIT_MINUTES", 20, minimum=0)
CHAT_MAX_ATTACHMENT_MB = env_int("CHAT_MAX_ATTACHMENT_MB", 10, minimum=1)
CHAT_MAX_ATTACHMENTS = env_int("CHAT_MAX_ATTACHMENTS", 20, minimum=1)  # files per chat
# Larger images are refused as decompression bombs (Pillow's own default limit).
CHAT_ATTACHMENT_MAX_PIXELS = env_int("CHAT_ATTACHMENT_MAX_PIXELS", 89_478_485, minimum=1)
# Unset: files are available at once. A command (the file's path is appended; exit 0 = clean,
# 1 = infected, anything else = try again later) or clamd:/path/to/clamd.sock.
CHAT_ATTACHMENT_SCANNER = env_str("CHAT_ATTACHMENT_SCANNER")
if CHAT_ATTACHMENT_SCANNER.startswith("clamd:") and not CHAT_ATTACHMENT_SCANNER[len("clamd:") :]:
    raise ConfigError("CHAT_ATTACHMENT_SCANNER: clamd: needs the socket's path, e.g. clamd:/run/clamav/clamd.ctl")
CHAT_ATTACHMENT_SCAN_TIMEOUT = env_int("CHAT_ATTACHMENT_SCAN_TIMEOUT", 120, minimum=1)
# Where files are kept: the filesystem under CHAT_ATTACHMENT_ROOT, or another Django storage
# backend (storages.backends.s3.S3Storage from django-storages: see docs/deploy.md).
CHAT_ATTACHMENT_STORAGE = env_str("CHAT_ATTACHMENT_STORAGE", "django.core.files.storage.FileSystemStorage")
if CHAT_ATTACHMENT_STORAGE == "django.core.files.storage.FileSystemStorage":
    _attachment_options: dict[str, object] = {
        "location": env_str("CHAT_ATTACHMENT_ROOT", str(BASE_DIR / "attachments")),
        "file_permissions_mode": 0o600,
        "directory_permissions_mode": 0o700,
    }
else:  # S3-compatible: bucket and endpoint here, credentials from the usual AWS_* variables
    _attachment_options = {
        "bucket_name": env_str("CHAT_ATTACHMENT_BUCKET"),
        "endpoint_url": env_str("CHAT_ATTACHMENT_ENDPOINT_URL") or None,
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
STORAGES["attachments"] = {"BACKEND": CHAT_ATTACHMENT_STORAGE, "OPTIONS": _attachment_options}  # type: ignore[dict-item]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}
