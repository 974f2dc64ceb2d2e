"""Benchmark: build the catalog from ../shared/data with the offline importer (target: ≥ 6,000
movies with overviews and keywords in under a minute).

    /work/main/.venv/bin/python bench/catalog_import.py [--data ../shared/data]

Runs ``catalog_datasets_import`` (the code behind ``manage.py import_catalog --datasets``) twice in a
throwaway database: a cold import, then a re-import where every row is unchanged.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_db import DEFAULT_DATA, django_setup, seams_stub, throwaway_database

TARGET_MOVIES = 6_000
TARGET_SECONDS = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if not (args.data / "movielens-small" / "links.csv").exists():
        parser.error(f"shared data not found at {args.data} (use --data or RECLIO_SHARED_DATA)")

    django_setup()
    from catalog.models import ContentItem
    from catalog.services import catalog_datasets_import

    seams_stub()
    kwargs = {
        "movielens_dir": args.data / "movielens-small",
        "tmdb_csv": args.data / "tmdb" / "tmdb-movies.csv",
        "tmdb5000_csv": args.data / "tmdb" / "tmdb_5000_movies.csv",
        "netflix_csv": args.data / "netflix-titles" / "netflix_titles.csv",
    }
    with throwaway_database():
        results = []
        for label in ("cold import", "re-import (unchanged)"):
            started = time.perf_counter()
            summary = catalog_datasets_import(**kwargs)
            seconds = time.perf_counter() - started
            results.append(seconds)
            print(
                f"{label:<24} {seconds:6.2f} s  {summary.read / seconds:7.0f} titles/s  read={summary.read} "
                f"created={summary.created} updated={summary.updated} unchanged={summary.unchanged} "
                f"skipped={summary.skipped} by_source={summary.by_source}"
            )
        movies = ContentItem.objects.filter(media_type="movie")
        rich = movies.exclude(overview="").exclude(keywords=[]).count()
        with_cast = movies.exclude(cast=[]).count()
        print(
            f"catalog: {movies.count()} movies ({rich} with overview and keywords, {with_cast} with cast), "
            f"{ContentItem.objects.filter(media_type='tv').count()} shows"
        )
    ok = rich >= TARGET_MOVIES and results[0] < TARGET_SECONDS
    print(
        f"RESULT {rich} movies with overview+keywords in {results[0]:.1f} s "
        f"(target ≥ {TARGET_MOVIES} in < {TARGET_SECONDS:.0f} s) -> {'OK' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
