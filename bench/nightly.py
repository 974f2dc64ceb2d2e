"""The whole nightly refresh, end to end, on real Celery workers against the sandbox Trakt.

    /work/main/.venv/bin/python bench/nightly.py [--viewers 1000] [--titles 5000] [--history 40]
        [--interval 1.0] [--ordinary-nights 1] [--bulk-concurrency 48] [--feeds-concurrency 2] [--tune-seconds 120]

What runs for real, one process per queue as docker-compose.yml runs them: ``recsys`` (prefork,
concurrency 1), ``feeds`` (prefork, ``--feeds-concurrency``), ``trakt_lists_bulk`` (threads,
``--bulk-concurrency``); the sandbox Trakt (``sandbox/trakt.py``, in this process) with Trakt's
per-account write limit enforced; the embedded Redis (broker, locks, the shared per-account write
limiter) and PostgreSQL of a scratch data directory (``var/bench_nightly``, wiped at each run). The
bench sends ``recsys.engine_train`` as beat does at 04:30 and from there the product's own chain
runs: train → rescoring chunks on ``recsys`` → ``feeds.user_rows_refresh`` per viewer (ten rows, four
of them asked for as Trakt lists) → ``users.user_lists_write`` on ``trakt_lists_bulk`` →
``feeds.user_lists_written`` switches the rows to the lists.

What is synthetic (stated in the report): a catalog of ``--titles`` titles (half movies, half shows,
Zipf popularity, a few genres) whose embeddings are **random 384-d unit vectors**; ``--viewers``
viewers with ``--history`` interactions each (popularity-weighted, 30 % rated, over two years), each
connected to its own sandbox Trakt account.

Nights timed apart. **Night 1** is the first night of a new installation: no list exists yet,
so each is created and filled (it runs with ``--first-night-interval``, 0 = unpaced by default: it
is the set-up that leaves yesterday's lists on Trakt). Then **the day**: every viewer watches
``--day-watches`` new titles (stored as a sync would store them). **Night 2** (and each of
``--ordinary-nights``, after another day: one bench run, two or more measurements) is the measured
ordinary night, at ``--interval`` (1.0 = Trakt's real 1 write/s per account; 0.1 = 10x compressed:
the sandbox's enforced interval and the client's limiter scale together).

Per night: when training ended, when the last viewer was rescored, composed, had its lists written,
and had its document switched to the lists (from the rows' own timestamps); Trakt writes per viewer
and the 429s the sandbox answered (must be 0); CPU per worker (wait4, pool children included), of
PostgreSQL + Redis and of this process (sandbox Trakt + polling) against what 2 cores give in that
wall time. A heartbeat thread records every gap > 2 s in this process's clock (another job's quiet
window SIGSTOPs it): the report gives the stopped seconds so the figure can be corrected.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _setup import (
    REPO,
    django_setup,
    load_average,
    scratch_installation_env,
    viewer_connected,
    worker_start,
    worker_stop_cpu,
    workers_wait,
)

PREFIX = "night"
GENRES = [(28, "Action"), (18, "Drama"), (35, "Comedy"), (878, "Science Fiction"), (53, "Thriller"), (10749, "Romance")]
DIM = 384


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--titles", type=int, default=5000)
    parser.add_argument("--history", type=int, default=40, help="interactions per viewer (Poisson mean)")
    parser.add_argument("--day-watches", type=int, default=1, help="new titles each viewer watches between nights")
    parser.add_argument("--interval", type=float, default=1.0, help="night 2's per-account write interval (Trakt 1.0)")
    parser.add_argument("--ordinary-nights", type=int, default=1, help="measured ordinary nights after night 1")
    parser.add_argument("--first-night-interval", type=float, default=0.0, help="night 1's (0 = unpaced set-up)")
    parser.add_argument("--bulk-concurrency", type=int, default=48, help="trakt_lists_bulk threads (compose: 48)")
    parser.add_argument("--feeds-concurrency", type=int, default=2, help="feeds prefork processes (compose: 2)")
    parser.add_argument("--recsys-concurrency", type=int, default=1, help="recsys prefork processes (compose: 1)")
    parser.add_argument("--tune-seconds", type=int, default=120, help="RECSYS_TUNE_SECONDS (production: 120)")
    parser.add_argument("--timeout", type=float, default=3 * 3600.0, help="give up a night after this many seconds")
    parser.add_argument("--data-dir", default=str(REPO / "var" / "bench_nightly"))
    return parser.parse_args()


class Heartbeat(threading.Thread):
    """Wakes every second; a wake-up more than 2 s late means this process was stopped (or starved)."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="heartbeat")
        self.gaps: list[tuple[float, float]] = []  # (wall clock when noticed, seconds late)

    def run(self) -> None:
        last = time.monotonic()
        while True:
            time.sleep(1.0)
            now = time.monotonic()
            if now - last > 2.0:
                self.gaps.append((time.time(), now - last - 1.0))
            last = now

    def stopped_between(self, start: float, end: float) -> float:
        return sum(late for when, late in self.gaps if start <= when <= end)


def _sandbox_class() -> type:
    """The sandbox Trakt, counting requests instead of keeping them (a night is ~20 per viewer)."""
    from sandbox import trakt as sandbox_trakt

    class CountingTrakt(sandbox_trakt.FakeTrakt):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.tally: Counter[str] = Counter()
            self.writes_per_account: Counter[str] = Counter()

        def _loggable(self, request: Any) -> bool:
            if request.path.startswith("/_sandbox/") or not request.tag.startswith(PREFIX):
                return False
            write = request.method in ("POST", "PUT", "DELETE")
            if request.status == 429:
                self.tally["429"] += 1
            elif write:
                self.tally["writes"] += 1
                self.writes_per_account[request.tag] += 1
            else:
                self.tally["reads"] += 1
            return False

        def night_reset(self, *, interval: float) -> None:
            self.tally.clear()
            self.writes_per_account.clear()
            self._last_write.clear()
            self.enforce_write_rate = interval > 0
            scale = 1.0 / interval if interval > 0 else 1.0
            self.clock = lambda: time.monotonic() * scale

    return CountingTrakt


def _seed(args: argparse.Namespace, fake: Any) -> list[str]:
    """The synthetic installation: catalog with vectors, viewers with histories, each connected to its account."""
    from django.utils import timezone

    from catalog.models import ContentItem
    from users.contracts import InteractionKind
    from users.models import Interaction, User

    rng = np.random.default_rng(7)
    started = time.perf_counter()
    vectors = rng.standard_normal((args.titles, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    popularity = 1000.0 / np.arange(1, args.titles + 1) ** 0.9
    items = []
    for n in range(args.titles):
        media_type = "movie" if n % 2 == 0 else "tv"
        genres = [GENRES[int(g)] for g in rng.choice(len(GENRES), size=2, replace=False)]
        items.append(
            ContentItem(
                item_id=f"{media_type}_{n + 1}",
                tmdb_id=n + 1,
                media_type=media_type,
                title=f"Synthetic {media_type} {n + 1}",
                overview="A synthetic title of the nightly bench.",
                genres=[{"id": gid, "name": name} for gid, name in genres],
                genre_ids=[gid for gid, _ in genres],
                year=int(rng.integers(1970, 2026)),
                vote_average=float(rng.uniform(4, 9)),
                vote_count=int(rng.integers(10, 20_000)),
                popularity=float(popularity[n]),
                poster_path=f"/p{n + 1}.jpg",
                source_hash="bench",
                embedding=vectors[n],
                embedding_model="bench-random-384",
                embedding_dim=DIM,
                embedding_source_hash="bench",
                tmdb_confirmed_at=timezone.now(),
            )
        )
    ContentItem.objects.bulk_create(items, batch_size=1000)
    item_ids = [item.item_id for item in items]
    print(f"  catalog: {args.titles:,} titles with random {DIM}-d vectors ({time.perf_counter() - started:.0f}s)")

    now = timezone.now()
    weights = popularity / popularity.sum()
    users, interactions = [], []
    for n in range(args.viewers):
        _account, user = viewer_connected(fake, f"{PREFIX}{n}", now=now, list_item_limit=5000)
        users.append(user)
        count = int(np.clip(rng.poisson(args.history), 5, args.titles // 4))
        for k, index in enumerate(rng.choice(args.titles, size=count, replace=False, p=weights)):
            when = now - dt.timedelta(days=2 + float(rng.random()) * 730, seconds=k)
            interactions.append(
                Interaction(user=user, item_id=item_ids[index], kind=InteractionKind.VIEW, occurred_at=when)
            )
            if rng.random() < 0.3:
                interactions.append(
                    Interaction(
                        user=user,
                        item_id=item_ids[index],
                        kind=InteractionKind.RATING,
                        value=int(rng.integers(1, 11)),
                        occurred_at=when,
                    )
                )
    User.objects.bulk_create(users, batch_size=2000)
    Interaction.objects.bulk_create(interactions, batch_size=5000)
    print(
        f"  viewers: {args.viewers:,} connected, {len(interactions):,} interactions "
        f"({time.perf_counter() - started:.0f}s so far)"
    )
    return [str(user.pk) for user in users]


def _day(args: argparse.Namespace, user_ids: list[str], *, seed: int) -> None:
    """Between the nights: every viewer watched ``--day-watches`` titles yesterday evening."""
    from django.utils import timezone

    from catalog.models import ContentItem
    from users.contracts import InteractionKind
    from users.models import Interaction

    rng = np.random.default_rng(seed)
    catalog = list(ContentItem.objects.order_by("-popularity").values_list("item_id", flat=True)[:2000])
    when = timezone.now() - dt.timedelta(hours=8)  # outside the 2 h window: still the bulk queue
    rows = [
        Interaction(user_id=user_id, item_id=catalog[int(i)], kind=InteractionKind.VIEW, occurred_at=when)
        for user_id in user_ids
        for i in rng.choice(len(catalog), size=args.day_watches, replace=False)
    ]
    Interaction.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)


@dataclass
class Night:
    label: str
    interval: float
    wall: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # stage → seconds after the training task was sent
    counts: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    stopped: float = 0.0
    stopped_by_stage: dict[str, float] = field(default_factory=dict)
    load: tuple[str, str] = ("", "")


def _service_cpu(data_dir: str) -> float:
    """CPU seconds so far of the embedded PostgreSQL and Redis (live processes and their reaped children)."""
    import psutil

    total = 0.0
    for process in psutil.process_iter(["cmdline"]):
        # This process's own command line names the data dir too; its workers are counted apart.
        if process.pid == os.getpid() or data_dir not in " ".join(process.info["cmdline"] or []):
            continue
        try:
            family = [process, *process.children(recursive=True)]
            total += sum(sum(p.cpu_times()[:4]) for p in family)
        except psutil.Error:
            continue
    return total


def _counts(mark: dt.datetime) -> dict[str, int]:
    from django.db import connection

    from feeds.models import PreparedFeeds
    from users.contracts import ListState
    from users.models import ManagedList

    lists = ManagedList.objects.filter(user__trakt_slug__startswith=PREFIX)
    with connection.cursor() as cursor:
        # A document is switched when every row that has a list serves it (source trakt_list).
        cursor.execute(
            """
            SELECT count(*) FROM feeds_preparedfeeds
             WHERE computed_at >= %s
               AND (SELECT count(*) FROM jsonb_array_elements(feeds) f WHERE f->>'source' = 'trakt_list')
                 = (SELECT count(*) FROM jsonb_array_elements(rows) r WHERE jsonb_typeof(r->'list_feed') = 'object')
            """,
            [mark],
        )
        switched = cursor.fetchone()[0]
    return {
        "composed": PreparedFeeds.objects.filter(computed_at__gte=mark).count(),
        "lists": lists.count(),
        "lists_written": lists.filter(last_written_at__gte=mark, state=ListState.OK).count(),
        "lists_failed": lists.exclude(state__in=[ListState.OK, ListState.PENDING]).count(),
        "switched": switched,
    }


def _stage_ends(mark: dt.datetime) -> dict[str, dt.datetime | None]:
    """When each stage's last viewer finished, from the rows' own timestamps."""
    from django.db.models import Max

    from feeds.models import PreparedFeeds
    from recsys.models import EngineState, Recommendation
    from recsys.selectors import LOCAL_ENGINE_STATE_KEY
    from users.models import ManagedList

    state = EngineState.objects.filter(key=LOCAL_ENGINE_STATE_KEY, updated_at__gte=mark).first()
    return {
        "trained": state.updated_at if state else None,
        "rescored": Recommendation.objects.filter(created_at__gte=mark).aggregate(m=Max("created_at"))["m"],
        "composed": PreparedFeeds.objects.filter(computed_at__gte=mark).aggregate(m=Max("computed_at"))["m"],
        "lists written": ManagedList.objects.filter(last_written_at__gte=mark).aggregate(m=Max("last_written_at"))["m"],
    }


def _night(args: argparse.Namespace, night: Night, fake: Any, heartbeat: Heartbeat, viewers: int) -> Night:
    from django.utils import timezone

    from reclio import events
    from reclio.celery import app
    from reclio.queues import Queue

    fake.night_reset(interval=night.interval)
    env = {
        "TRAKT_API_URL": fake.url,
        "TRAKT_WRITE_INTERVAL_SECONDS": str(night.interval),
        "RECSYS_TUNE_SECONDS": str(args.tune_seconds),
    }
    tag = f"bench-night-{os.getpid()}"
    plan = {
        Queue.RECSYS.value: ("prefork", args.recsys_concurrency),
        Queue.FEEDS.value: ("prefork", args.feeds_concurrency),
        Queue.TRAKT_LISTS_BULK.value: ("threads", args.bulk_concurrency),
    }
    workers = {
        f"{tag}-{queue}": worker_start(
            [queue],
            name=f"{tag}-{queue}",
            pool=pool,
            concurrency=concurrency,
            env=env,
            log=Path(args.data_dir) / f"worker-{night.label}-{queue}.log",
        )
        for queue, (pool, concurrency) in plan.items()
    }
    paced = f"{night.interval}s per account" if night.interval > 0 else "unpaced"
    print(f"\n== {night.label}: write interval {paced}; workers up...", flush=True)
    try:
        workers_wait(app, workers, seconds=600)  # another job's quiet window may stop them for minutes
        night.load = (load_average(), "")
        services_before, self_before = _service_cpu(args.data_dir), _self_cpu()
        mark, t0 = timezone.now(), time.time()
        # As beat sends it at 04:30 (reclio/settings/celery.py): by name, on its declared queue.
        app.send_task(events.RECSYS_ENGINE_TRAIN.name, queue=events.RECSYS_ENGINE_TRAIN.queue)
        last_print, progressed_at = 0.0, time.monotonic()
        progress: tuple[int, ...] = ()
        while True:
            time.sleep(5.0)
            counts = _counts(mark)
            written = (
                counts["composed"] >= viewers and counts["lists_written"] + counts["lists_failed"] >= counts["lists"]
            )
            done = written and counts["switched"] >= viewers
            if tuple(counts.values()) != progress:
                progress, progressed_at = tuple(counts.values()), time.monotonic()
            # Every list written but a switch that never comes (its task failed): reported, not waited for.
            stalled = written and time.monotonic() - progressed_at > 180
            if done or stalled or time.time() - t0 > args.timeout:
                break
            for name, worker in workers.items():
                if worker.poll() is not None:
                    raise SystemExit(f"worker {name} exited early (see {args.data_dir})")
            if time.time() - last_print >= 60:
                print(
                    f"  {time.time() - t0:6.0f}s: composed {counts['composed']:,}/{viewers:,}, lists "
                    f"{counts['lists_written']:,}/{counts['lists']:,} written, {counts['switched']:,} switched, "
                    f"Trakt writes {fake.tally['writes']:,}, 429s {fake.tally['429']}",
                    flush=True,
                )
                last_print = time.time()
        night.wall = time.time() - t0
        night.counts = {**counts, "done": int(done)}
        ends = _stage_ends(mark)
        night.stages = {stage: (when - mark).total_seconds() for stage, when in ends.items() if when is not None}
        night.stages["switched (seen by the poll)"] = night.wall - (180 if stalled else 0)
        night.stopped = heartbeat.stopped_between(t0, time.time())
        night.stopped_by_stage = {
            stage: heartbeat.stopped_between(t0, t0 + seconds) for stage, seconds in night.stages.items()
        }
        night.cpu["postgres+redis"] = _service_cpu(args.data_dir) - services_before
        night.cpu["bench (sandbox Trakt, polls)"] = _self_cpu() - self_before
    finally:
        for name, worker in workers.items():
            night.cpu[name.removeprefix(f"{tag}-")] = worker_stop_cpu(worker)
    night.load = (night.load[0], load_average())
    night.counts.update(
        writes=fake.tally["writes"],
        reads=fake.tally["reads"],
        limited=fake.tally["429"],
        max_writes_one_account=max(fake.writes_per_account.values(), default=0),
    )
    _report(night, viewers)
    return night


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _report(night: Night, viewers: int) -> None:
    c = night.counts
    scale = (
        "real Trakt pacing"
        if night.interval >= 1.0
        else (f"{1 / night.interval:.0f}x time-compressed" if night.interval > 0 else "unpaced (set-up)")
    )
    print(f"\n{night.label}: {viewers:,} viewers, write interval {night.interval}s ({scale})")
    finished = "yes" if c.get("done") else f"NO: {viewers - c['switched']} document(s) never switched"
    print(f"  finished: {finished} in {night.wall:.0f}s wall")
    for stage, seconds in night.stages.items():
        stopped = night.stopped_by_stage.get(stage, 0.0)
        print(
            f"  {stage:<28} {seconds:8.0f}s after the training task was sent ({seconds / 60:.1f} min; "
            f"{(seconds - stopped) / 60:.1f} min without the {stopped:.0f}s this process was stopped)"
        )
    print(
        f"  lists: {c['lists']:,} ({c['lists'] / viewers:.2f} per viewer), {c['lists_failed']} failed; "
        f"documents composed {c['composed']:,}, switched {c['switched']:,}"
    )
    print(
        f"  Trakt: {c['writes']:,} writes accepted ({c['writes'] / viewers:.2f} per viewer, at most "
        f"{c['max_writes_one_account']} for one account), {c['reads']:,} reads, {c['limited']} answered 429"
    )
    total = sum(night.cpu.values())
    parts = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in night.cpu.items())
    print(
        f"  CPU: {parts}; total {total:.0f}s = {total / viewers * 1000:.0f} ms per viewer, "
        f"{total / max(1.0, night.wall * 2) * 100:.0f}% of 2 cores over the wall time"
    )
    print(f"  stopped (heartbeat > 2 s late): {night.stopped:.0f}s; load average {night.load[0]} -> {night.load[1]}")
    if night.interval and night.interval < 1.0:
        print(
            f"  at real pacing the Trakt-bound part scales by x{1 / night.interval:.0f}: lists written at "
            f"~{night.stages.get('lists written', night.wall) / night.interval / 60:.0f} min (upper bound)"
        )


def main() -> None:
    args = _args()
    scratch_installation_env(args.data_dir)
    django_setup("reclio.settings.base")
    from django.core.cache import cache
    from django.core.management import call_command

    from reclio.celery import app

    print(
        f"nightly bench: {args.viewers:,} viewers, {args.titles:,} titles, history ~{args.history}, workers: "
        f"recsys prefork x{args.recsys_concurrency}, feeds prefork x{args.feeds_concurrency}, "
        f"trakt_lists_bulk threads x{args.bulk_concurrency}; load average at start: {load_average()}",
        flush=True,
    )
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)  # the scratch installation, wiped
    cache.clear()
    app.control.purge()
    for old in Path(args.data_dir, "recsys").glob("*"):
        old.unlink()
    heartbeat = Heartbeat()
    heartbeat.start()
    with _sandbox_class()(enforce_write_rate=True) as fake:
        user_ids = _seed(args, fake)
        _night(
            args,
            Night("night 1 (first night: lists created)", args.first_night_interval),
            fake,
            heartbeat,
            args.viewers,
        )
        for number in range(2, 2 + args.ordinary_nights):
            _day(args, user_ids, seed=number)
            print(f"\nthe day: every viewer watched {args.day_watches} new title(s)")
            _night(args, Night(f"night {number} (an ordinary night)", args.interval), fake, heartbeat, args.viewers)
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
