"""One partial HNSW index per vector size *and media type*, built with m 24 and ef_construction 128.

pgvector before 0.8 (the embedded server ships 0.6.2) filters after the graph scan: a search for
the nearest TV shows among hnsw.ef_search candidates of every type keeps only the shows among them,
and when fewer than k survive the selector falls back to an exact scan (~80 ms at 100k titles).
Feed composition always filters by media type, so with one index per size most of its similarity
queries ended exact. With an index per (size, media type) the graph holds only rows that pass the
filter; a query without a media type reads both indexes (UNION ALL, see
``catalog.embedding.selectors.neighbours_sql``), so the total index size stays the same.

ef_construction 128 (was 64) makes a better-connected graph: more recall for the same
hnsw.ef_search, so EMBEDDING_HNSW_EF_SEARCH goes 80 → 64 (docs/scaling.md, "Similar titles").
Both indexes of 100k 384-d titles (~195 MB) build in ~75 s on a quiet 2-core machine when the graph
fits in maintenance_work_mem (bench/similarity.py), so this session raises it to 512 MB: with
PostgreSQL's 64 MB default pgvector builds on disk, and the 70k-title movie index alone had not
finished after 15 minutes (machine load 9-18).
pgvector builds in parallel in dynamic shared memory, so a container needs /dev/shm above that
(docker-compose.yml: shm_size 1g).

Each new index is built CONCURRENTLY before the old one is dropped CONCURRENTLY: the content sync
keeps writing, and similarity has an index to use at every moment.
"""

from __future__ import annotations

from django.db import migrations

DIMENSIONS = (384, 768, 1536)
MEDIA_TYPES = ("movie", "tv")  # catalog.contracts.MediaType, spelled out: a migration is frozen
M, EF_CONSTRUCTION = 24, 128


def _create(dim: int, media_type: str) -> str:
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS catalog_embedding_hnsw_{dim}_{media_type} ON content_catalog "
        f"USING hnsw ((embedding::vector({dim})) vector_cosine_ops) "
        f"WITH (m = {M}, ef_construction = {EF_CONSTRUCTION}) "
        f"WHERE embedding_dim = {dim} AND media_type = '{media_type}'"
    )


def _drop(name: str) -> str:
    return f"DROP INDEX CONCURRENTLY IF EXISTS {name}"


def _create_shared(dim: int) -> str:  # 0005's index, for the way back
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS catalog_embedding_hnsw_{dim}_m24 ON content_catalog "
        f"USING hnsw ((embedding::vector({dim})) vector_cosine_ops) "
        f"WITH (m = 24, ef_construction = 64) WHERE embedding_dim = {dim}"
    )


def _operations(dim: int) -> list[migrations.RunSQL]:
    return [
        *(
            migrations.RunSQL(
                sql=_create(dim, media_type), reverse_sql=_drop(f"catalog_embedding_hnsw_{dim}_{media_type}")
            )
            for media_type in MEDIA_TYPES
        ),
        migrations.RunSQL(sql=_drop(f"catalog_embedding_hnsw_{dim}_m24"), reverse_sql=_create_shared(dim)),
    ]


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("catalog", "0005_embedding_hnsw_m24"),
    ]

    operations = [
        # Session-level, for this migrate run's connection only.
        migrations.RunSQL(sql="SET maintenance_work_mem = '512MB'", reverse_sql=migrations.RunSQL.noop),
        *(operation for dim in DIMENSIONS for operation in _operations(dim)),
    ]
