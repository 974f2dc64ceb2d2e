"""Django settings for Reclio.

Everything is read once from the environment through ``reclio.env`` (strict parsing); the
concern modules star-imported at the bottom hold the vendor and Celery settings. Every variable is
documented in ``docs/configuration.md`` and ``.env.example``.
"""

from __future__ import annotations

import os
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from reclio import embedded
from reclio.env import env_bool, env_float, env_int, env_list, env_secret, env_str
from reclio.settings.embeddings import EMBEDDING_HNSW_EF_SEARCH

# Runtime values shared with the concern modules; re-exported here as Django settings.
from reclio.settings.runtime import (  # noqa: F401
    BASE_DIR,
    BASE_URL,
    DATA_DIR,
    DATABASE_URL,
    DEBUG,
    EMBEDDED_DATABASE,
    EMBEDDED_REDIS,
    REDIS_URL,
    data_dir_secret,
)

SECRET_KEY = env_secret("SECRET_KEY")
if SECRET_KEY is None:
    if not EMBEDDED_DATABASE:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DATABASE_URL is set (production); "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = data_dir_secret("secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [BASE_URL])

# Behind a TLS-terminating proxy (compose + Caddy/nginx/Traefik): trust its X-Forwarded-Proto so
# Django knows requests were https, and keep cookies off plain http.
USE_X_FORWARDED_PROTO = env_bool("USE_X_FORWARDED_PROTO", False)
if USE_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = BASE_URL.startswith("https://")
SECURE_CONTENT_TYPE_NOSNIFF = True

# Operator API (X-Admin-Token). Unset → the /admin/... endpoints answer 503.
ADMIN_TOKEN = env_secret("ADMIN_TOKEN")
# Optional: health degradations and recoveries are also POSTed here as JSON (a Slack/Discord/ntfy
# compatible webhook, or any endpoint). A secret (webhook URLs carry their token): may come from _FILE.
ALERT_WEBHOOK_URL = env_secret("ALERT_WEBHOOK_URL")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "reclio.apps.ReclioConfig",
    "catalog",
    "users",
    "recsys",
    "feeds",
    "admin_tools",
]

MIDDLEWARE = [
    # Outermost: whatever fails below it (a view, a middleware, the database), /feeds still answers
    # with a valid ChillLink document, because Chillio cannot show an error.
    "feeds.middleware.FeedsNeverFailMiddleware",
    # /feeds skips the rest of the chain (sessions, CSRF, auth, messages: none apply to it) and URL
    # resolving; it still gets the host check and the security headers (see the class).
    "feeds.middleware.FeedsFastPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "reclio.urls"
WSGI_APPLICATION = "reclio.wsgi.application"

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

# --- Database -------------------------------------------------------------------------------
# Every wait on the database is bounded, embedded or not: a database that is down, frozen or
# behind a lock must cost a request thread seconds, not forever. Web processes (reclio/wsgi.py
# marks them) serve millisecond reads, so their statements and lock waits give up quickly and the
# view degrades; workers run content syncs and training, so theirs are generous but still bounded.
# The limits travel as libpq startup options (PgBouncer in transaction mode refuses those: set
# both statement timeouts and EMBEDDING_HNSW_EF_SEARCH to 0 there and configure them on the server).
WEB_PROCESS = env_str("RECLIO_PROCESS_ROLE", "") == "web"
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 3, minimum=2)  # libpq rounds 1 up to 2
DB_STATEMENT_TIMEOUT = env_float("DB_STATEMENT_TIMEOUT", 3.0)
DB_WORKER_STATEMENT_TIMEOUT = env_float("DB_WORKER_STATEMENT_TIMEOUT", 1800.0)


def _db_options() -> dict[str, Any]:
    statement = DB_STATEMENT_TIMEOUT if WEB_PROCESS else DB_WORKER_STATEMENT_TIMEOUT
    startup = []
    if statement > 0:
        # A lock wait is the usual way a healthy database stalls a statement; it gets a third of
        # the statement budget (at most a minute) so the error names the lock, not the clock.
        lock = min(statement / 3, 60.0)
        startup.append(f"-c statement_timeout={round(statement * 1000)} -c lock_timeout={round(lock * 1000)}")
    # Web requests (admin) and workers (feed composition) both ask for similar titles: with the HNSW
    # candidate list set for the session, each such query is one statement, not BEGIN/SET LOCAL/
    # SELECT/COMMIT (catalog.embedding.selectors.vector_neighbours). A custom setting is accepted
    # before pgvector is loaded and checked when it is.
    if EMBEDDING_HNSW_EF_SEARCH > 0:
        startup.append(f"-c hnsw.ef_search={EMBEDDING_HNSW_EF_SEARCH}")
    options: dict[str, Any] = {"connect_timeout": DB_CONNECT_TIMEOUT}
    if startup:
        options["options"] = " ".join(startup)
    return options


def _embedded_shared_buffers_default() -> int:
    # A quarter of the RAM, as PostgreSQL's tuning guide suggests, within 128 MB (initdb's value) and
    # 512 MB (a 100k-title catalog's vectors and HNSW index, and what docker-compose.yml gives).
    ram_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    return min(max(ram_mb // 4, 128), 512)


# Shared buffers of the embedded PostgreSQL (reclio/embedded.py); 0 = leave the data dir's value.
EMBEDDED_POSTGRES_SHARED_BUFFERS_MB = env_int(
    "EMBEDDED_POSTGRES_SHARED_BUFFERS_MB", _embedded_shared_buffers_default(), minimum=0
)

DATABASES: dict[str, dict[str, Any]]
if EMBEDDED_DATABASE:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            **embedded.postgres_start(data_dir=DATA_DIR, shared_buffers_mb=EMBEDDED_POSTGRES_SHARED_BUFFERS_MB),
            "OPTIONS": _db_options(),
        }
    }
else:
    _db = environ.Env.db_url_config(DATABASE_URL)
    if _db.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a PostgreSQL URL (postgres://…); got engine {_db.get('ENGINE')!r}"
        )
    # The URL's own options win: ours go first, and PostgreSQL applies the last `-c` of a name.
    _url_options = _db.setdefault("OPTIONS", {})
    _ours = _db_options()
    _url_options.setdefault("connect_timeout", _ours["connect_timeout"])
    if "options" in _ours:
        _url_options["options"] = f"{_ours['options']} {_url_options.get('options', '')}".strip()
    DATABASES = {"default": _db}
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis (Celery broker, results, cache, locks; runtime.py starts the embedded one) ----------
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "reclio",
        # A cache outage must not take requests down with it: fail fast, callers degrade.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps' folders: no collectstatic step on a fresh machine.
WHITENOISE_USE_FINDERS = True

# --- Django REST framework + OpenAPI --------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "reclio.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "reclio.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reclio API",
    "DESCRIPTION": (
        "ChillLink endpoints for Chillio and the X-Admin-Token operator API. "
        "This product uses the TMDB API but is not endorsed or certified by TMDB."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Self-hosted assets: the docs page works on machines without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["reclio.openapi.drop_trailing_slash_aliases"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "reclio.openapi.document_error_responses",
    ],
}

# --- Logging: structured-ish key=value lines, one stream for every process -------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# One line per web request on standard output, viewer ids redacted (reclio/access_log.py).
ACCESS_LOG = env_bool("ACCESS_LOG", True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # requests/urllib3 log full URLs at DEBUG, which can carry api_key query strings.
        "urllib3": {"level": "WARNING"},
        # pgserver narrates every start and stop at INFO.
        "pgserver": {"level": "WARNING"},
    },
}

from reclio.settings.catalog import *  # noqa: E402,F403
from reclio.settings.celery import *  # noqa: E402,F403
from reclio.settings.embeddings import *  # noqa: E402,F403
from reclio.settings.feeds import *  # noqa: E402,F403
from reclio.settings.providers import *  # noqa: E402,F403
from reclio.settings.recombee import *  # noqa: E402,F403
from reclio.settings.recsys import *  # noqa: E402,F403
from reclio.settings.trakt import *  # noqa: E402,F403
from reclio.settings.vendors import *  # noqa: E402,F403
