"""Similar-items latency and recall in pgvector (HNSW) against exact search.

    /work/main/.venv/bin/python bench/similarity.py [--sizes 10000 100000] [--queries 200] [--ef 40 100 200]

Random but clustered 384-d unit vectors (calibrated on real catalog embeddings, see clustered_vectors) are
loaded into a scratch schema of the configured database (the worktree's embedded PostgreSQL unless
DATABASE_URL is set), with the partial expression HNSW index of migrations 0004/0005 (m/ef_construction
as given). Queries
run the production SQL (``catalog.embedding.selectors.neighbours_sql``) through Django's connection,
one per "seed" title excluding itself, like ``item_neighbours``. Reported per size:
  - index build time (CREATE INDEX after the bulk load);
  - HNSW p50/p99 latency and recall@20 against the exact top 20, per hnsw.ef_search;
  - exact search in PostgreSQL (sequential scan of the same query) p50/p99;
  - exact search in numpy (one query against the in-memory matrix) p50/p99: the reference.
The scratch schema is dropped at the end.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from _setup import django_setup, load_average

SCHEMA = "bench_similarity"
DIM = 384
K = 20


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


def _measure(
    run: Callable[..., tuple[float, list[str]]],
    truth: dict[Any, set[str]],
    rows: Sequence[Any],
    *,
    ef: int | None,
    exact: bool,
) -> tuple[list[float], list[float]]:
    """Latency (ms) and recall@K of one query per row."""
    latencies, recalls = [], []
    for row in rows:
        ms, found = run(int(row), ef=ef, exact=exact)
        latencies.append(ms)
        recalls.append(len(truth[row] & set(found)) / K)
    return latencies, recalls


def _runner(sql: str, vectors: Any, ids: list[str]) -> Callable[..., tuple[float, list[str]]]:
    from django.db import connection, transaction
    from pgvector import Vector

    def run(row: int, *, ef: int | None, exact: bool, iterative: bool = False) -> tuple[float, list[str]]:
        params = {"query": Vector(vectors[row]).to_text(), "exclude": [ids[row]], "media_type": None, "limit": K}
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL search_path = {SCHEMA}, public")
            if exact:
                cursor.execute("SET LOCAL enable_indexscan = off")
            else:
                cursor.execute(f"SET LOCAL hnsw.ef_search = {ef}")
                if iterative:
                    cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            cursor.execute(sql, params)
            found = [r[0] for r in cursor.fetchall()]
        return (time.perf_counter() - started) * 1000, found

    return run


def _measure_index(
    args: Any, sql: str, vectors: Any, ids: list[str], truth: dict[Any, set[str]], query_rows: Any, *, label: str
) -> None:
    from django.db import connection, transaction
    from pgvector import Vector

    run = _runner(sql, vectors, ids)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL search_path = {SCHEMA}, public")
        row = int(query_rows[0])
        cursor.execute(
            "EXPLAIN " + sql,
            {"query": Vector(vectors[row]).to_text(), "exclude": [ids[row]], "media_type": None, "limit": K},
        )
        scan = next((r[0].strip() for r in cursor.fetchall() if "Scan" in r[0]), "?")
    print(f"  [{label}] plan: {scan.split('  (')[0]}")
    for ef in args.ef:
        for iterative in (False, True) if args.iterative else (False,):
            run(int(query_rows[0]), ef=ef, exact=False, iterative=iterative)  # warm the index pages
            latencies, recalls = _measure(
                lambda r, ef, exact, it=iterative: run(r, ef=ef, exact=exact, iterative=it),
                truth,
                query_rows,
                ef=ef,
                exact=False,
            )
            mode = " iterative" if iterative else ""
            print(
                f"  [{label}] HNSW ef_search={ef:<4d}{mode:10s} p50 {statistics.median(latencies):6.2f} ms  "
                f"p99 {percentile(latencies, 99):6.2f} ms  recall@{K} {statistics.mean(recalls):.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", type=int, nargs="+", default=[64, 80, 100, 200])
    parser.add_argument("--m", type=int, default=24, help="HNSW m (migration 0005: 24; 0004 had 16)")
    parser.add_argument("--ef-construction", type=int, default=64, help="HNSW ef_construction (migration 0004: 64)")
    parser.add_argument(
        "--types",
        nargs="+",
        default=["vector"],
        choices=["vector", "halfvec"],
        help="index/query on embedding::vector(D) (migration 0004) and/or embedding::halfvec(D) (pgvector >= 0.7)",
    )
    parser.add_argument("--iterative", action="store_true", help="also measure hnsw.iterative_scan (pgvector >= 0.8)")
    parser.add_argument("--exact-pg-queries", type=int, default=30, help="exact scans are slow: fewer of them")
    args = parser.parse_args()

    django_setup()
    import numpy as np
    from django.db import connection
    from pgvector.psycopg import register_vector

    from catalog.embedding.selectors import neighbours_sql

    sql = neighbours_sql(dim=DIM, media_type=None)
    print(
        f"pgvector HNSW (m={args.m}, ef_construction={args.ef_construction}), {DIM}-d, k={K}; "
        f"load average at start: {load_average()}"
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")  # a fresh, unmigrated database
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        print(f"pgvector {cursor.fetchone()[0]}, PostgreSQL {connection.pg_version}")  # type: ignore[attr-defined]

    for n in args.sizes:
        vectors = clustered_vectors(n)
        ids = [f"movie_{i}" for i in range(n)]
        rng = np.random.default_rng(7)
        query_rows = rng.choice(n, size=min(args.queries, n), replace=False)

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
            for item_id, vector in zip(ids, vectors, strict=True):
                copy.write_row((item_id, "movie", "active", DIM, vector))
        load_seconds = time.perf_counter() - started
        print(f"\n== {n:,} vectors: bulk load {load_seconds:.1f}s")

        # Exact reference (numpy): the true top 20 of each query, excluding the seed itself.
        truth, numpy_ms = {}, []
        for row in query_rows:
            started = time.perf_counter()
            scores = vectors @ vectors[row]
            scores[row] = -2.0
            top = np.argpartition(-scores, K)[:K]
            top = top[np.argsort(-scores[top])]
            numpy_ms.append((time.perf_counter() - started) * 1000)
            truth[row] = {ids[i] for i in top}

        for vector_type in args.types:
            type_sql = sql.replace("::vector(", f"::{vector_type}(")
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '1GB'")
                started = time.perf_counter()
                cursor.execute(
                    f"CREATE INDEX bench_hnsw ON {SCHEMA}.content_catalog USING hnsw "
                    f"((embedding::{vector_type}({DIM})) {vector_type}_cosine_ops) "
                    f"WITH (m = {int(args.m)}, ef_construction = {int(args.ef_construction)}) "
                    f"WHERE embedding_dim = {DIM}"
                )
                build_seconds = time.perf_counter() - started
                cursor.execute(f"ANALYZE {SCHEMA}.content_catalog")
            print(f"  [{vector_type}] HNSW index build {build_seconds:.1f}s")
            _measure_index(args, type_sql, vectors, ids, truth, query_rows, label=vector_type)
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX {SCHEMA}.bench_hnsw")

        run = _runner(sql, vectors, ids)
        exact_ms, exact_recalls = _measure(run, truth, query_rows[: args.exact_pg_queries], ef=None, exact=True)
        print(
            f"  pgvector exact (seq scan)   p50 {statistics.median(exact_ms):6.2f} ms  "
            f"p99 {percentile(exact_ms, 99):6.2f} ms  recall@{K} {statistics.mean(exact_recalls):.3f} "
            f"({len(exact_ms)} queries)"
        )
        print(
            f"  numpy exact (in memory)     p50 {statistics.median(numpy_ms):6.2f} ms  "
            f"p99 {percentile(numpy_ms, 99):6.2f} ms  recall@{K} 1.000 (reference)"
        )

        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
