"""Benchmark: Trakt history sync and list-writer cost against the loopback fake Trakt server.

    /work/main/.venv/bin/python bench/trakt_sync.py [--history 5000] [--shared-data PATH]

Syncs one viewer with N history entries (movies from MovieLens' real TMDB ids when the shared data
is present, plus episodes of 40 shows, 300 ratings and 60 watchlist entries) and reports the
requests made and seconds for a first (full) sync, a no-change poll and an incremental sync. Then
reports the list writer's requests and writes per list update: first write, unchanged rewrite and
a small change. Runs in a throwaway test database; client-side read pacing is off (the figure at
Trakt's default pacing of 3 reads/s is printed as well); the writer's 1 write/s pacing is real.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reclio.settings.test")


def _movie_ids(shared: Path, count: int) -> tuple[list[int], str]:
    links = shared / "movielens-small" / "links.csv"
    if links.exists():
        ids: list[int] = []
        with links.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row["tmdbId"] and int(row["tmdbId"]) not in ids:
                    ids.append(int(row["tmdbId"]))
                if len(ids) >= count:
                    break
        return ids, f"MovieLens TMDB ids from {links}"
    return list(range(1, count + 1)), "synthetic TMDB ids (shared data not found)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=5000, help="history entries (plays)")
    parser.add_argument(
        "--shared-data",
        default=os.environ.get("RECLIO_SHARED_DATA", str(ROOT.parent / "shared" / "data")),
        help="the shared datasets directory (for real TMDB ids)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    from catalog.models import ContentItem
    from sandbox.trakt import FakeTrakt
    from users.contracts import ManagedListSpec
    from users.crypto import token_encrypt
    from users.models import Interaction, User
    from users.services import user_lists_write, user_sync_run

    setup_test_environment()
    # Our own throwaway database: never the one pytest --reuse-db keeps.
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "reclio_bench_trakt_sync"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    from reclio.celery import app

    # No broker: recsys is not part of this run.
    app.send_task = lambda name, *, kwargs, queue, **options: None  # type: ignore[method-assign,assignment]
    try:
        with FakeTrakt() as fake:
            settings.TRAKT_API_URL = fake.url
            settings.TRAKT_READS_PER_SECOND = 0.0
            account = fake.add_account("bench")
            now = dt.datetime.now(dt.UTC)

            # -- scenario: N plays (80 % movies, 20 % episodes of 40 shows), ratings, watchlist
            movie_plays = args.history * 4 // 5
            movies, source = _movie_ids(Path(args.shared_data), max(1, movie_plays * 2 // 3))
            shows = list(range(1000, 1040))
            for n in range(movie_plays):
                account.watch_movie(
                    movies[n % len(movies)], (now - dt.timedelta(hours=n + 48)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                )
            for n in range(args.history - movie_plays):
                account.watch_episode(
                    shows[n % len(shows)],
                    (now - dt.timedelta(hours=n + 48, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    number=n,
                )
            for n in range(300):
                account.rate(
                    "movie", movies[n], 1 + n % 10, (now - dt.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                )
            for n in range(60):
                account.watchlist_add(
                    "movie", movies[-1 - n], (now - dt.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                )
            ContentItem.objects.bulk_create(
                [ContentItem(item_id=f"movie_{m}", tmdb_id=m, media_type="movie", title=str(m)) for m in set(movies)]
                + [ContentItem(item_id=f"tv_{s}", tmdb_id=s, media_type="tv", title=str(s)) for s in shows],
                ignore_conflicts=True,
            )
            access, refresh = fake.issue_tokens("bench")
            user = User.objects.create(
                trakt_username="bench",
                trakt_slug="bench",
                access_token_encrypted=token_encrypt(access),
                refresh_token_encrypted=token_encrypt(refresh),
                token_expires_at=now + dt.timedelta(hours=20),
            )

            print(
                f"Trakt sync benchmark: {args.history} history entries ({movie_plays} movie plays, "
                f"{args.history - movie_plays} episodes), 300 ratings, 60 watchlist; {source}"
            )
            print(f"{'run':<34}{'requests':>10}{'seconds':>10}{'changed':>9}{'@3 reads/s':>12}")

            def run(label: str, **kwargs: bool) -> None:
                started = time.perf_counter()
                summary = user_sync_run(user_id=user.pk, **kwargs)
                seconds = time.perf_counter() - started
                stored = (
                    summary.views_added
                    + summary.views_removed
                    + summary.ratings_added
                    + summary.ratings_updated
                    + summary.ratings_removed
                    + summary.watchlist_added
                    + summary.watchlist_removed
                )
                paced = max(seconds, summary.requests / 3.0)
                print(f"{label:<34}{summary.requests:>10}{seconds:>10.2f}{stored:>9}{paced:>11.1f}s")

            run("first sync (full)")
            run("no-change poll")
            for n in range(10):
                account.watch_movie(movies[n], (now - dt.timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
            run("incremental (10 new plays)")
            account.unwatch(movies[-7])
            run("one play removed on Trakt")
            run("full reconcile (forced)", full=True)
            print(f"interactions stored: {Interaction.objects.filter(user=user).count()}")

            # -- list writer
            print()
            print("List writer, per list update (50 titles; real 1 write/s/account pacing included in seconds):")
            print(f"{'update':<38}{'requests':>10}{'writes':>8}{'seconds':>10}")
            picks = [f"movie_{m}" for m in movies[1000:1050]]

            def write(label: str, item_ids: list[str]) -> None:
                spec = ManagedListSpec(
                    key="recommended_movies",
                    name="Reclio • Recommended Movies",
                    description="",
                    item_ids=tuple(item_ids),
                )
                started = time.perf_counter()
                report = user_lists_write(user_id=user.pk, lists=[spec])
                seconds = time.perf_counter() - started
                print(f"{label:<38}{report.requests:>10}{report.writes:>8}{seconds:>10.2f}")

            write("first write (create + add)", picks)
            write("unchanged rewrite", picks)
            changed = picks[:3] + [f"movie_{m}" for m in movies[2000:2002]] + picks[3:48]
            write("small change (2 out, 2 in, reorder)", changed)
            write("same order, 1 removed", changed[:-1])
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
