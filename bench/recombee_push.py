"""How fast the Recombee push moves rows, end to end through our client, on real MovieLens data.

    /work/main/.venv/bin/python bench/recombee_push.py [--data DIR] [--limit N]

Every MovieLens rating (100,836 rows; 0.5–5 stars → Trakt 1–10 → AddRating in [-1, 1]) and every
movie (9,742 SetItemValues) is turned into the SDK requests the push sends, batched at several
sizes, signed, sent through RecombeeSession to the scripted fake Recombee on a loopback socket
(tests/fakes/recombee.py, which stores them), and every sub-request code is checked. Cursor writes
to EngineState are not included (one small UPDATE per batch). The fake runs in the same Python
process, so the figures are a floor for our side: the real service answers from another machine.

Data: --data, else RECLIO_SHARED_DATA, else ../shared/data next to the repository.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "catalog", "recsys"],
    # Never connected: the benchmark stays off the database.
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "unused"}},
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    USE_TZ=True,
    HTTP_TIMEOUT_SECONDS=60.0,
    HTTP_MAX_RETRIES=0,
    RECOMBEE_DATABASE_ID="bench",
    RECOMBEE_PRIVATE_TOKEN="bench-token",  # noqa: S106
    RECOMBEE_REGION=None,
    RECOMBEE_BASE_URI=None,
    RECOMBEE_TIMEOUT_SECONDS=60.0,
    RECOMBEE_BATCH_TIMEOUT_SECONDS=300.0,
    RECOMBEE_BATCH_SIZE=1000,
)
django.setup()

from catalog.models import ContentItem  # noqa: E402
from reclio.settings.vendors import RecombeeRegion  # noqa: E402
from recsys.recombee.client import RecombeeConfig, recombee_api_build  # noqa: E402
from recsys.recombee.push import batch_send, interaction_request, item_request  # noqa: E402
from tests.fakes.recombee import FakeRecombee, FakeRecombeeServer  # noqa: E402


@dataclass(frozen=True)
class Row:
    id: int
    user_id: str
    item_id: str
    kind: str
    value: float | None
    occurred_at: dt.datetime


def _data_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    return Path(os.environ.get("RECLIO_SHARED_DATA", REPO.parent / "shared" / "data"))


def _ratings(path: Path, limit: int | None) -> list[Row]:
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for n, record in enumerate(csv.DictReader(handle), start=1):
            rows.append(Row(
                n, f"ml-{record['userId']}", f"movie_ml{record['movieId']}", "rating",
                float(record["rating"]) * 2, dt.datetime.fromtimestamp(int(record["timestamp"]), tz=dt.UTC),
            ))
            if limit and n >= limit:
                break
    return rows


def _movies(path: Path) -> list[ContentItem]:
    items = []
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            title = record["title"]
            year = int(title[-5:-1]) if title.endswith(")") and title[-5:-1].isdigit() else None
            items.append(ContentItem(
                item_id=f"movie_ml{record['movieId']}", tmdb_id=int(record["movieId"]), media_type="movie",
                title=title, genres=[{"id": 0, "name": g} for g in record["genres"].split("|")], year=year,
                cast=[], director="", overview="",
            ))
    return items


def _run(api, requests: list, labels: list[str], batch_size: int) -> tuple[float, int, int]:
    started = time.perf_counter()
    accepted = batches = 0
    for start in range(0, len(requests), batch_size):
        result, error = batch_send(api=api, requests=requests[start:start + batch_size], labels=labels[start:start + batch_size])
        if error is not None or result is None:
            raise SystemExit(f"batch failed: {error}")
        accepted += result.done_count
        batches += 1
    return time.perf_counter() - started, accepted, batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="shared data directory (holds movielens-small/)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N ratings")
    args = parser.parse_args()
    data = _data_dir(args.data) / "movielens-small"
    if not (data / "ratings.csv").exists():
        raise SystemExit(f"MovieLens not found under {data} (use --data or RECLIO_SHARED_DATA)")

    ratings = _ratings(data / "ratings.csv", args.limit)
    movies = _movies(data / "movies.csv")
    print(f"data: {len(movies):,} movies, {len(ratings):,} ratings from {data}")

    fake = FakeRecombee()
    with FakeRecombeeServer(fake) as server:
        for batch_size in (1000, 5000, 10_000):
            remote = fake.database(region=server.host, database_id=f"bench{batch_size}", token="bench-token")  # noqa: S106
            for name in ("title", "overview", "genres", "year", "vote_average", "popularity", "media_type", "cast", "director"):
                remote.properties[name] = "string"
            config = RecombeeConfig(f"bench{batch_size}", "bench-token", RecombeeRegion.EU_WEST, server.base_uri)
            api = recombee_api_build(config=config, max_retries=0)

            started = time.perf_counter()
            item_requests = [item_request(api, item) for item in movies]
            rating_requests = [interaction_request(api, row) for row in ratings]
            build = time.perf_counter() - started
            body_bytes = len(json.dumps(api.requests.Batch(rating_requests[:batch_size]).get_body_parameters()))

            item_seconds, item_ok, item_batches = _run(api, item_requests, [i.item_id for i in movies], batch_size)
            rating_seconds, rating_ok, rating_batches = _run(api, rating_requests, [str(r.id) for r in ratings], batch_size)
            assert item_ok == len(movies) and rating_ok == len(ratings)
            print(
                f"batch={batch_size:>6,}: build {len(item_requests) + len(rating_requests):,} requests {build:.2f}s | "
                f"catalog {item_ok:,} in {item_seconds:.2f}s ({item_ok / item_seconds:,.0f}/s, {item_batches} batches) | "
                f"ratings {rating_ok:,} in {rating_seconds:.2f}s ({rating_ok / rating_seconds:,.0f}/s, "
                f"{rating_seconds / rating_batches * 1000:.0f} ms/batch, {body_bytes / 1e6:.2f} MB/batch)"
            )


if __name__ == "__main__":
    main()
