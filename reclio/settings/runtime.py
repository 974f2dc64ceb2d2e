"""Runtime values every settings module may need: where data lives, which servers to use, our URL.

``base.py`` and the concern modules import this module, never each other's names, so importing any
one of them does not depend on the order of ``base.py``'s star-imports. Importing this module starts
the embedded PostgreSQL/Redis when ``DATABASE_URL``/``REDIS_URL`` are unset (see ``reclio/embedded.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from reclio import embedded
from reclio.env import env_bool, env_str, env_url
from reclio.secret_files import secret_file_ensure

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Where the embedded PostgreSQL/Redis keep their data, plus generated dev secrets (git-ignored).
DATA_DIR = Path(env_str("RECLIO_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)
BASE_URL = env_url("BASE_URL", "http://localhost:8000")

DATABASE_URL = env_str("DATABASE_URL")
EMBEDDED_DATABASE = DATABASE_URL is None
EMBEDDED_REDIS = env_str("REDIS_URL") is None
# Unset → the embedded Redis (unix socket) is started here, once per process.
REDIS_URL: str = env_str("REDIS_URL") or embedded.redis_start(data_dir=DATA_DIR)


def data_dir_secret(name: str, *, generate: Callable[[], str] = lambda: secrets.token_urlsafe(50)) -> str:
    """A secret generated once into the data dir: only for the embedded (single-machine) default.

    Private (0600) from its first byte, and the same in every process that starts at once
    (``reclio.secret_files``): web, worker and beat must share one SECRET_KEY and one token key.
    """
    return secret_file_ensure(DATA_DIR / f".{name}", generate=generate)
