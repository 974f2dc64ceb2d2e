"""Test settings: only overrides. Tests run against the embedded PostgreSQL, never SQLite."""

from __future__ import annotations

from reclio.settings.base import *  # noqa: F403
from reclio.settings.trakt import Signups

SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
ADMIN_TOKEN = "test-admin-token"  # noqa: S105
TOKEN_ENCRYPTION_KEYS = "kJfzV0YSNXHn3yeWJkYpqAtuWAVtEoHW5oc2wF3aZdM="  # noqa: S105 (test-only key)
# Tests stub vendor HTTP with `responses`; these placeholders make every client code path reachable.
TMDB_API_KEY = "test-tmdb-key"
TRAKT_CLIENT_ID = "test-trakt-client-id"
TRAKT_CLIENT_SECRET = "test-trakt-client-secret"  # noqa: S105
HTTP_MAX_RETRIES = 2
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
# Trakt (users app): no client-side read pacing against `responses`/the loopback fake server.
TRAKT_READS_PER_SECOND = 0.0
# The connect-flow tests are about Trakt, not admission; tests/users/services/test_signups.py sets the mode.
SIGNUPS = Signups.OPEN
import tempfile as _tempfile  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

# Engine artefacts of a test run go to a throwaway folder, never into var/.
RECSYS_MODEL_DIR = _Path(_tempfile.mkdtemp(prefix="reclio-recsys-test-"))
RECSYS_PICKS_PER_TYPE = 20
