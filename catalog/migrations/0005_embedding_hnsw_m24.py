"""Rebuild the per-size HNSW indexes of 0004 with m 24 (pgvector's default, used by 0004, is 16).

bench/similarity.py, 100,000 catalog-like 384-d vectors, pgvector 0.6.2 (docs/scaling.md, "Similar
titles"): with 24 links per node a query needs fewer candidates for the same recall, so
EMBEDDING_HNSW_EF_SEARCH drops from 200 to 80: recall@20 ≥ 0.95 at p50 ~4.5 ms on a loaded machine,
where m 16 needed ef_search 100 (~6 ms) for the same recall. The index is ~1.5x larger and builds in
about the same time (72 s against 43-68 s at 100,000 vectors).

Each index is built under a new name and only then is the old one dropped, both CONCURRENTLY: the
content sync keeps writing, and similarity has an index to use at every moment.
"""

from __future__ import annotations

from django.db import migrations

DIMENSIONS = (384, 768, 1536)


def _create(dim: int, name: str, m: int) -> str:
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON content_catalog "
        f"USING hnsw ((embedding::vector({dim})) vector_cosine_ops) "
        f"WITH (m = {m}, ef_construction = 64) WHERE embedding_dim = {dim}"
    )


def _drop(name: str) -> str:
    return f"DROP INDEX CONCURRENTLY IF EXISTS {name}"


def _operations(dim: int) -> list[migrations.RunSQL]:
    old, new = f"catalog_embedding_hnsw_{dim}", f"catalog_embedding_hnsw_{dim}_m24"
    return [
        migrations.RunSQL(sql=_create(dim, new, 24), reverse_sql=_drop(new)),
        migrations.RunSQL(sql=_drop(old), reverse_sql=_create(dim, old, 16)),
    ]


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("catalog", "0004_embedding_hnsw_indexes"),
    ]

    operations = [operation for dim in DIMENSIONS for operation in _operations(dim)]
