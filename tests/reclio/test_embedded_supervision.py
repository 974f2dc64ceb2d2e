"""The embedded PostgreSQL and Redis come back after they die (SIGKILL), on real processes.

A child process starts both servers on a temporary data dir and runs the supervisor that
``manage.py serve`` runs; this test kills each server and waits for a query to succeed again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from reclio import embedded

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

CHILD = """
import json, logging, sys
from pathlib import Path
from reclio import embedded
logging.basicConfig(level=logging.WARNING, format="%(message)s")
data_dir = Path(sys.argv[1])
params = embedded.postgres_start(data_dir=data_dir)
url = embedded.redis_start(data_dir=data_dir)
supervisor = embedded.EmbeddedSupervisor(data_dir=data_dir, database=True, redis=True, every=0.2)
supervisor.start()
print("READY " + json.dumps({"pg": params, "redis": url}), flush=True)
sys.stdin.read()  # until the test closes our stdin
supervisor.stop()
print("RESTARTS " + json.dumps(supervisor.restarts), flush=True)
"""


@pytest.fixture
def stack() -> Iterator[tuple[dict, subprocess.Popen[str], Path]]:
    # Not pytest's tmp_path: other pytest runs on the machine prune old basetemp folders, which would
    # delete the data dir under the running servers.
    tmp_path = Path(tempfile.mkdtemp(prefix="reclio-supervision-"))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "child.log").open("w"),
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("READY"), (line, (tmp_path / "child.log").read_text())
    try:
        yield json.loads(line.removeprefix("READY ")), process, tmp_path
    finally:
        if process.poll() is None:
            process.communicate(timeout=60)  # closes stdin: the child stops supervising, then its servers
        shutil.rmtree(tmp_path, ignore_errors=True)


def _query(pg: dict) -> int:
    with psycopg.connect(
        host=pg["HOST"], port=pg["PORT"] or None, user="postgres", dbname="postgres", connect_timeout=2
    ) as conn:
        row = conn.execute("SELECT 1").fetchone()
        assert row is not None
        return int(row[0])


def _recovered_within(probe, seconds: float, log: Path) -> float:
    started = time.monotonic()
    while True:
        try:
            probe()
            return time.monotonic() - started
        except (psycopg.Error, redis.RedisError, OSError):
            if time.monotonic() - started > seconds:
                tail = log.read_text()[-4000:]
                raise AssertionError(f"not back after {seconds} s; supervisor log:\n{tail}") from None
            time.sleep(0.2)


def test_killed_postgres_and_redis_are_restarted_on_the_same_socket(stack):
    servers, process, tmp_path = stack
    data_dir, log = tmp_path / "data", tmp_path / "child.log"
    pg, redis_url = servers["pg"], servers["redis"]
    client = redis.Redis.from_url(redis_url, socket_timeout=1)
    assert _query(pg) == 1
    client.set("survives", "yes")
    client.save()  # on disk before the kill (the append-only file fsyncs once a second)

    # when: the postmaster is SIGKILLed
    postmaster = embedded.postgres_pid(data_dir=data_dir)
    assert postmaster
    os.kill(postmaster, signal.SIGKILL)
    # then: a new postmaster answers on the same socket within seconds
    took = _recovered_within(lambda: _query(pg), seconds=60, log=log)
    assert embedded.postgres_pid(data_dir=data_dir) not in (None, postmaster)

    # when: Redis is SIGKILLed
    redis_server = embedded.redis_pid(data_dir=data_dir)
    assert redis_server
    os.kill(redis_server, signal.SIGKILL)
    # then: it is back on the same socket, with its data
    _recovered_within(client.ping, seconds=15, log=log)
    assert client.get("survives") == b"yes"

    output, _ = process.communicate(timeout=60)
    errors = log.read_text()
    assert 'RESTARTS {"postgres": 1, "redis": 1}' in output, (output, errors)
    # each outage is logged once when seen and once when over, not per poll
    assert errors.count("embedded_postgres_down") == 1, errors
    assert errors.count("embedded_redis_down") == 1, errors
    assert "embedded_postgres_restarted" in errors and "embedded_redis_restarted" in errors
    print(f"postgres back {took:.1f} s after SIGKILL")  # noqa: T201
