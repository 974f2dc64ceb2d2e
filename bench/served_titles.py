"""The hit-rate bookkeeping of one refresh, for viewers whose served-title history is at its cap.

    /work/main/.venv/bin/python bench/served_titles.py [--viewers 50] [--per-row 500] [--refreshes 5]

Every refresh of a viewer's rows (each night, and after each sync that stored something) matches the
viewer's new watches against the titles served to them and records what it serves now
(``feeds.services.hits.served_titles_update``). What is kept grows for 90 days up to
``FEEDS_HIT_MAX_PER_ROW`` (500) per row, 2,000 for a viewer with four list rows: a long-running
installation is at that cap, a bench that starts empty is not (``bench/nightly.py`` starts empty).

What runs: the embedded PostgreSQL of a scratch data directory (``var/bench_served``, wiped at each
run). ``--viewers`` viewers each get four rows of ``--per-row`` served titles spread over the last 80
days, 50 watches over the last 90 days, then ``--refreshes`` refreshes each: every refresh serves four
rows of 100 titles, 95 of them served before and 5 new, after one new watch of a title served
earlier (a hit). Printed: the median wall time and this process's CPU per refresh (the database's
work is in the wall time: one connection, one query at a time), the queries per refresh, and the rows
kept at the end (the cap must hold).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from _setup import REPO, django_setup, load_average, scratch_installation_env

ROWS = ("recommended_movies", "recommended_shows", "because_movie", "because_show")
SERVED_PER_REFRESH = 100
NEW_PER_REFRESH = 5


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--per-row", type=int, default=500, help="served titles kept per row at the start")
    parser.add_argument("--refreshes", type=int, default=5, help="refreshes per viewer")
    parser.add_argument("--data-dir", default=str(REPO / "var" / "bench_served"))
    return parser.parse_args()


def _seed(args: argparse.Namespace, now: dt.datetime) -> list[str]:
    from catalog.models import ContentItem
    from feeds.models import ServedTitle
    from users.contracts import InteractionKind
    from users.models import Interaction, User

    # Watches point at catalog titles: the watched ones and every title a row may serve.
    item_ids = [f"seen_{n}" for n in range(50)] + [
        f"{row_key}_{n}" for row_key in ROWS for n in range(args.per_row + (args.refreshes + 1) * NEW_PER_REFRESH)
    ]
    ContentItem.objects.bulk_create(
        [
            ContentItem(item_id=item_id, tmdb_id=n + 1, media_type="movie", title=item_id)
            for n, item_id in enumerate(item_ids)
        ],
        batch_size=5000,
    )
    users = [User(trakt_username=f"served{n}", trakt_slug=f"served{n}") for n in range(args.viewers)]
    User.objects.bulk_create(users)
    span = dt.timedelta(days=80) / max(1, args.per_row)
    served: list[ServedTitle] = []
    watches: list[Interaction] = []
    for user in users:
        for row_key in ROWS:
            served.extend(
                ServedTitle(
                    user_id=user.pk,
                    row_key=row_key,
                    item_id=f"{row_key}_{n}",
                    position=n % SERVED_PER_REFRESH + 1,
                    first_served_at=now - dt.timedelta(days=80) + span * n,
                    last_served_at=now - dt.timedelta(days=80) + span * n,
                )
                for n in range(args.per_row)
            )
        watches.extend(
            Interaction(
                user=user, item_id=f"seen_{n}", kind=InteractionKind.VIEW, occurred_at=now - dt.timedelta(days=90 - n)
            )
            for n in range(50)
        )
    ServedTitle.objects.bulk_create(served, batch_size=5000)
    Interaction.objects.bulk_create(watches, batch_size=5000)
    return [str(user.pk) for user in users]


def _refresh_rows(args: argparse.Namespace, refresh: int) -> list[dict]:
    """Four rows of the newest titles of each row's history, with a few new ones at the top."""
    newest = args.per_row + refresh * NEW_PER_REFRESH
    return [
        {
            "key": row_key,
            "source": "trakt_list",
            "items": [f"{row_key}_{n}" for n in range(newest + NEW_PER_REFRESH - 1, newest - 1, -1)]
            + [f"{row_key}_{n}" for n in range(newest - 1, newest - 1 - (SERVED_PER_REFRESH - NEW_PER_REFRESH), -1)],
        }
        for row_key in ROWS
    ]


def main() -> None:
    args = _args()
    scratch_installation_env(args.data_dir)
    django_setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from feeds.models import ServedTitle
    from feeds.services.hits import served_titles_update
    from users.contracts import InteractionKind
    from users.models import Interaction

    print(f"served-title bookkeeping: load average at start {load_average()}", flush=True)
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    now = timezone.now()
    user_ids = _seed(args, now)
    kept = ServedTitle.objects.count()
    print(f"  {args.viewers} viewers, {kept:,} served titles kept ({kept / args.viewers:,.0f} per viewer)")

    walls, cpus, queries = [], [], []
    for refresh in range(args.refreshes):
        at = now + dt.timedelta(hours=refresh + 1)
        rows = _refresh_rows(args, refresh)
        for user_id in user_ids:
            # The sync before this refresh stored one watch of a title served at the last refresh.
            watched = rows[0]["items"][NEW_PER_REFRESH + refresh]
            Interaction.objects.create(
                user_id=user_id, item_id=watched, kind=InteractionKind.VIEW, occurred_at=at - dt.timedelta(minutes=30)
            )
            wall, cpu = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as captured:
                served_titles_update(user_id=user_id, row_records=rows, now=at)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            queries.append(len(captured.captured_queries))

    hits = ServedTitle.objects.exclude(watched_at=None).count()
    kept_after = ServedTitle.objects.count()
    print(
        f"  {len(walls)} refreshes: median {statistics.median(walls) * 1000:.1f} ms wall, "
        f"{statistics.median(cpus) * 1000:.1f} ms CPU in this process, {statistics.median(queries):.0f} queries; "
        f"{hits} hits stored (expected {args.viewers * args.refreshes}); "
        f"{kept_after / args.viewers:,.0f} titles kept per viewer at the end"
    )
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
