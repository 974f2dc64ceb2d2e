"""The database and Redis drills of bench/drills.py, in CI: granian (the production web command) over
prepared rows on its own embedded PostgreSQL + Redis, supervised as ``manage.py serve`` supervises
them, with /feeds under open-loop load while PostgreSQL is frozen, killed, and Redis killed.

The drills run in a child process (they set up Django against their own data dir); this test reads
the results it writes. About two minutes; the full set (workers, sandbox) is ``bench/drills.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

DRILLS = ("pg_freeze", "pg_kill", "redis_kill")


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, dict]]:
    # Not pytest's tmp_path: other pytest runs on the machine prune old basetemp folders, which would
    # delete the data dir under the running servers.
    folder = Path(tempfile.mkdtemp(prefix="reclio-drills-ci-"))
    out = folder / "results.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    run = subprocess.run(
        [
            sys.executable,
            "bench/drills.py",
            "--web-only",
            "--only",
            ",".join(DRILLS),
            # 200 req/s is the bench figure; CI shares its two cores with pytest itself.
            "--rate",
            "100",
            "--data-dir",
            str(folder / "data"),
            "--json",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )
    if not out.exists():
        pytest.fail(f"the drills did not finish:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}")
    print(run.stdout[-5000:])  # noqa: T201 - the drill table, for the CI log
    results = {item["drill"]: item for item in json.loads(out.read_text())}
    # The supervisor's lines (restarts of the embedded servers), for a failure message.
    supervisor = [line for line in (run.stdout + run.stderr).splitlines() if "reclio.embedded" in line]
    for item in results.values():
        item["supervisor_log"] = supervisor[-12:]
    yield results
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("drill", DRILLS)
def test_drill(results: dict[str, dict], drill: str) -> None:
    result = results[drill]
    assert result["passed"], json.dumps(result, indent=2)
