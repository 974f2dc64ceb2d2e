"""Every database wait is bounded: connect, statement and lock timeouts, short for web processes,
generous for workers, for the embedded database and for ``DATABASE_URL`` alike. The same startup
options carry pgvector's HNSW candidate list, so a similar-titles query is one statement. Settings
are read once per process, so each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
from django.db import connection, utils
out = {"options": settings.DATABASES["default"].get("OPTIONS", {})}
if QUERY:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout"); out["statement_timeout"] = cursor.fetchone()[0]
        cursor.execute("SHOW lock_timeout"); out["lock_timeout"] = cursor.fetchone()[0]
        # A fresh data dir has no pgvector in this database yet (only the test database is migrated).
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
        cursor.execute("SELECT NULL::vector")  # loads pgvector, which then owns the hnsw.* settings
        cursor.execute("SHOW hnsw.ef_search"); out["ef_search"] = cursor.fetchone()[0]
        try:
            cursor.execute("SELECT pg_sleep(%s)", [SLEEP])
            out["slept"] = True
        except utils.OperationalError as exc:
            out["error"] = str(exc)
print("RESULT" + json.dumps(out))
"""


def _probe(env_overrides: dict[str, str], *, query: bool = True, sleep: float = 0.0) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reclio.settings.base", **env_overrides}
    for name in (
        "RECLIO_PROCESS_ROLE",
        "DB_STATEMENT_TIMEOUT",
        "DB_WORKER_STATEMENT_TIMEOUT",
        "DB_CONNECT_TIMEOUT",
        "EMBEDDING_HNSW_EF_SEARCH",
    ):
        if name not in env_overrides:
            env.pop(name, None)
    if "DATABASE_URL" not in env_overrides:
        env.pop("DATABASE_URL", None)
    script = "import django; django.setup()\n" + f"QUERY, SLEEP = {query!r}, {sleep!r}\n" + PROBE
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line.removeprefix("RESULT"))


def test_web_process_statement_is_cancelled_at_its_timeout():
    # given: a web process with a 0.3 s statement budget; when: a statement runs for 2 s
    seen = _probe({"RECLIO_PROCESS_ROLE": "web", "DB_STATEMENT_TIMEOUT": "0.3"}, sleep=2)
    # then: PostgreSQL cancels it, and lock waits get a third of the budget
    assert "statement timeout" in seen.get("error", ""), seen
    assert seen["statement_timeout"] == "300ms"
    assert seen["lock_timeout"] == "100ms"
    assert seen["options"]["connect_timeout"] == 3


def test_worker_process_gets_the_long_bound_by_default():
    seen = _probe({}, sleep=0.5)
    assert seen.get("slept") is True, seen
    assert seen["statement_timeout"] == "30min"
    assert seen["lock_timeout"] == "1min"


def test_every_connection_starts_with_the_hnsw_candidate_list():
    # given: the default, then an override; then: pgvector sees it with no SET of ours
    assert _probe({})["ef_search"] == "64"
    assert _probe({"RECLIO_PROCESS_ROLE": "web", "EMBEDDING_HNSW_EF_SEARCH": "90"})["ef_search"] == "90"


def test_database_url_gets_the_same_bounds_and_its_own_options_win():
    url = "postgres://u:p@127.0.0.1:1/x?connect_timeout=7&options=-c%20statement_timeout%3D9000"
    seen = _probe(
        {"DATABASE_URL": url, "SECRET_KEY": "x" * 50, "RECLIO_PROCESS_ROLE": "web", "DB_CONNECT_TIMEOUT": "4"},
        query=False,
    )
    assert seen["options"]["connect_timeout"] in (7, "7")
    # ours first, the URL's last: PostgreSQL applies the last -c of a name
    assert seen["options"]["options"] == (
        "-c statement_timeout=3000 -c lock_timeout=1000 -c hnsw.ef_search=64 -c statement_timeout=9000"
    )


def test_zero_turns_the_statement_bound_off_but_never_the_connect_bound():
    seen = _probe({"DB_WORKER_STATEMENT_TIMEOUT": "0"}, query=False)
    assert seen["options"] == {"connect_timeout": 3, "options": "-c hnsw.ef_search=64"}


def test_zero_everywhere_sends_no_startup_options_for_pgbouncer():
    seen = _probe({"DB_WORKER_STATEMENT_TIMEOUT": "0", "EMBEDDING_HNSW_EF_SEARCH": "0"}, query=False)
    assert seen["options"] == {"connect_timeout": 3}
