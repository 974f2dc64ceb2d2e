"""The nightly Trakt list rewrite at scale: N viewers through real Celery workers on ``trakt_lists_bulk``.

    /work/main/.venv/bin/python bench/fanout.py [--viewers 1000] [--pool threads] [--concurrency 48]
        [--lists 1] [--interval 1.0]

What runs for real: the sandbox Trakt (``sandbox/trakt.py``) with its per-account write limit
enforced (a second write of one account within ``--interval`` seconds gets a 429), one Celery
worker process consuming ``trakt_lists_bulk`` with the given pool and concurrency, the embedded
Redis (broker, and the shared per-account write limiter, ``users/trakt/write_limiter.py``) and the
embedded PostgreSQL of a scratch data directory (``var/bench_fanout``, kept between runs).

What is modelled: each viewer already has ``--lists`` managed lists of 50 titles on Trakt, and the
night changes each one a little (2 titles out, 2 in at the top: remove + add + reorder = 3 writes
before ``list_diff`` re-appended the changed tail, 2 writes since; Trakt's 1 write/s per account). Rescoring and row
composition are not part of this run (see docs/scaling.md for their cost): the bench enqueues
``users.user_lists_write`` for every viewer on ``trakt_lists_bulk`` at once, as the fan-out does
after composing, and times until every list is written.

Time compression: none by default (``--interval 1.0`` is Trakt's real pacing). ``--interval 0.1``
scales the sandbox's enforced interval and the client's limiter together (10x compressed); the
report states the interval. 10,000 viewers at real pacing take about ``10,000 x 2 s / concurrency`` per list.

Printed: wall time, viewers/s, Trakt writes, 429s from the sandbox (must be 0: the sandbox answers
429 to any write of an account within the interval of its previous one, so 0 means the pacing held)
and the extrapolation to 10,000 viewers at the measured rate. Load averages before/after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

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

QUEUE = "trakt_lists_bulk"
TITLES = 50
PREFIX = "fanout"


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--lists", type=int, default=1, help="managed lists changed per viewer (2 writes each)")
    parser.add_argument("--pool", default="threads", choices=["prefork", "threads", "solo"])
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument("--interval", type=float, default=1.0, help="per-account write interval (Trakt: 1.0 s)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up after this many seconds")
    parser.add_argument("--data-dir", default=str(REPO / "var" / "bench_fanout"))
    return parser.parse_args()


def main() -> None:
    args = _args()
    scratch_installation_env(args.data_dir)
    os.environ["TRAKT_WRITE_INTERVAL_SECONDS"] = str(args.interval)
    django_setup("reclio.settings.base")
    from django.core.management import call_command
    from django.utils import timezone

    from reclio.celery import app
    from sandbox import trakt as sandbox_trakt
    from users.contracts import ListState
    from users.models import ManagedList, User
    from users.tasks import user_lists_write_task

    print(
        f"fan-out bench: {args.viewers:,} viewers x {args.lists} list(s), worker --pool {args.pool} "
        f"--concurrency {args.concurrency} on {QUEUE}, write interval {args.interval}s "
        f"({'real Trakt pacing' if args.interval >= 1.0 else f'{1 / args.interval:.0f}x time-compressed'}); "
        f"load average at start: {load_average()}",
        flush=True,
    )
    call_command("migrate", verbosity=0)
    # The sandbox's enforced interval follows --interval (its 1.0 s check, scaled).
    clock_scale = 1.0 / args.interval

    with sandbox_trakt.FakeTrakt(enforce_write_rate=True, clock=lambda: time.monotonic() * clock_scale) as fake:
        started = time.perf_counter()
        User.objects.filter(trakt_slug__startswith=PREFIX).delete()
        now = timezone.now()
        users, lists = [], []
        for n in range(args.viewers):
            account, user = viewer_connected(fake, f"{PREFIX}{n}", now=now, list_item_limit=TITLES * 10)
            users.append(user)
            for k in range(args.lists):
                base = 1000 * (k + 1) + n % 500
                old = [base + i for i in range(TITLES)]
                new = [base + TITLES, base + TITLES + 1, *old[:-2]]  # 2 out, 2 in at the top
                name = f"Reclio list {k}"
                list_id = account.add_list(name, item_tmdb=[("movie", t) for t in old])
                lists.append(
                    ManagedList(
                        user=user,
                        key=f"list_{k}",
                        name=name,
                        trakt_list_id=list_id,
                        trakt_slug=name.lower().replace(" ", "-"),
                        item_ids=[f"movie_{t}" for t in old],
                        state=ListState.PENDING,
                        last_written_at=now - dt.timedelta(days=1),
                        wanted={"name": name, "description": "", "item_ids": [f"movie_{t}" for t in new]},
                        wanted_at=now,
                    )
                )
        User.objects.bulk_create(users, batch_size=2000)
        ManagedList.objects.bulk_create(lists, batch_size=2000)
        print(f"seeded {args.viewers:,} viewers in {time.perf_counter() - started:.1f}s", flush=True)

        name = f"bench-fanout-{os.getpid()}"
        worker = worker_start(
            [QUEUE],
            name=name,
            pool=args.pool,
            concurrency=args.concurrency,
            env={"TRAKT_API_URL": fake.url},
            log=Path(args.data_dir) / "worker.log",
        )
        try:
            workers_wait(app, {name: worker}, seconds=120)
            t0 = time.time()
            mark = timezone.now()
            for user in users:
                user_lists_write_task.apply_async(args=(str(user.pk),), queue=QUEUE)
            enqueued = time.time() - t0
            total = len(lists)
            done = 0
            last_print = time.time()
            while time.time() - t0 < args.timeout:
                done = ManagedList.objects.filter(
                    user__trakt_slug__startswith=PREFIX, last_written_at__gte=mark, state=ListState.OK
                ).count()
                if done >= total:
                    break
                if worker.poll() is not None:
                    raise SystemExit("the worker exited early")
                if time.time() - last_print > 30:
                    print(f"  {time.time() - t0:6.0f}s: {done:,}/{total:,} lists written", flush=True)
                    last_print = time.time()
                time.sleep(1.0)
            wall = time.time() - t0
        finally:
            cpu = worker_stop_cpu(worker)

        writes = [r for r in fake.calls() if r.method in ("POST", "PUT", "DELETE") and r.tag.startswith(PREFIX)]
        _report(args, writes, wall=wall, enqueued=enqueued, done=done, total=total)
        print(
            f"worker CPU (user+system, its pool children included, start-up included): {cpu:.1f}s = "
            f"{cpu / max(1, args.viewers) * 1000:.0f} ms per viewer"
        )
    print(f"load average at end: {load_average()}")


def _report(
    args: argparse.Namespace, writes: list[Any], *, wall: float, enqueued: float, done: int, total: int
) -> None:
    limited = sum(1 for r in writes if r.status == 429)
    print(
        f"\n{done:,}/{total:,} lists written in {wall:.1f}s wall ({enqueued:.1f}s of it enqueueing); "
        f"{args.viewers / wall:.2f} viewers/s"
    )
    accepted = [r for r in writes if r.status != 429]
    print(
        f"Trakt writes: {len(accepted):,} accepted ({len(accepted) / max(1, args.viewers):.2f} per viewer), "
        f"{limited} answered 429 by the sandbox"
    )
    print(
        f"10,000 viewers at this rate: {10_000 / (args.viewers / wall) / 60:.1f} min "
        f"(at the real 1 s interval: x{1.0 / args.interval:.0f} if compressed)"
    )


if __name__ == "__main__":
    main()
