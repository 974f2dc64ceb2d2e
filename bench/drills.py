"""Drills: faults on real processes, each with a stated expectation, what was lost, the time to recover,
and what ``/feeds`` answered meanwhile (issue 12, "Drills").

    /work/main/.venv/bin/python bench/drills.py                    # every drill, on the full stack
    /work/main/.venv/bin/python bench/drills.py --only pg_freeze,pg_kill,redis_kill
    /work/main/.venv/bin/python bench/drills.py --web-only         # database/Redis drills, web stack only
    /work/main/.venv/bin/python bench/drills.py --list

Two stacks, both on their own embedded PostgreSQL + Redis in a fresh data dir (``--data-dir``):

* full (default): the keyless demo's processes started one by one — the sandbox TMDB + Trakt,
  the web server exactly as production runs it, one Celery worker per queue (plus ``bench.drill_tasks``),
  beat — then the demo seeding (content sync, device-flow connect of ``--viewers`` viewers) and a
  wait until every viewer has personal rows. Takes 2-4 minutes before the first drill.
* web (``--web-only``, and the CI tests in tests/drills/): the web server alone over prepared rows seeded
  like bench/feeds_load.py; only the database/Redis drills run on it.

This process plays ``manage.py serve``'s part for the embedded servers: it runs the same supervisor
(``reclio.services.embedded_servers_supervised``), which restarts them when they die.

``/feeds`` load is open loop (bench/feeds_load.py's client): request *i* is due at ``start + i/rate``
and its latency counts from then. An error is a non-200, a body that is not a ten-row document, or no
answer within 2 s; "generic" counts answers to known viewers without any personal (trakt_list) row.
Recovery time: from the end of the fault to the start of the first one-second window after which
every window has zero errors, zero generic answers and p99 under the budget (50 ms), or, for the
worker drills, until the job's result is there. Exit status 1 when any drill fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The repository (Django apps) and bench/ itself (feeds_load, as the other bench scripts import theirs).
REPO = Path(__file__).resolve().parent.parent
for _path in (REPO, REPO / "bench"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from feeds_load import Pool, free_port, percentile, valid_document  # noqa: E402

P99_BUDGET_MS = 50.0
REQUEST_TIMEOUT = 2.0


# --- /feeds load ---------------------------------------------------------------------------------
@dataclass
class Sample:
    due: float  # time.monotonic() the request was due
    latency: float  # seconds from due to answer (or to the error)
    error: str | None
    generic: bool  # a known viewer answered without personal rows


class Load:
    """Open-loop GETs of /feeds for known viewers at ``rate`` per second, in a background thread."""

    def __init__(self, *, port: int, rate: float, user_ids: list[str], seed: int = 7) -> None:
        self.port, self.rate, self.user_ids = port, rate, user_ids
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._rng = random.Random(seed)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="feeds-load", daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=REQUEST_TIMEOUT + 10)

    async def _run(self) -> None:
        pool = Pool("127.0.0.1", self.port, max_idle=4)
        tasks: set[asyncio.Task[None]] = set()
        start = time.monotonic() + 0.1
        i = 0
        while not self._stop.is_set():
            due = start + i / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            path = f"/feeds?user_id={self._rng.choice(self.user_ids)}&session_id=drill{i}"
            task = asyncio.create_task(self._one(pool, due, path))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        if tasks:
            await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)

    async def _one(self, pool: Pool, due: float, path: str) -> None:
        error, generic = None, False
        try:
            status, body = await asyncio.wait_for(pool.get(path), REQUEST_TIMEOUT)
            if status != 200:
                error = f"status {status}"
            elif not valid_document(body):
                error = "invalid document"
            else:
                generic = not any(feed["source"] == "trakt_list" for feed in json.loads(body)["feeds"])
        except TimeoutError:
            error = "timeout"
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            error = type(exc).__name__
        self.samples.append(Sample(due, time.monotonic() - due, error, generic))

    def wait_answered(self, until: float) -> None:
        """Let requests due before ``until`` finish (they may take up to the client timeout)."""
        time.sleep(max(0.0, until + REQUEST_TIMEOUT + 0.5 - time.monotonic()))


@dataclass
class Window:
    requests: int
    errors: int
    generic: int
    p99_ms: float

    def clean(self, budget_ms: float = P99_BUDGET_MS) -> bool:
        return self.requests > 0 and self.errors == 0 and self.generic == 0 and self.p99_ms < budget_ms


def window(samples: list[Sample], start: float, end: float) -> Window:
    chosen = [s for s in samples if start <= s.due < end]
    latencies = [s.latency * 1000 for s in chosen]
    return Window(
        requests=len(chosen),
        errors=sum(1 for s in chosen if s.error),
        generic=sum(1 for s in chosen if s.generic),
        p99_ms=percentile(latencies, 99) if latencies else float("nan"),
    )


def recovered_after(
    samples: list[Sample], fault_end: float, observed_until: float, budget_ms: float = P99_BUDGET_MS
) -> float | None:
    """Seconds after ``fault_end`` from which every one-second window is clean; None if never."""
    starts = []
    t = fault_end
    while t + 1 <= observed_until:
        starts.append(t)
        t += 1
    recovered_at = None
    for begin in reversed(starts):
        if not window(samples, begin, begin + 1).clean(budget_ms):
            break
        recovered_at = begin
    return None if recovered_at is None else recovered_at - fault_end


# --- results ---------------------------------------------------------------------------------------
@dataclass
class Result:
    drill: str
    expectation: str
    passed: bool = False
    lost: str = "-"
    recovery_s: float | None = None
    during: Window | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    depends_on: str = ""

    def note(self, text: str) -> None:
        self.notes.append(text)


def result_dict(result: Result) -> dict[str, Any]:
    return {
        "drill": result.drill,
        "passed": result.passed,
        "expectation": result.expectation,
        "lost": result.lost,
        "recovery_s": result.recovery_s,
        "during": None if result.during is None else vars(result.during),
        "notes": result.notes,
        "seconds": round(result.seconds, 1),
        "depends_on": result.depends_on,
    }


def table(results: list[Result]) -> str:
    head = ("drill", "result", "expectation", "lost", "recovery", "/feeds p99 during", "errors", "generic", "took")
    rows = [head]
    for r in results:
        during = r.during
        rows.append(
            (
                r.drill,
                "PASS" if r.passed else "FAIL",
                r.expectation,
                r.lost,
                "never" if r.recovery_s is None else f"{r.recovery_s:.1f} s",
                "-" if during is None else f"{during.p99_ms:.0f} ms (n={during.requests})",
                "-" if during is None else str(during.errors),
                "-" if during is None else str(during.generic),
                f"{r.seconds:.0f} s",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    lines = [" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    for r in results:
        for note in r.notes:
            lines.append(f"  {r.drill}: {note}")
        if not r.passed and r.depends_on:
            lines.append(f"  {r.drill}: expected to pass once merged: {r.depends_on}")
    return "\n".join(lines)


# --- the stacks ------------------------------------------------------------------------------------
def _alive_tree(pid: int) -> list[Any]:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


class Stack:
    """Processes on one embedded PostgreSQL + Redis; this process supervises the embedded servers."""

    def __init__(self, *, data_dir: Path, settings_module: str) -> None:
        self.data_dir = data_dir
        self.logs = data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.marks = data_dir / "marks"
        self.web_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "RECLIO_SHARED_DATA")}
        self.env.update(
            RECLIO_DATA_DIR=str(data_dir),
            DJANGO_SETTINGS_MODULE=settings_module,
            DEBUG="false",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(REPO),
            DRILLS_MARK_DIR=str(self.marks),
        )
        os.environ.update(self.env)
        self.commands: dict[str, str] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.user_ids: list[str] = []
        self.usernames: dict[str, str] = {}  # user id → sandbox username
        self.trakt_url = self.tmdb_url = self.tmdb_control = ""  # the sandbox (full stack only)
        self._exit = contextlib.ExitStack()

    # processes
    def start(self, name: str) -> None:
        out = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            shlex.split(self.commands[name]),
            cwd=REPO,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_lines(self, name: str) -> int:
        path = self.logs / f"{name}.log"
        return path.read_bytes().count(b"\n") if path.exists() else 0

    def log_text(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def worker_children(self, queue: str) -> list[Any]:
        """The prefork pool processes of the worker on ``queue`` (the ones that run tasks)."""
        return _alive_tree(self.procs[f"worker-{queue}"].pid)[1:]

    def stop(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        self._exit.close()

    def supervise(self) -> None:
        from reclio.services import embedded_servers_supervised

        self._exit.enter_context(embedded_servers_supervised(every=0.5))

    def wait_web(self, deadline: float) -> None:
        import requests

        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{self.web_port}/manifest", timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        raise SystemExit(f"web did not answer; see {self.logs / 'web.log'}")

    # the embedded servers
    def postgres_tree(self) -> list[Any]:
        from reclio import embedded

        pid = embedded.postgres_pid(data_dir=self.data_dir)
        return _alive_tree(pid) if pid else []

    def redis_pid(self) -> int | None:
        from reclio import embedded

        return embedded.redis_pid(data_dir=self.data_dir)


def web_stack(*, data_dir: Path, users: int = 200, titles: int = 1000) -> Stack:
    """The web server (granian, the production web command) over ``users`` viewers' prepared rows."""
    from feeds_load import seed, user_ids

    stack = Stack(data_dir=data_dir, settings_module="reclio.settings.base")
    seed(users=users, titles=titles, rng=random.Random(7))
    db(_copies_store)
    stack.supervise()
    from reclio.services import service_process_commands

    stack.commands = {
        "web": service_process_commands(host="127.0.0.1", port=stack.web_port, concurrency=1, debug=False)["web"]
    }
    stack.start("web")
    stack.wait_web(time.monotonic() + 60)
    # Known viewers with personal rows (the seed gives some only generic ones): "generic" then means lost.
    stack.user_ids = db(lambda: _personal_users([str(u) for u in user_ids(users)]))
    return stack


def _copies_store() -> None:
    """Each viewer's second copy in Redis, as the rows refresh writes it after storing new rows
    (feeds/services/refresh.py); the seed writes the rows directly, so it writes the copies too.
    Without them a viewer no /feeds request read before the fault got generic rows during it."""
    from feeds.documents import copy_store
    from feeds.models import PreparedFeeds

    for user_id in PreparedFeeds.objects.values_list("user_id", flat=True):
        copy_store(user_id=str(user_id))


def _personal_users(ids: list[str]) -> list[str]:
    from feeds.models import PreparedFeeds

    documents = PreparedFeeds.objects.filter(user_id__in=ids).values_list("user_id", "feeds")
    return [str(pk) for pk, feeds in documents if any(feed.get("source") == "trakt_list" for feed in feeds)]


def full_stack(*, data_dir: Path, viewers: int, titles: int, deadline: float) -> Stack:
    """The demo's processes, started one by one (so a drill can stop and start any of them), seeded."""
    tmdb_port, trakt_port = free_port(), free_port()
    os.environ.update(DEMO_TMDB_PORT=str(tmdb_port), DEMO_TRAKT_PORT=str(trakt_port))
    stack = Stack(data_dir=data_dir, settings_module="sandbox.settings")
    os.environ["DEMO_WEB_PORT"] = stack.env["DEMO_WEB_PORT"] = str(stack.web_port)
    stack.env.update(DEMO_TMDB_PORT=str(tmdb_port), DEMO_TRAKT_PORT=str(trakt_port))
    import django

    django.setup()
    from django.core.management import call_command

    from reclio.services import beat_schedule_mirror
    from sandbox import settings as demo_settings
    from sandbox.demo import demo_feeds_wait, demo_process_commands, demo_seed, demo_world_prepare

    call_command("migrate", interactive=False, verbosity=0)
    beat_schedule_mirror()
    world = demo_world_prepare(path=demo_settings.DEMO_WORLD_PATH, data_dir=None, viewers=viewers, title_limit=titles)
    stack.supervise()
    commands = demo_process_commands(
        world_path=demo_settings.DEMO_WORLD_PATH,
        host="127.0.0.1",
        web_port=stack.web_port,
        tmdb_port=tmdb_port,
        trakt_port=trakt_port,
    )
    # The drill tasks (a poison message, a canary) are known to every worker, not to production.
    stack.commands = {
        name: f"{command} --include bench.drill_tasks" if name.startswith("worker") else command
        for name, command in commands.items()
    }
    for name in stack.commands:
        stack.start(name)
    until = time.monotonic() + deadline
    stack.wait_web(until)
    connected = demo_seed(
        world=world, trakt_url=demo_settings.DEMO_TRAKT_URL, say=lambda line: print(f"  {line}"), deadline=until
    )
    demo_feeds_wait(base_url=f"http://127.0.0.1:{stack.web_port}", viewers=connected, deadline=until)
    stack.user_ids = [viewer.user_id for viewer in connected]
    stack.usernames = {viewer.user_id: viewer.username for viewer in connected}
    stack.trakt_url = demo_settings.DEMO_TRAKT_URL
    stack.tmdb_url = demo_settings.DEMO_TMDB_URL
    stack.tmdb_control = f"http://127.0.0.1:{tmdb_port}/__fake"
    return stack


# --- helpers for the drills ------------------------------------------------------------------------
def db(query: Callable[[], Any], *, attempts: int = 20) -> Any:
    """Run an ORM read from this process, riding out a database that is coming back."""
    from django.db import OperationalError, connection

    for attempt in range(attempts):
        try:
            connection.close()
            return query()
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    return None


def send(name: str, queue: str, **kwargs: Any) -> str:
    from reclio.celery import app

    return str(app.send_task(name, kwargs=kwargs, queue=queue).id)


def poll(probe: Callable[[], Any], *, seconds: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            value = probe()
            if value:
                return value
        time.sleep(every)
    return None


def sigkill_tree(processes: list[Any]) -> None:
    for process in processes:
        with contextlib.suppress(Exception):
            process.send_signal(signal.SIGKILL)


def post(url: str, body: dict[str, Any] | None = None) -> Any:
    import requests

    response = requests.post(url, json=body or {}, timeout=10)
    response.raise_for_status()
    return response.json()


# --- database and Redis drills (both stacks) -------------------------------------------------------
def _under_load(
    stack: Stack, result: Result, *, rate: float, fault: Callable[[], None], after: float, warmup: float = 5.0
) -> tuple[Load, float, float]:
    """Run ``fault`` (it returns when the fault is over) under load, then watch ``after`` seconds more."""
    with Load(port=stack.web_port, rate=rate, user_ids=stack.user_ids) as load:
        time.sleep(warmup)
        fault_start = time.monotonic()
        fault()
        fault_end = time.monotonic()
        time.sleep(after)
        observed_until = time.monotonic()
    load.wait_answered(observed_until)
    # The first second warms the web server up; the rest of the warm-up is the baseline.
    before = window(load.samples, fault_start - warmup + 1, fault_start)
    result.note(f"before the fault: p99 {before.p99_ms:.1f} ms, {before.errors} errors (n={before.requests})")
    result.during = window(load.samples, fault_start, fault_end)
    # Recovered = back to the budget, or to twice the baseline on a machine too busy for the budget.
    budget = max(P99_BUDGET_MS, 2 * before.p99_ms) if before.requests else P99_BUDGET_MS
    kinds = Counter(s.error for s in load.samples if s.error and fault_start <= s.due)
    if kinds:
        result.note(f"errors from the fault on, by kind: {dict(kinds)}")
        # When each failed request was due, from the fault's start: tells a wait at the fault's onset
        # (reads begun before the guard tripped) from one at its end (reconnects) or later.
        offsets = [round(s.due - fault_start, 2) for s in load.samples if s.error and fault_start <= s.due]
        result.note(f"errors due at (s after the fault began): {offsets[:20]}")
    result.recovery_s = recovered_after(load.samples, fault_end, observed_until, budget)
    if budget > P99_BUDGET_MS:
        result.note(f"recovery measured against p99 < {budget:.0f} ms (twice the baseline: a busy machine)")
    return load, fault_start, fault_end


def drill_pg_freeze(stack: Stack, args: argparse.Namespace) -> Result:
    result = Result(
        "pg_freeze",
        f"PostgreSQL SIGSTOPped {args.freeze:.0f} s at {args.rate:.0f} req/s: every /feeds 200 + personal rows, "
        f"p99 < {P99_BUDGET_MS:.0f} ms; back to clean within 5 s",
        depends_on="feeds second copy of the prepared document (Redis/in-process) + bounded DB waits",
    )

    def fault() -> None:
        tree = stack.postgres_tree()
        for process in tree:
            process.suspend()
        try:
            time.sleep(args.freeze)
        finally:
            for process in tree:
                with contextlib.suppress(Exception):
                    process.resume()

    web_lines = stack.log_lines("web")
    _under_load(stack, result, rate=args.rate, fault=fault, after=20)
    result.note(f"web log lines during the drill: {stack.log_lines('web') - web_lines}")
    result.passed = bool(
        result.during and result.during.clean() and result.recovery_s is not None and result.recovery_s <= 5
    )
    return result


def drill_pg_kill(stack: Stack, args: argparse.Namespace) -> Result:
    result = Result(
        "pg_kill",
        f"PostgreSQL SIGKILLed at {args.rate:.0f} req/s: restarted by the supervisor, queries answer again; "
        "/feeds 200 + personal rows throughout, p99 < 50 ms; the outage logged once, not per request",
        depends_on="feeds second copy + outage logged once per period (helper feeds)",
    )
    back: dict[str, float] = {}

    def fault() -> None:
        tree = stack.postgres_tree()
        killed_at = time.monotonic()
        sigkill_tree(tree[:1])  # the postmaster, as the OOM killer would
        # The fault lasts until a query answers again (the supervisor restarts the server).
        if poll(lambda: db(lambda: _select_one(), attempts=1), seconds=90, every=0.2):
            back["db"] = time.monotonic() - killed_at

    web_lines = stack.log_lines("web")
    _under_load(stack, result, rate=args.rate, fault=fault, after=15)
    warnings = stack.log_text("web").splitlines()[web_lines:]
    result.note(
        f"database answering again {back['db']:.1f} s after SIGKILL" if "db" in back else "database never came back"
    )
    result.note(f"web log lines during the drill: {len(warnings)} ({sum('WARNING' in w for w in warnings)} WARNING)")
    result.lost = "-"
    result.passed = bool(
        "db" in back
        and result.during
        and result.during.clean()
        and result.recovery_s is not None
        and result.recovery_s <= 5
        and sum("WARNING" in w for w in warnings) < 20
    )
    return result


def _select_one() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


def drill_redis_kill(stack: Stack, args: argparse.Namespace) -> Result:
    result = Result(
        "redis_kill",
        f"Redis SIGKILLed at {args.rate:.0f} req/s: restarted; /feeds unaffected; tasks queued before the kill "
        "are not lost",
        depends_on="",
    )
    full = "worker-default" in stack.procs
    import redis as redis_lib

    client = redis_lib.Redis.from_url(os.environ.get("REDIS_URL") or _redis_url(stack), socket_timeout=1)
    back: dict[str, float] = {}
    queued: list[str] = []

    def fault() -> None:
        if full:
            # Queued behind nothing: each canary runs at once; the drill checks each ran after the outage.
            queued.extend(str(uuid.uuid4()) for _ in range(5))
            for key in queued:
                send("drills.canary", "default", key=key)
        pid = stack.redis_pid()
        killed_at = time.monotonic()
        if pid:
            os.kill(pid, signal.SIGKILL)
        if poll(client.ping, seconds=60, every=0.2):
            back["redis"] = time.monotonic() - killed_at

    _under_load(stack, result, rate=args.rate, fault=fault, after=10)
    result.note(
        f"Redis answering again {back['redis']:.1f} s after SIGKILL" if "redis" in back else "Redis never came back"
    )
    if full:
        ran = poll(lambda: all((stack.marks / "canary" / key).exists() for key in queued), seconds=60)
        missing = [key for key in queued if not (stack.marks / "canary" / key).exists()]
        result.lost = f"{len(missing)} of {len(queued)} tasks" if missing else "nothing"
        result.passed = bool(ran) and "redis" in back and bool(result.during and result.during.errors == 0)
    else:
        result.lost = "n/a (web stack)"
        result.passed = "redis" in back and bool(result.during and result.during.clean())
    return result


def _redis_url(stack: Stack) -> str:
    from django.conf import settings

    return str(settings.REDIS_URL)


# --- worker drills (full stack) --------------------------------------------------------------------
def _latest_sync_id() -> int:
    from catalog.models import ContentSyncRun

    return ContentSyncRun.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _runs_after(run_id: int) -> list[tuple[int, str, str]]:
    from catalog.models import ContentSyncRun

    return [
        (pk, status, detail[:160])
        for pk, status, detail in ContentSyncRun.objects.filter(id__gt=run_id)
        .order_by("id")
        .values_list("id", "status", "detail")
    ]


def _slow_tmdb(stack: Stack, *, delay: float, times: int) -> None:
    post(f"{stack.tmdb_control}/inject", {"path_prefix": "/3/", "status": 0, "delay": delay, "times": times})


def _clear_tmdb(stack: Stack) -> None:
    post(f"{stack.tmdb_control}/inject/clear")


def _content_sync_outcome(result: Result, *, before: int, fault_at: float, seconds: float) -> None:
    def finished() -> bool:
        runs = db(lambda: _runs_after(before))
        # Succeeded, or every run since has ended (failed/skipped: no use waiting for the deadline).
        return any(run[1] in ("ok", "partial") for run in runs) or bool(
            runs and all(run[1] != "running" for run in runs)
        )

    poll(
        finished,
        seconds=seconds,
        every=1.0,
    )
    runs = db(lambda: _runs_after(before))
    done = any(run[1] in ("ok", "partial") for run in runs)
    stuck = [run for run in runs if run[1] == "running"]
    result.note(f"content sync runs since the fault: {runs}")
    if done:
        result.recovery_s = time.monotonic() - fault_at
    result.lost = f"{len(stuck)} run(s) left 'running'" if stuck else "nothing"
    result.passed = bool(done) and not stuck


def drill_kill_mid_content_sync(stack: Stack, args: argparse.Namespace) -> Result:
    result = Result(
        "sigkill_mid_content_sync",
        "the sync worker's process SIGKILLed mid content sync: redelivered at once, the sync finishes ok; no run "
        "left 'running'",
        depends_on="locks (redelivery takes its own lock over; reaper for stuck runs)",
    )
    before = db(_latest_sync_id)
    _slow_tmdb(stack, delay=0.2, times=400)  # a sync of seconds, not milliseconds: something to interrupt
    try:
        send("catalog.content_sync", "sync", full=True)
        if not poll(lambda: any(run[1] == "running" for run in db(lambda: _runs_after(before))), seconds=60, every=0.2):
            result.note("the content sync never started")
            return result
        time.sleep(1.0)
        fault_at = time.monotonic()
        sigkill_tree(stack.worker_children("sync"))
        _content_sync_outcome(result, before=before, fault_at=fault_at, seconds=args.job_deadline)
    finally:
        _clear_tmdb(stack)
    return result


def drill_sigterm_mid_task(stack: Stack, args: argparse.Namespace) -> Result:
    result = Result(
        "sigterm_mid_task",
        "deploy: SIGTERM to the sync worker mid content sync, SIGKILL 10 s later (compose's default grace), a new "
        "worker started: the sync is requeued at once and finishes ok; nothing left 'running'",
        depends_on="graceful shutdown that requeues at once (issue 12 #6) + locks",
    )
    before = db(_latest_sync_id)
    _slow_tmdb(stack, delay=0.3, times=600)  # longer than the grace period
    try:
        send("catalog.content_sync", "sync", full=True)
        if not poll(lambda: any(run[1] == "running" for run in db(lambda: _runs_after(before))), seconds=60, every=0.2):
            result.note("the content sync never started")
            return result
        time.sleep(1.0)
        fault_at = time.monotonic()
        worker = stack.procs["worker-sync"]
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
            result.note(f"the worker exited {time.monotonic() - fault_at:.1f} s after SIGTERM")
        except subprocess.TimeoutExpired:
            sigkill_tree(_alive_tree(worker.pid))
            worker.wait(timeout=10)
            result.note("the worker was still busy after 10 s: SIGKILLed, as compose would")
        _clear_tmdb(stack)
        stack.start("worker-sync")
        _content_sync_outcome(result, before=before, fault_at=fault_at, seconds=args.job_deadline)
    finally:
        _clear_tmdb(stack)
    return result


def _model_version() -> Any:
    from recsys.models import EngineState

    return {
        state.key: state.value.get("trained_at") for state in EngineState.objects.all() if "trained_at" in state.value
    }


def drill_kill_mid_training(stack: Stack, args: argparse.Namespace) -> Result:
    result = Result(
        "sigkill_mid_training",
        "the recsys worker's process SIGKILLed mid training: redelivered, a new model version is trained the same "
        "run (not skipped for the day)",
        depends_on="locks (training lock owned by the task id)",
    )
    before = db(_model_version)
    log_mark = len(stack.log_text("worker-recsys"))
    send("recsys.engine_train", "recsys")
    if not poll(lambda: "recsys.engine_train" in stack.log_text("worker-recsys")[log_mark:], seconds=60, every=0.05):
        result.note("training never started")
        return result
    # Training the drill's small catalog takes a few hundred ms: kill as soon as it is received.
    fault_at = time.monotonic()
    sigkill_tree(stack.worker_children("recsys"))
    if "engine_trained" in stack.log_text("worker-recsys")[log_mark:]:
        result.note("inconclusive: the training finished before the kill landed")
        return result
    changed = poll(lambda: db(_model_version) != before, seconds=args.job_deadline, every=1.0)
    if changed:
        result.recovery_s = time.monotonic() - fault_at
    tail = stack.log_text("worker-recsys")[log_mark:]
    if "already_running" in tail:
        result.note("the redelivered training was skipped as 'already running'")
    result.note(f"model versions before {before}, after {db(_model_version)}")
    result.lost = "nothing" if changed else "the day's training"
    result.passed = bool(changed)
    return result


def drill_kill_mid_list_write(stack: Stack, args: argparse.Namespace) -> Result:
    from sandbox.chillio import chillio_view, sandbox_writes

    result = Result(
        "sigkill_mid_list_write",
        "the list-writing worker's process SIGKILLed mid Trakt list write: the write is retried, the viewer's "
        "lists end up matching /feeds (Chillio's checks pass, the newly watched title is gone)",
        depends_on="list writes as their own retried task (issue 12 #1) + locks",
    )
    user_id = stack.user_ids[0]
    username = stack.usernames[user_id]
    base = f"http://127.0.0.1:{stack.web_port}"
    trakt = stack.trakt_url
    view = chillio_view(base_url=base, user_id=user_id, username=username, trakt_url=trakt, tmdb_url=stack.tmdb_url)
    picked = next((t for row in view.personal_rows for t in row.titles), None)
    if picked is None:
        result.note("the viewer has no personal titles to watch")
        return result
    writes = sandbox_writes(trakt_url=trakt, username=username)
    post(f"{trakt}/_sandbox/accounts/{username}/watch", {"media_type": picked.media_type, "tmdb_id": picked.tmdb_id})
    send("users.user_sync", "sync", user_id=user_id)
    if not poll(lambda: sandbox_writes(trakt_url=trakt, username=username) > writes, seconds=120, every=0.1):
        result.note("no list write started")
        return result
    fault_at = time.monotonic()
    log_mark = len(stack.log_text("worker-trakt_lists"))
    sigkill_tree(stack.worker_children("trakt_lists"))
    writes_at_kill = sandbox_writes(trakt_url=trakt, username=username)

    def settled() -> bool:
        now = chillio_view(base_url=base, user_id=user_id, username=username, trakt_url=trakt, tmdb_url=stack.tmdb_url)
        shown = any(
            (t.media_type, t.tmdb_id) == (picked.media_type, picked.tmdb_id)
            for r in now.personal_rows
            for t in r.titles
        )
        ok = all(c.ok for c in now.checks if c.name != "every TMDB query row has titles")
        return bool(now.personal_rows) and ok and not shown

    done = poll(settled, seconds=args.job_deadline, every=3.0)
    if done:
        result.recovery_s = time.monotonic() - fault_at
    lost_worker = poll(lambda: "WorkerLostError" in stack.log_text("worker-trakt_lists")[log_mark:], seconds=5)
    result.note(
        f"Trakt writes: {writes} before, {writes_at_kill} at the kill, "
        f"{sandbox_writes(trakt_url=trakt, username=username)} after; "
        f"the kill {'interrupted a task' if lost_worker else 'found the worker idle (inconclusive)'}"
    )
    result.lost = "nothing" if done else "the list write (lists stale)"
    result.passed = bool(done) and bool(lost_worker)
    return result


def drill_poison(stack: Stack, args: argparse.Namespace) -> Result:
    result = Result(
        "poison_message",
        "a task that kills its worker on every delivery: delivered at most 3 times, then parked and reported; "
        "the tasks queued behind it run",
        depends_on="delivery count + parking of poison messages (helper locks)",
    )
    key = str(uuid.uuid4())
    canaries = [str(uuid.uuid4()) for _ in range(3)]
    fault_at = time.monotonic()
    send("drills.poison", "default", key=key)
    for canary in canaries:
        send("drills.canary", "default", key=canary)
    ran = poll(lambda: all((stack.marks / "canary" / c).exists() for c in canaries), seconds=args.job_deadline)
    if ran:
        result.recovery_s = time.monotonic() - fault_at
    time.sleep(30)  # does it keep coming back? (each redelivery takes a few seconds)
    marks = stack.marks / "poison" / key
    deliveries = len(marks.read_text().splitlines()) if marks.exists() else 0
    canaries_run = sum((stack.marks / "canary" / c).exists() for c in canaries)
    result.note(f"poison deliveries: {deliveries}; canaries run: {canaries_run}/3")
    result.lost = "nothing" if ran else "tasks behind the poison message"
    result.passed = bool(ran) and 1 <= deliveries <= 3
    return result


def _titles() -> int:
    from catalog.models import ContentItem

    return ContentItem.objects.count()


def drill_tmdb_429(stack: Stack, args: argparse.Namespace) -> Result:
    result = Result(
        "tmdb_429_storm",
        "TMDB answers 429 (Retry-After: 1) to 150 requests during a content sync: the sync waits and finishes ok; "
        "no title lost; /feeds unaffected",
        depends_on="capped Retry-After (done) + shared TMDB budget (issue 12 #13)",
    )
    titles, before = db(_titles), db(_latest_sync_id)
    post(
        f"{stack.tmdb_control}/inject",
        {"path_prefix": "/3/", "status": 429, "headers": {"Retry-After": "1"}, "times": 150},
    )
    try:
        with Load(port=stack.web_port, rate=20, user_ids=stack.user_ids) as load:
            fault_at = time.monotonic()
            send("catalog.content_sync", "sync", full=True)
            _content_sync_outcome(result, before=before, fault_at=fault_at, seconds=args.job_deadline)
            end = time.monotonic()
        load.wait_answered(end)
        result.during = window(load.samples, fault_at, end)
    finally:
        _clear_tmdb(stack)
    after = db(_titles)
    if after < titles:
        result.lost = f"{titles - after} titles"
        result.passed = False
    return result


def _synced(user_id: str) -> Any:
    from users.models import User

    user = User.objects.get(pk=user_id)
    return (user.connection_state, user.updated_at, user.last_sync_error)


def _synced_cleanly(now: Any, before: Any) -> bool:
    return bool(now[1] != before[1] and not now[2])


def drill_trakt_429(stack: Stack, args: argparse.Namespace) -> Result:
    result = Result(
        "trakt_429_storm",
        "Trakt answers 429 (Retry-After: 2) to 60 reads during every viewer's sync: the syncs wait and finish; "
        "viewers stay connected with personal rows",
        depends_on="capped Retry-After (done)",
    )
    trakt = stack.trakt_url
    before = {u: db(functools.partial(_synced, u)) for u in stack.user_ids}
    post(
        f"{trakt}/_sandbox/inject",
        {"path_prefix": "/sync/", "method": "GET", "status": 429, "headers": {"Retry-After": "2"}, "times": 60},
    )
    try:
        with Load(port=stack.web_port, rate=20, user_ids=stack.user_ids) as load:
            fault_at = time.monotonic()
            for user_id in stack.user_ids:
                send("users.user_sync", "sync", user_id=user_id)
            done = poll(
                # Synced since, and the last sync did not end on the 429s (a retry that got through).
                lambda: all(_synced_cleanly(db(functools.partial(_synced, u)), before[u]) for u in stack.user_ids),
                seconds=args.job_deadline,
                every=1.0,
            )
            end = time.monotonic()
        load.wait_answered(end)
        result.during = window(load.samples, fault_at, end)
    finally:
        post(f"{trakt}/_sandbox/inject/clear")
    after = {u: db(functools.partial(_synced, u)) for u in stack.user_ids}
    result.note(
        f"viewer state after: {[a[0] for a in after.values()]}, errors: {[a[2] for a in after.values() if a[2]]}"
    )
    if done:
        result.recovery_s = time.monotonic() - fault_at
    connected = all(a[0] == "connected" for a in after.values())
    result.lost = "nothing" if connected and done else "a sync or a connection"
    result.passed = (
        bool(done) and connected and bool(result.during and result.during.errors == 0 and result.during.generic == 0)
    )
    return result


def drill_trakt_revoked(stack: Stack, args: argparse.Namespace) -> Result:
    result = Result(
        "trakt_token_revoked",
        "a viewer revokes Reclio at Trakt: marked 'needs re-auth' at the next sync, no retry loop; /feeds still "
        "answers them 200; other viewers unaffected",
        depends_on="",
    )
    if len(stack.user_ids) < 2:
        result.note("needs two viewers (--viewers 2)")
        return result
    victim, other = stack.user_ids[-1], stack.user_ids[0]
    trakt = stack.trakt_url
    post(f"{trakt}/_sandbox/accounts/{stack.usernames[victim]}/revoke")
    with Load(port=stack.web_port, rate=20, user_ids=[victim, other]) as load:
        fault_at = time.monotonic()
        send("users.user_sync", "sync", user_id=victim)
        marked = poll(lambda: db(lambda: _synced(victim))[0] == "needs_reauth", seconds=args.job_deadline, every=1.0)
        end = time.monotonic()
    load.wait_answered(end)
    if marked:
        result.recovery_s = end - fault_at
    samples = [s for s in load.samples if fault_at <= s.due < end]
    result.during = window(samples, fault_at, end)
    result.during.generic = 0  # the revoked viewer may fall back to generic rows; errors are what count
    other_ok = db(lambda: _synced(other))[0] == "connected"
    result.note(f"victim state: {db(lambda: _synced(victim))[0]}; other viewer connected: {other_ok}")
    result.lost = "nothing" if other_ok else "another viewer's connection"
    result.passed = bool(marked) and other_ok and result.during.errors == 0
    return result


DRILLS: dict[str, tuple[Callable[[Stack, argparse.Namespace], Result], bool]] = {
    # name: (drill, runs on the web-only stack too). In this order, the drills that leave nothing
    # behind come first: a worker drill that fails may leave a stale lock that a later drill meets.
    "tmdb_429_storm": (drill_tmdb_429, False),
    "trakt_429_storm": (drill_trakt_429, False),
    "trakt_token_revoked": (drill_trakt_revoked, False),
    "pg_freeze": (drill_pg_freeze, True),
    "pg_kill": (drill_pg_kill, True),
    "redis_kill": (drill_redis_kill, True),
    "sigkill_mid_list_write": (drill_kill_mid_list_write, False),
    "sigkill_mid_training": (drill_kill_mid_training, False),
    "poison_message": (drill_poison, False),
    "sigkill_mid_content_sync": (drill_kill_mid_content_sync, False),
    "sigterm_mid_task": (drill_sigterm_mid_task, False),
}


def run_drills(stack: Stack, names: list[str], args: argparse.Namespace) -> list[Result]:
    results = []
    for name in names:
        drill, _ = DRILLS[name]
        print(f"drill {name} …", flush=True)
        started = time.monotonic()
        try:
            result = drill(stack, args)
        except Exception as exc:  # noqa: BLE001 - a drill that crashes is a failed drill, the rest still run
            result = Result(name, "(crashed)", notes=[f"{type(exc).__name__}: {exc}"])
        result.seconds = time.monotonic() - started
        print(
            f"  {'PASS' if result.passed else 'FAIL'} in {result.seconds:.0f} s; " + "; ".join(result.notes), flush=True
        )
        results.append(result)
        time.sleep(2)  # let the stack settle before the next fault
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated drill names (default: all)")
    parser.add_argument("--list", action="store_true", help="list the drills and exit")
    parser.add_argument("--web-only", action="store_true", help="web-server-only stack: database/Redis drills")
    parser.add_argument("--rate", type=float, default=200.0, help="/feeds requests per second during DB drills")
    parser.add_argument("--freeze", type=float, default=10.0, help="seconds PostgreSQL stays SIGSTOPped")
    parser.add_argument("--viewers", type=int, default=2)
    parser.add_argument("--titles", type=int, default=120)
    parser.add_argument("--job-deadline", type=float, default=180.0, help="seconds a worker drill waits for its job")
    parser.add_argument("--setup-deadline", type=float, default=420.0)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a fresh temporary folder")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here (tests read it)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name, (_, web) in DRILLS.items():
            print(f"{name:<26} {'web+full' if web else 'full'}")
        return 0
    asked = [n for n in args.only.split(",") if n]
    unknown = sorted(set(asked) - set(DRILLS))
    if unknown:
        raise SystemExit(f"unknown drills: {unknown}; see --list")
    names = [n for n, (_, web) in DRILLS.items() if ((n in asked) if asked else (web or not args.web_only))]
    if args.web_only and any(not DRILLS[n][1] for n in names):
        raise SystemExit("the worker drills need the full stack (drop --web-only)")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="reclio-drills-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"data dir {data_dir}; starting the {'web' if args.web_only else 'full'} stack …", flush=True)
    stack = (
        web_stack(data_dir=data_dir)
        if args.web_only
        else full_stack(data_dir=data_dir, viewers=args.viewers, titles=args.titles, deadline=args.setup_deadline)
    )
    try:
        print(f"stack ready in {time.monotonic() - started:.0f} s; logs in {stack.logs}", flush=True)
        results = run_drills(stack, names, args)
    finally:
        stack.stop()
    print()
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([result_dict(r) for r in results], indent=2))
    print(f"\n{sum(r.passed for r in results)}/{len(results)} drills passed; {time.monotonic() - started:.0f} s in all")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
