"""Approximate cosine search: one partial HNSW index per vector size in use.

The ``embedding`` column has no fixed size (two providers' vectors coexist during a switch), and
HNSW needs one, so each index is on the expression ``embedding::vector(D)`` restricted to rows of
that size. Queries in ``catalog.embedding.selectors`` use the same expression and predicate.
m/ef_construction are pgvector's defaults (16/64); bench/similarity.py measures recall with them.
Reference: https://github.com/pgvector/pgvector#hnsw , #indexing-subvectors (expression indexes).
3072-d vectors (text-embedding-3-large) exceed HNSW's 2,000-dimension limit for ``vector``;
shorten them with OPENAI_EMBEDDING_DIMENSIONS or accept exact search.
"""

from __future__ import annotations

from django.db import migrations

DIMENSIONS = (384, 768, 1536)


def _create(dim: int) -> str:
    # CONCURRENTLY: building on a populated catalog must not block the content sync's writes.
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS catalog_embedding_hnsw_{dim} ON content_catalog "
        f"USING hnsw ((embedding::vector({dim})) vector_cosine_ops) WHERE embedding_dim = {dim}"
    )


def _drop(dim: int) -> str:
    return f"DROP INDEX CONCURRENTLY IF EXISTS catalog_embedding_hnsw_{dim}"


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("catalog", "0003_catalog_sync_run_and_demand"),
    ]

    operations = [migrations.RunSQL(sql=_create(dim), reverse_sql=_drop(dim)) for dim in DIMENSIONS]
