"""The embedded PostgreSQL runs with EMBEDDED_POSTGRES_SHARED_BUFFERS_MB of shared buffers.

reclio/embedded.py stores the value with ALTER SYSTEM and restarts the server through pgserver's
private lock, process list and pg_ctl wrapper: these tests fail if a pgserver upgrade moves them.
Each start is a fresh interpreter on a fresh data dir (settings are read once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SHOW shared_buffers")
    print("RESULT" + json.dumps({"shared_buffers": cursor.fetchone()[0]}))
"""


def _start(data_dir: Path, shared_buffers_mb: str | None) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reclio.settings.base", "RECLIO_DATA_DIR": str(data_dir)}
    for name in ("DATABASE_URL", "REDIS_URL", "EMBEDDED_POSTGRES_SHARED_BUFFERS_MB"):
        env.pop(name, None)
    if shared_buffers_mb is not None:
        env["EMBEDDED_POSTGRES_SHARED_BUFFERS_MB"] = shared_buffers_mb
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line.removeprefix("RESULT"))


@pytest.mark.slow
def test_shared_buffers_follow_the_setting_and_zero_leaves_them(tmp_path):
    # given a fresh data dir and 0: PostgreSQL's own default
    assert _start(tmp_path, "0")["shared_buffers"] == "128MB"

    # when a value is set: the server is restarted with it (ALTER SYSTEM + pgserver restart)
    assert _start(tmp_path, "160")["shared_buffers"] == "160MB"
    assert "shared_buffers = '160MB'" in (tmp_path / "pg" / "postgresql.auto.conf").read_text()

    # then 0 leaves what the data dir has
    assert _start(tmp_path, "0")["shared_buffers"] == "160MB"


@pytest.mark.slow
def test_default_is_a_quarter_of_the_ram_within_128_and_512_mb(tmp_path):
    ram_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    expected = min(max(ram_mb // 4, 128), 512)

    assert _start(tmp_path, None)["shared_buffers"] == f"{expected}MB"


@pytest.mark.slow
def test_a_server_other_processes_hold_is_not_restarted(tmp_path):
    # given a process that holds the embedded server (and its open connection)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django, sys; django.setup()\n"
            "from django.db import connection\n"
            "connection.ensure_connection(); print('ready', flush=True); sys.stdin.read()",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
            "DJANGO_SETTINGS_MODULE": "reclio.settings.base",
            "RECLIO_DATA_DIR": str(tmp_path),
            "EMBEDDED_POSTGRES_SHARED_BUFFERS_MB": "0",
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        pid_file = tmp_path / "pg" / "postmaster.pid"
        postmaster = pid_file.read_text().split()[0]

        # when another process asks for a different size
        seen = _start(tmp_path, "160")

        # then the running server keeps its size and its process; the value waits for the next start
        assert seen["shared_buffers"] == "128MB"
        assert pid_file.read_text().split()[0] == postmaster
        assert "shared_buffers = '160MB'" in (tmp_path / "pg" / "postgresql.auto.conf").read_text()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
