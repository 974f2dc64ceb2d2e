"""Benchmark: sync a 10,000-title catalog from a fake TMDB over real HTTP on localhost.

    /work/main/.venv/bin/python bench/catalog_sync.py [--data ../shared/data] [--titles 10000]
        [--concurrency 8] [--limited-titles 2000] [--limited-rate 40]

The fake (sandbox/tmdb.py) serves TMDB-shaped responses built from ../shared/data (Netflix shows
plus TMDB-CSV movies) from its own process (``python -m sandbox.tmdb``), so it does not share the
GIL with the client being measured. Runs, each against a fresh throwaway database:
  1. full sync, rate limit lifted (TMDB_MAX_REQUESTS_PER_SECOND=0): client + database throughput;
  2. incremental sync with nothing changed: must make zero detail calls;
  3. incremental sync after 50 titles changed on the fake: exactly those 50 are fetched;
  4. full sync of --limited-titles at TMDB's real budget (--limited-rate req/s): what production sees.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_db import DEFAULT_DATA, django_setup, seams_stub, throwaway_database  # noqa: E402


class RemoteFake:
    """Drives a fake TMDB running in a child process through its /__fake/ control endpoints."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.control = base_url.rsplit("/3", 1)[0] + "/__fake/"

    def counts(self) -> dict[str, int]:
        return requests.get(self.control + "counts", timeout=10).json()["counts"]

    def reset_counts(self) -> None:
        requests.post(self.control + "reset_counts", json={}, timeout=10).raise_for_status()

    def update(self, media_type: str, tmdb_id: int, **fields: Any) -> None:
        requests.post(
            self.control + "update", json={"media_type": media_type, "id": tmdb_id, "fields": fields}, timeout=10
        ).raise_for_status()


@contextmanager
def fake_process(data: Path, titles: int, api_key: str):  # type: ignore[no-untyped-def]
    repo = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.tmdb", "--data", str(data), "--titles", str(titles), "--api-key", api_key],
        cwd=repo,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip() if process.stdout else ""
        if not line.startswith("FAKE_TMDB_URL="):
            raise RuntimeError(f"fake TMDB did not start: {line!r}")
        yield RemoteFake(line.split("=", 1)[1])
    finally:
        process.terminate()
        process.wait(timeout=10)


def _run(label: str, fake: RemoteFake, *, full: bool = False) -> dict:
    from catalog.services import content_sync_run

    fake.reset_counts()
    started = time.perf_counter()
    summary = content_sync_run(full=full)
    seconds = time.perf_counter() - started
    counts = fake.counts()
    titles = summary.fetched
    print(  # noqa: T201 - a benchmark reports on stdout
        f"{label:<34} {seconds:8.2f} s  mode={summary.mode:<11} status={summary.status:<7} "
        f"fetched={titles:>6} created={summary.created:>6} updated={summary.updated:>4} "
        f"refreshed={summary.refreshed:>5} failed={summary.failed:>3}  "
        f"titles/s={titles / seconds if seconds else 0:8.1f}  requests={counts.get('total', 0):>6} "
        f"(details={counts.get('details', 0)}, lists={counts.get('list', 0)}, changes={counts.get('changes', 0)})"
    )
    return {"summary": summary, "seconds": seconds, "counts": counts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--titles", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--limited-titles", type=int, default=2_000, help="0 skips the rate-limited run")
    parser.add_argument("--limited-rate", type=float, default=40.0)
    args = parser.parse_args()
    if not (args.data / "tmdb" / "tmdb-movies.csv").exists():
        parser.error(f"shared data not found at {args.data} (use --data or RECLIO_SHARED_DATA)")

    django_setup()
    from django.conf import settings

    from catalog.models import ContentItem
    from sandbox.tmdb import fake_titles_from_shared_data

    seams = seams_stub()
    titles = fake_titles_from_shared_data(args.data, limit=args.titles)  # the same list the child builds
    settings.CATALOG_SYNC_CONCURRENCY = args.concurrency
    # Lists are how a full run discovers titles: read them to the end (TMDB serves ≤ 500 pages).
    settings.CATALOG_SYNC_LIST_PAGES = 500
    settings.LOGGING_CONFIG = None
    print(  # noqa: T201 - a benchmark reports on stdout
        f"fake TMDB: {len(titles)} titles ({sum(m == 'movie' for m, _ in titles)} movies, "
        f"{sum(m == 'tv' for m, _ in titles)} shows); concurrency={args.concurrency}"
    )

    with fake_process(args.data, args.titles, settings.TMDB_API_KEY) as fake, throwaway_database():
        settings.TMDB_BASE_URL = fake.base_url
        settings.TMDB_MAX_REQUESTS_PER_SECOND = 0
        first = _run("1. full sync (rate limit lifted)", fake)
        assert ContentItem.objects.count() == len(titles), "every fake title must land"
        second = _run("2. incremental, nothing changed", fake)
        changed = random.Random(7).sample(titles, 50)
        for media, details in changed:
            fake.update(media, details["id"], overview=details.get("overview", "") + " (edited)")
        third = _run("3. incremental, 50 titles edited", fake)
    print(  # noqa: T201 - a benchmark reports on stdout
        f"   seams: {seams['reembed_ids']} ids handed to re-embedding, "
        f"{seams['catalog_changed_ids']} ids announced to recsys.catalog_changed"
    )

    if args.limited_titles:
        with fake_process(args.data, args.limited_titles, settings.TMDB_API_KEY) as fake, throwaway_database():
            settings.TMDB_BASE_URL = fake.base_url
            settings.TMDB_MAX_REQUESTS_PER_SECOND = args.limited_rate
            limited = _run(f"4. full sync at {args.limited_rate:g} req/s ({args.limited_titles} titles)", fake)
            observed = limited["counts"].get("total", 0) / limited["seconds"]
            print(f"   observed request rate: {observed:.1f} req/s (limit {args.limited_rate:g})")  # noqa: T201 - a benchmark reports on stdout

    ok = second["counts"].get("details", 0) == 0 and third["counts"].get("details", 0) == 50
    print(  # noqa: T201 - a benchmark reports on stdout
        f"RESULT full: {first['summary'].fetched / first['seconds']:.0f} titles/s, "
        f"{first['counts'].get('total', 0)} requests; no-change rerun detail calls: "
        f"{second['counts'].get('details', 0)}; 50-edit rerun detail calls: {third['counts'].get('details', 0)}"
        f" -> {'OK' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
