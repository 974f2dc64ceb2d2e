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
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "catalog", "users", "recsys"],
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
from recsys.recombee.client import RecombeeApi, RecombeeConfig, recombee_api_build  # noqa: E402
from recsys.recombee.push import batch_send, interaction_request, item_request  # noqa: E402
from recsys.recombee.schema import ITEM_PROPERTIES  # noqa: E402
from tests.fakes.recombee import FakeRecombee, FakeRecombeeServer  # noqa: E402
from users.contracts import InteractionRow  # noqa: E402


def _data_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    return Path(os.environ.get("RECLIO_SHARED_DATA", REPO.parent / "shared" / "data"))


def _ratings(path: Path, limit: int | None) -> list[InteractionRow]:
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for n, record in enumerate(csv.DictReader(handle), start=1):
            rows.append(
                InteractionRow(
                    n,
                    f"ml-{record['userId']}",
                    f"movie_ml{record['movieId']}",
                    "rating",
                    round(float(record["rating"]) * 2),  # half stars 0.5-5 -> 1-10
                    dt.datetime.fromtimestamp(int(record["timestamp"]), tz=dt.UTC),
                )
            )
            if limit and n >= limit:
                break
    return rows


def _movies(path: Path) -> list[ContentItem]:
    items = []
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            title = record["title"]
            year = int(title[-5:-1]) if title.endswith(")") and title[-5:-1].isdigit() else None
            items.append(
                ContentItem(
                    item_id=f"movie_ml{record['movieId']}",
                    tmdb_id=int(record["movieId"]),
                    media_type="movie",
                    title=title,
                    genres=[{"id": 0, "name": g} for g in record["genres"].split("|")],
                    year=year,
                    cast=[],
                    director="",
                    overview="",
                )
            )
    return items


class TimedFake(FakeRecombee):
    """The fake, timing its own work so it can be taken out of our side's figure."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = 0.0

    def handle(self, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return super().handle(**kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def _run(
    api: RecombeeApi, fake: TimedFake, requests: list, labels: list[str], batch_size: int
) -> tuple[float, float, int]:
    """(wall seconds, seconds on our side = wall minus the fake's own work, batches)."""
    fake_before = fake.seconds
    started = time.perf_counter()
    accepted = batches = 0
    for start in range(0, len(requests), batch_size):
        end = start + batch_size
        result, error = batch_send(api=api, requests=requests[start:end], labels=labels[start:end])
        if error is not None or result is None:
            raise SystemExit(f"batch failed: {error}")
        accepted += result.done_count
        batches += 1
    if accepted != len(requests):
        raise SystemExit(f"only {accepted} of {len(requests)} confirmed")
    wall = time.perf_counter() - started
    return wall, wall - (fake.seconds - fake_before), batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="shared data directory (holds movielens-small/)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N ratings")
    parser.add_argument("--repeat", type=int, default=3, help="runs per batch size; medians are printed")
    args = parser.parse_args()
    data = _data_dir(args.data) / "movielens-small"
    if not (data / "ratings.csv").exists():
        raise SystemExit(f"MovieLens not found under {data} (use --data or RECLIO_SHARED_DATA)")

    ratings = _ratings(data / "ratings.csv", args.limit)
    movies = _movies(data / "movies.csv")
    rows = len(ratings) + len(movies)
    print(f"data: {len(movies):,} movies + {len(ratings):,} ratings = {rows:,} requests, from {data}")
    print("medians of", args.repeat, "runs; 'ours' = wall time minus the in-process fake's own work")

    fake = TimedFake()
    with FakeRecombeeServer(fake) as server:
        for batch_size in (1000, 5000, 10_000):
            builds, walls, ours, batch_count = [], [], [], 0
            for run in range(args.repeat):
                database_id = f"bench{batch_size}-{run}"
                remote = fake.database(region=server.host, database_id=database_id, token="bench-token")  # noqa: S106
                remote.properties.update(dict(ITEM_PROPERTIES))
                config = RecombeeConfig(database_id, "bench-token", RecombeeRegion.EU_WEST, server.base_uri)
                api = recombee_api_build(config=config, max_retries=0)

                started = time.perf_counter()
                requests = [item_request(api, item) for item in movies]
                requests += [interaction_request(api, row) for row in ratings]
                builds.append(time.perf_counter() - started)
                labels = [str(n) for n in range(len(requests))]
                wall, our_side, batch_count = _run(api, fake, requests, labels, batch_size)
                walls.append(wall)
                ours.append(our_side + builds[-1])
                remote.items.clear()
                remote.interactions.clear()
            body = json.dumps(api.requests.Batch(requests[-batch_size:]).get_body_parameters())
            wall, our_side, build = statistics.median(walls), statistics.median(ours), statistics.median(builds)
            print(
                f"batch={batch_size:>6,} ({batch_count} calls, {len(body) / 1e6:.2f} MB each): "
                f"end to end {wall:.2f}s = {rows / wall:,.0f} req/s | "
                f"ours {our_side:.2f}s = {rows / our_side:,.0f} req/s (building requests {build:.2f}s)"
            )


if __name__ == "__main__":
    main()
