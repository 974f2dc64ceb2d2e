"""Platform services used by management commands and admin_tools."""

from __future__ import annotations

import contextlib
import secrets
import shlex
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from reclio.embedded import EmbeddedSupervisor
from reclio.queues import ALL_QUEUES
from reclio.secret_files import secret_file_replace

DEMO_ADMIN_FILE = "demo-admin.txt"


def beat_schedule_mirror() -> list[str]:
    """Write CELERY_BEAT_SCHEDULE into django-celery-beat's tables (idempotent).

    Beat does this itself when it starts; doing it after ``migrate`` too means the admin shows every
    schedule (to pause or "run now") even before beat has ever run.
    """
    from django_celery_beat.schedulers import ModelEntry

    from reclio.celery import app

    names = []
    with transaction.atomic():
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            ModelEntry.from_entry(name, app=app, **entry)
            names.append(name)
    return names


@dataclass(frozen=True)
class DemoAdmin:
    username: str
    password: str | None  # None when the account already existed (its password is not ours to show)
    created: bool


def demo_admin_ensure(*, username: str = "admin", password: str | None = None) -> DemoAdmin:
    """Create a superuser for a demo installation unless one exists.

    On the embedded single-machine default (no ``DATABASE_URL``) the generated password is also
    written to ``<data dir>/demo-admin.txt`` (0600 from the start) so a person who missed the
    console line can still read it. Against a real database a password is never left on disk.
    """
    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return DemoAdmin(username=username, password=None, created=False)
    password = password or secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username=username, email="", password=password)
    if settings.EMBEDDED_DATABASE:
        secret_file_replace(settings.DATA_DIR / DEMO_ADMIN_FILE, f"username: {username}\npassword: {password}\n")
    return DemoAdmin(username=username, password=password, created=True)


def superuser_exists() -> bool:
    return get_user_model().objects.filter(is_superuser=True).exists()


def celery_worker_argv(
    queues: Sequence[str], *, hostname: str, concurrency: int = 1, loglevel: str = "WARNING", extra: Sequence[str] = ()
) -> list[str]:
    """The command line of one Celery worker on ``queues``: the one spelling for ``manage.py serve``,
    the demo, the benchmarks and the tests that run real workers (``extra`` for what only they need,
    e.g. ``--without-gossip``)."""
    return [
        sys.executable,
        *("-m", "celery", "-A", "reclio", "worker"),
        *("--loglevel", loglevel, "-Q", ",".join(queues)),
        *("--concurrency", str(concurrency), "--hostname", hostname),
        *extra,
    ]


def web_server_argv(app: str = "reclio.wsgi:served", *, host: str, port: int) -> list[str]:
    """The production web server's command line: the one spelling for ``manage.py serve``, the demo,
    the benchmarks, the drills and the tests that run it (Dockerfile and docker-compose.yml spell the
    same options; tests/reclio/test_compose.py holds them to it).

    granian (a Rust HTTP server) calling the WSGI application from 2 worker processes, each with
    one runtime thread for the connections and 4 Python threads (/feeds is a short in-memory answer;
    another view may wait on the database). A worker that does not stop within 10 s of SIGTERM is
    killed, and one that dies is started again.
    """
    return [
        *(sys.executable, "-m", "granian", "--interface", "wsgi", "--host", host, "--port", str(port)),
        *WEB_SERVER_OPTIONS,
        app,
    ]


WEB_SERVER_OPTIONS = (
    *("--workers", "2", "--blocking-threads", "4", "--runtime-threads", "1", "--http", "1"),
    *("--workers-kill-timeout", "10", "--respawn-failed-workers"),
)


def service_process_commands(
    *, host: str, port: int, concurrency: int, debug: bool, worker_queues: Sequence[Sequence[str]] = (ALL_QUEUES,)
) -> dict[str, str]:
    """The processes of one installation, as honcho runs them: web, a Celery worker per entry of
    ``worker_queues`` (each consuming those queues), and beat. ``manage.py serve`` runs one worker on
    every queue; the demo runs one per queue, as docker-compose.yml does."""
    python = shlex.quote(sys.executable)
    if debug:
        web = f"{python} manage.py runserver --noreload {host}:{port}"
    else:
        web = shlex.join(web_server_argv(host=host, port=port))
    commands = {"web": web}
    for queues in worker_queues:
        name = "worker" if len(worker_queues) == 1 else f"worker-{'-'.join(queues)}"
        hostname = "all" if tuple(queues) == tuple(ALL_QUEUES) else "-".join(queues)
        commands[name] = shlex.join(
            celery_worker_argv(queues, hostname=f"reclio-{hostname}@%h", concurrency=concurrency, loglevel="INFO")
        )
    commands["beat"] = f"{python} -m celery -A reclio beat --loglevel INFO"
    return commands


@contextlib.contextmanager
def embedded_servers_supervised(*, every: float = 1.0) -> Iterator[EmbeddedSupervisor | None]:
    """While the block runs (honcho's loop), restart the embedded PostgreSQL/Redis when they die.

    Stopped before the block's process exits, so the deliberate stop of the servers by the last
    process that uses them is not mistaken for a crash."""
    if not (settings.EMBEDDED_DATABASE or settings.EMBEDDED_REDIS):
        yield None
        return
    supervisor = EmbeddedSupervisor(
        data_dir=settings.DATA_DIR, database=settings.EMBEDDED_DATABASE, redis=settings.EMBEDDED_REDIS, every=every
    )
    supervisor.start()
    try:
        yield supervisor
    finally:
        supervisor.stop()
