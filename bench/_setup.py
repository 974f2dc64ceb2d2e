"""Shared bootstrap for the benchmarks: repo on sys.path, Django configured, the shared data dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def django_setup(settings_module: str = "reclio.settings.base") -> None:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def scratch_installation_env(data_dir: str) -> None:
    """Before Django starts: a scratch installation with its own embedded PostgreSQL and Redis in
    ``data_dir``, and the sandbox Trakt's app credentials."""
    os.environ["RECLIO_DATA_DIR"] = data_dir
    for key in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(key, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "reclio.settings.base"
    os.environ["TRAKT_CLIENT_ID"] = "test-trakt-client-id"
    os.environ["TRAKT_CLIENT_SECRET"] = "test-trakt-client-secret"  # noqa: S105 - the sandbox's
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def shared_data_dir(cli_value: str | None) -> Path:
    """--data, else RECLIO_SHARED_DATA, else ../shared/data beside the checkout."""
    path = Path(cli_value or os.environ.get("RECLIO_SHARED_DATA") or REPO.parent / "shared" / "data")
    if not (path / "tmdb" / "tmdb-movies.csv").exists():
        raise SystemExit(f"shared data not found at {path} (pass --data or set RECLIO_SHARED_DATA)")
    return path


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# --- real Celery worker processes (bench/fanout.py, bench/nightly.py) -----------------------------


def worker_start(
    queues: list[str], *, name: str, pool: str, concurrency: int, env: dict[str, str], log: Path
) -> subprocess.Popen[str]:
    """One real Celery worker consuming ``queues`` (the argv ``manage.py serve`` and compose use)."""
    from reclio.services import celery_worker_argv

    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        celery_worker_argv(
            queues,
            hostname=f"{name}@%h",
            concurrency=concurrency,
            extra=["--pool", pool, "--without-gossip", "--without-mingle"],
        ),
        cwd=REPO,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )


def workers_wait(app: Any, workers: dict[str, subprocess.Popen[str]], *, seconds: float = 180) -> None:
    """Until every worker (by its hostname prefix, ``name@``) answers the broker's ``active_queues``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        replies = app.control.inspect(timeout=1).active_queues() or {}
        if all(any(host.startswith(f"{name}@") for host in replies) for name in workers):
            return
        for name, worker in workers.items():
            if worker.poll() is not None:
                raise SystemExit(f"worker {name} exited early (see its log)")
    raise SystemExit(f"the workers did not come up within {seconds:.0f} s")


def worker_stop_cpu(worker: subprocess.Popen[str]) -> float:
    """SIGTERM the worker, wait for it; its CPU seconds, pool children included (reaped by it)."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pid, _status, usage = os.wait4(worker.pid, os.WNOHANG)
        if pid:
            worker.returncode = 0
            return usage.ru_utime + usage.ru_stime
        time.sleep(0.2)
    worker.kill()
    _pid, _status, usage = os.wait4(worker.pid, 0)
    worker.returncode = -9
    return usage.ru_utime + usage.ru_stime


# --- sandbox Trakt viewers (bench/fanout.py, bench/nightly.py) ------------------------------------


def viewer_connected(fake: Any, slug: str, *, now: Any, list_item_limit: int) -> tuple[Any, Any]:
    """A sandbox Trakt account ``slug`` (100 lists of ``list_item_limit`` titles) and an unsaved ``User``
    connected to it, whose last Trakt activity is a day old (so its list writes go to the bulk queue)."""
    import datetime as dt

    from users.contracts import ConnectionState
    from users.crypto import token_encrypt
    from users.models import User

    trakt_account = fake.add_account(slug, list_count_limit=100, list_item_limit=list_item_limit)
    access, refresh = fake.issue_tokens(slug, expires_in=7 * 24 * 3600)
    user = User(
        trakt_username=slug,
        trakt_slug=slug,
        access_token_encrypted=token_encrypt(access),
        refresh_token_encrypted=token_encrypt(refresh),
        token_expires_at=now + dt.timedelta(days=7),
        connection_state=ConnectionState.CONNECTED,
        last_trakt_activity_at=now - dt.timedelta(days=1),
        list_limit=100,
        list_item_limit=list_item_limit,
        limits_checked_at=now,
    )
    return trakt_account, user
