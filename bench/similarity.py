"""Similar-titles latency and recall in pgvector (HNSW) against exact search.

    /work/main/.venv/bin/python bench/similarity.py [--sizes 10000 100000] [--queries 200] [--ef 40 64 100]

Random but clustered 384-d unit vectors (calibrated on real catalog embeddings, see clustered_vectors),
70 % movies and 30 % shows (--tv-share), are loaded into a scratch schema of the configured database
(the worktree's embedded PostgreSQL unless DATABASE_URL is set), with the production indexes: one
partial expression HNSW index per media type (catalog migration 0006; m/ef_construction as given).
Each query is the production selector, ``catalog.embedding.selectors.vector_neighbours``, for one
"seed" title excluding itself, as ``item_neighbours`` calls it. Its HNSW candidate list is the
session's ``hnsw.ef_search`` (production sends it as a connection startup option; here a session
SET before each block of queries), so each timed query is the one statement production runs.
Reported per size:
  - index build time (CREATE INDEX after the bulk load, both media types);
  - per hnsw.ef_search, p50/p95/p99 latency, recall@20 against the exact top 20 and the number of
    queries that fell back to an exact scan, for: the seed's own media type (what feed composition
    asks) and all types (the admin's similar-titles page);
  - the feed's shape: k 100 of the seed's media type, 50 titles the viewer has seen excluded;
  - exact search in PostgreSQL (sequential scan of the same query) and in numpy (the reference).
The scratch schema is dropped at the end. The pgvector version is printed: before 0.8 (the embedded
server) there are no iterative scans and vector_neighbours falls back to an exact scan when the
candidates run short; 0.8 (the compose image) takes the iterative-scan path instead.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Iterator
from typing import Any

from _setup import django_setup, load_average

SCHEMA = "bench_similarity"
DIM = 384
K = 20
MEDIA_TYPES = ("movie", "tv")


def clustered_vectors(n: int, *, seed: int = 42) -> Any:
    """Unit vectors shaped like a catalog: a shared direction, ~20 genres, a franchise every ~50
    titles, and per-title noise. The mix is calibrated on real all-MiniLM-L6-v2 vectors of 3,000
    TMDB movies (mean cosine to the nearest title 0.56, to the 20th 0.40, median pair 0.17);
    these come out at 0.51 / 0.42 / 0.17 at 3,000 titles."""
    import numpy as np

    rng = np.random.default_rng(seed)
    genres = rng.standard_normal((20, DIM))
    franchises = rng.standard_normal((max(10, n // 50), DIM))
    franchise_genre = rng.integers(0, len(genres), len(franchises))
    labels = rng.integers(0, len(franchises), n)
    shared = rng.standard_normal(DIM)
    noise = rng.uniform(0.7, 1.3, (n, 1)) * rng.standard_normal((n, DIM))
    points = 0.48 * shared + 0.45 * genres[franchise_genre[labels]] + 0.42 * franchises[labels] + noise
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@contextlib.contextmanager
def _counting_exact_fallbacks() -> Iterator[list[int]]:
    """Counts the statements vector_neighbours runs for its exact-scan fallback."""
    from django.db import connection

    count = [0]

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "enable_indexscan" in sql:
            count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


class Catalog:
    """The scratch table's vectors, ids and media types, and the exact answers numpy gives."""

    def __init__(self, n: int, *, tv_share: float) -> None:
        import numpy as np

        self.vectors = clustered_vectors(n)
        rng = np.random.default_rng(3)
        self.media_types = np.where(rng.random(n) < tv_share, "tv", "movie")
        self.ids = [f"{media}_{i}" for i, media in enumerate(self.media_types)]

    def exact(self, row: int, *, k: int, media_type: str | None, exclude: set[int]) -> tuple[set[str], float]:
        """The true top k and the time numpy took (ms)."""
        import numpy as np

        started = time.perf_counter()
        scores = self.vectors @ self.vectors[row]
        if media_type is not None:
            scores[self.media_types != media_type] = -3.0
        scores[[row, *exclude]] = -3.0
        top = np.argpartition(-scores, k)[:k]
        elapsed = (time.perf_counter() - started) * 1000
        return {self.ids[i] for i in top}, elapsed


def _load(catalog: Catalog) -> float:
    from django.db import connection
    from pgvector.psycopg import register_vector

    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        cursor.execute(
            f"CREATE TABLE {SCHEMA}.content_catalog (item_id varchar(32) PRIMARY KEY, media_type varchar(8), "
            "tmdb_status varchar(8), embedding_dim smallint, embedding vector)"
        )
    raw = connection.connection
    register_vector(raw)
    started = time.perf_counter()
    with (
        raw.cursor() as cursor,
        cursor.copy(
            f"COPY {SCHEMA}.content_catalog (item_id, media_type, tmdb_status, embedding_dim, embedding) "
            "FROM STDIN WITH (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["varchar", "varchar", "varchar", "int2", "vector"])
        for item_id, media_type, vector in zip(catalog.ids, catalog.media_types, catalog.vectors, strict=True):
            copy.write_row((item_id, str(media_type), "active", DIM, vector))
    return time.perf_counter() - started


def _build_indexes(*, m: int, ef_construction: int) -> tuple[float, str]:
    """Migration 0006's indexes (its name, expression, predicate and opclass) on the scratch table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        for media_type in MEDIA_TYPES:
            cursor.execute(
                f"CREATE INDEX catalog_embedding_hnsw_{DIM}_{media_type} ON {SCHEMA}.content_catalog USING hnsw "
                f"((embedding::vector({DIM})) vector_cosine_ops) "
                f"WITH (m = {int(m)}, ef_construction = {int(ef_construction)}) "
                f"WHERE embedding_dim = {DIM} AND media_type = '{media_type}'"
            )
        seconds = time.perf_counter() - started
        cursor.execute(f"ANALYZE {SCHEMA}.content_catalog")
        cursor.execute(
            "SELECT pg_size_pretty(sum(pg_relation_size(indexrelid))) FROM pg_index "
            "WHERE indrelid = %s::regclass AND indexrelid::regclass::text LIKE '%%hnsw%%'",
            [f"{SCHEMA}.content_catalog"],
        )
        size = cursor.fetchone()[0]
    return seconds, size


def _plans(catalog: Catalog, row: int) -> list[str]:
    from django.db import connection
    from pgvector import Vector

    from catalog.embedding.selectors import neighbours_sql

    scans = []
    with connection.cursor() as cursor:
        for media_type in (str(catalog.media_types[row]), None):
            cursor.execute(
                "EXPLAIN " + neighbours_sql(dim=DIM, media_type=media_type),
                {"query": Vector(catalog.vectors[row]).to_text(), "exclude": [catalog.ids[row]], "limit": K},
            )
            scans += [r[0].strip().split("  (")[0] for r in cursor.fetchall() if "Scan" in r[0]]
    return scans


def _measure(
    catalog: Catalog, rows: Any, *, k: int, same_media_type: bool, seen: int, ef: int
) -> tuple[list[float], list[float], int]:
    """Latency (ms), recall@k and exact fallbacks of vector_neighbours, one query per seed row."""
    import numpy as np
    from django.conf import settings
    from django.db import connection

    from catalog.embedding.selectors import vector_neighbours

    settings.EMBEDDING_HNSW_EF_SEARCH = ef  # what production's connections start with ...
    with connection.cursor() as cursor:
        cursor.execute(f"SET hnsw.ef_search = {int(ef)}")  # ... and here the session's own value
    rng = np.random.default_rng(11)
    latencies, recalls = [], []
    with _counting_exact_fallbacks() as fallbacks:
        for row in (int(r) for r in rows):
            media_type = str(catalog.media_types[row]) if same_media_type else None
            excluded: set[int] = set()
            if seen:  # titles the viewer has seen: among the seed's near neighbours, as a history is
                pool = np.flatnonzero(catalog.media_types == catalog.media_types[row])
                near = pool[np.argsort(-(catalog.vectors[pool] @ catalog.vectors[row]))[1 : 4 * seen + 1]]
                excluded = set(rng.choice(near, size=seen, replace=False).tolist())
            truth, _ = catalog.exact(row, k=k, media_type=media_type, exclude=excluded)
            started = time.perf_counter()
            found = vector_neighbours(
                query=catalog.vectors[row],
                dim=DIM,
                k=k,
                media_type=media_type,
                exclude={catalog.ids[row], *(catalog.ids[i] for i in excluded)},
            )
            latencies.append((time.perf_counter() - started) * 1000)
            recalls.append(len(truth & {n.item_id for n in found}) / k)
    return latencies, recalls, fallbacks[0]


def _report(label: str, latencies: list[float], recalls: list[float], fallbacks: int, k: int) -> None:
    print(
        f"  {label:38s} p50 {statistics.median(latencies):6.2f} ms  p95 {percentile(latencies, 95):6.2f} ms  "
        f"p99 {percentile(latencies, 99):6.2f} ms  recall@{k} {statistics.mean(recalls):.3f}  "
        f"exact fallbacks {fallbacks}/{len(latencies)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", type=int, nargs="+", default=[40, 64, 100], help="hnsw.ef_search values (prod: 64)")
    parser.add_argument("--m", type=int, default=24, help="HNSW m (catalog migration 0006: 24)")
    parser.add_argument("--ef-construction", type=int, default=128, help="HNSW ef_construction (migration 0006: 128)")
    parser.add_argument("--tv-share", type=float, default=0.3, help="share of shows in the catalog")
    parser.add_argument("--exact-pg-queries", type=int, default=20, help="exact scans are slow: fewer of them")
    args = parser.parse_args()

    django_setup()
    import numpy as np
    from django.db import connection

    print(
        f"pgvector HNSW per media type (m={args.m}, ef_construction={args.ef_construction}), {DIM}-d; "
        f"load average at start: {load_average()}",
        flush=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")  # a fresh, unmigrated database
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        extversion = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    print(f"pgvector {extversion}, PostgreSQL {connection.pg_version}, shared_buffers {shared_buffers}")  # type: ignore[attr-defined]

    for n in args.sizes:
        catalog = Catalog(n, tv_share=args.tv_share)
        rows = np.random.default_rng(7).choice(n, size=min(args.queries, n), replace=False)
        load_seconds = _load(catalog)
        build_seconds, index_size = _build_indexes(m=args.m, ef_construction=args.ef_construction)
        with connection.cursor() as cursor:
            cursor.execute(f"SET search_path = {SCHEMA}, public")
        print(
            f"\n== {n:,} vectors ({(catalog.media_types == 'tv').mean():.0%} shows): bulk load {load_seconds:.1f}s, "
            f"HNSW build {build_seconds:.1f}s (both media types), index size {index_size}"
        )
        for scan in _plans(catalog, int(rows[0])):
            print(f"  plan: {scan}")
        _measure(catalog, rows[:5], k=K, same_media_type=True, seen=0, ef=args.ef[0])  # warm the buffers
        for ef in args.ef:
            for same, label in ((True, "seed's media type"), (False, "all media types")):
                latencies, recalls, fallbacks = _measure(catalog, rows, k=K, same_media_type=same, seen=0, ef=ef)
                _report(f"ef_search={ef:<4d} k={K} {label}", latencies, recalls, fallbacks, K)
        ef = 64 if 64 in args.ef else args.ef[0]
        latencies, recalls, fallbacks = _measure(catalog, rows, k=100, same_media_type=True, seen=50, ef=ef)
        _report(f"ef_search={ef:<4d} k=100, 50 seen (feed)", latencies, recalls, fallbacks, 100)

        with connection.cursor() as cursor:
            cursor.execute("SET enable_indexscan = off")
        latencies, recalls, _ = _measure(
            catalog, rows[: args.exact_pg_queries], k=K, same_media_type=True, seen=0, ef=args.ef[0]
        )
        _report("pgvector exact (seq scan)", latencies, recalls, 0, K)
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_indexscan")
        numpy_ms = [catalog.exact(int(r), k=K, media_type=None, exclude=set())[1] for r in rows]
        print(f"  {'numpy exact (in memory)':38s} p50 {statistics.median(numpy_ms):6.2f} ms  (reference)")

        with connection.cursor() as cursor:
            cursor.execute("RESET search_path")
            cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
