"""Reads over catalog vectors: what needs embedding, and pgvector neighbours.

Vectors of several sizes can coexist while a provider switch rolls out. Similarity uses the most
common size in the catalog (cached briefly: it is on hot paths and only moves during a switch) and
ignores rows of other sizes until they are re-embedded. Each size and media type has a partial HNSW
index on the expression ``(embedding::vector(D))`` (migrations 0004, 0006); queries spell the same
expression and predicates so the planner can use it. Reference: https://github.com/pgvector/pgvector#hnsw
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from pgvector import Vector

from catalog.contracts import MediaType
from catalog.models import ContentItem, TmdbStatus

logger = logging.getLogger(__name__)

# Dimensions with HNSW indexes (migration 0006: one per media type, m 24). Others are searched exactly.
INDEXED_DIMENSIONS = (384, 768, 1536)
SIMILARITY_DIM_CACHE_KEY = "catalog:embedding:similarity_dim"
_PGVECTOR_VERSION_CACHE: dict[str, tuple[int, ...]] = {}


@dataclass(frozen=True)
class Neighbour:
    item_id: str
    score: float  # cosine similarity, 1.0 = same direction


def items_needing_embedding(*, model: str, item_ids: Collection[str] | None = None) -> QuerySet[ContentItem]:
    """Active rows whose vector is missing, from another model, or from older text.

    ``source_hash == ""`` (a row written before its hash was computed) counts as stale: the
    embedding service computes and stores the hash with the vector.
    """
    queryset = ContentItem.objects.filter(tmdb_status=TmdbStatus.ACTIVE).filter(
        Q(embedding__isnull=True)
        | ~Q(embedding_model=model)
        | ~Q(embedding_source_hash=F("source_hash"))
        | Q(source_hash="")
    )
    if item_ids is not None:
        queryset = queryset.filter(item_id__in=list(item_ids))
    return queryset


def embedding_dimensions_in_use() -> dict[int, int]:
    """Vector size → number of rows holding a vector of that size."""
    rows = (
        ContentItem.objects.filter(embedding_dim__isnull=False)
        .values("embedding_dim")
        .annotate(rows=Count("item_id"))
        .order_by()
    )
    return {row["embedding_dim"]: row["rows"] for row in rows if row["embedding_dim"] is not None}


def _preferred_dimension() -> int:
    # Tie-break towards the configured provider's size: that is where a rollout is heading.
    from catalog.embedding import registry

    try:
        return registry.get_embedding_provider().dim
    except Exception:  # noqa: BLE001 - a misconfigured provider must not break similarity reads
        return 0


def similarity_dimension() -> int | None:
    """The vector size similarity uses now: the most common one in the catalog (cached)."""
    try:
        cached = cache.get(SIMILARITY_DIM_CACHE_KEY)
    except Exception:  # noqa: BLE001 - a cache outage costs one GROUP BY, not the request
        cached = None
    if cached is not None:
        return cached or None
    counts = embedding_dimensions_in_use()
    preferred = _preferred_dimension()
    dim = max(counts, key=lambda d: (counts[d], d == preferred, d)) if counts else 0
    try:
        cache.set(SIMILARITY_DIM_CACHE_KEY, dim, settings.EMBEDDING_DIMENSION_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("similarity_dimension_cache_unavailable")
    return dim or None


def similarity_dimension_forget() -> None:
    cache.delete(SIMILARITY_DIM_CACHE_KEY)


def pgvector_version() -> tuple[int, ...]:
    alias = connection.alias
    if alias not in _PGVECTOR_VERSION_CACHE:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
        _PGVECTOR_VERSION_CACHE[alias] = tuple(int(p) for p in row[0].split(".")[:3]) if row else (0,)
    return _PGVECTOR_VERSION_CACHE[alias]


def neighbours_sql(*, dim: int, media_type: str | None) -> str:
    """The k-NN query for vectors of size ``dim``, of one media type or (``None``) of all.

    Each HNSW index covers one size and one media type (migration 0006): pgvector < 0.8 filters
    after the graph scan, so one index for all types left a TV-only query with the few shows among
    its candidates. Each branch's ORDER BY expression and predicates match its partial index
    exactly; several types are read one index each and merged (UNION ALL: the top k of all is among
    the top k of each). ``dim`` and the media types are ours (never user input), inlined because a
    type modifier cannot be a bind parameter and literals let the planner prove the index predicate."""
    dim = int(dim)  # int() so nothing but digits can reach the SQL text
    if media_type is not None and media_type not in MediaType.values:
        raise ValueError(f"unknown media type {media_type!r}")
    branches = [
        f"""(
            SELECT c.item_id, c.embedding::vector({dim}) <=> %(query)s::vector({dim}) AS distance
            FROM content_catalog c
            WHERE c.embedding_dim = {dim}
              AND c.media_type = '{media}'
              AND c.tmdb_status = 'active'
              AND NOT (c.item_id = ANY(%(exclude)s::text[]))
            ORDER BY c.embedding::vector({dim}) <=> %(query)s::vector({dim})
            LIMIT %(limit)s
        )"""  # noqa: S608 - only the int dim and MediaType values are interpolated; values are bound
        for media in ([media_type] if media_type else MediaType.values)
    ]
    return f"""
        WITH hits AS MATERIALIZED ({" UNION ALL ".join(branches)})
        SELECT item_id, 1 - distance FROM hits ORDER BY distance, item_id LIMIT %(limit)s
    """  # noqa: S608


def vector_neighbours(
    *, query: np.ndarray, dim: int, k: int, media_type: str | None = None, exclude: Collection[str] = ()
) -> list[Neighbour]:
    """The ``k`` titles nearest to the unit vector ``query`` (size ``dim``) by cosine, best first:
    the similar-titles query behind ``item_neighbours``/``items_neighbours``, and what
    bench/similarity.py times.

    One statement on the common path: the HNSW candidate list (``hnsw.ef_search``) arrives with the
    connection as a startup option (reclio/settings/base.py), so no ``SET LOCAL`` and no transaction
    round trips. A transaction sets it only when ``k`` plus the exclusions need a longer list, and
    for pgvector >= 0.8's iterative scans."""
    sql = neighbours_sql(dim=dim, media_type=media_type)
    excluded = list(exclude)
    params: dict[str, str | int | list[str]] = {
        "query": Vector(query.astype(np.float32)).to_text(),
        "exclude": excluded,
        "limit": k,
    }
    session_ef_search = settings.EMBEDDING_HNSW_EF_SEARCH  # 0: the server's (or role's) own setting
    # pgvector < 0.8 returns at most ef_search rows before the exclusions drop theirs: ask for enough.
    needed = min(k + len(excluded), 1000)
    iterative = pgvector_version() >= (0, 8)
    if iterative or 0 < session_ef_search < needed:
        with transaction.atomic(), connection.cursor() as cursor:
            # SET LOCAL: scoped to this transaction, so a pooled connection keeps its defaults.
            cursor.execute(f"SET LOCAL hnsw.ef_search = {max(int(session_ef_search), int(needed))}")
            if iterative:
                # pgvector >= 0.8 keeps scanning the graph until filters leave k rows
                # (https://github.com/pgvector/pgvector#iterative-index-scans); the outer ORDER BY
                # restores exact order, as relaxed_order requires.
                cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    if len(rows) < k and not iterative and dim in INDEXED_DIMENSIONS:
        # The graph scan's candidates can still fall short (an approximate list, or rows that are
        # not active): the exact scan is correct, slower, and rare.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return [Neighbour(item_id=item_id, score=float(score)) for item_id, score in rows]


def _vectors_of(*, item_ids: Sequence[str], dim: int) -> dict[str, np.ndarray]:
    rows = ContentItem.objects.filter(item_id__in=list(item_ids), embedding_dim=dim).values_list("item_id", "embedding")
    return {item_id: np.asarray(vector, dtype=np.float64) for item_id, vector in rows if vector is not None}


def item_neighbours(
    *, item_id: str, k: int = 20, media_type: str | None = None, exclude: Collection[str] = ()
) -> list[Neighbour]:
    """The ``k`` titles most similar to ``item_id`` by cosine, best first; ``[]`` when the title has no
    vector of the size in use (not embedded yet, or still on the old provider during a switch)."""
    dim = similarity_dimension()
    if dim is None or k <= 0:
        return []
    seed = _vectors_of(item_ids=[item_id], dim=dim).get(item_id)
    if seed is None:
        return []
    return vector_neighbours(query=seed, dim=dim, k=k, media_type=media_type, exclude={item_id, *exclude})


def items_neighbours(
    *,
    item_ids: Sequence[str],
    k: int = 20,
    media_type: str | None = None,
    exclude: Collection[str] = (),
    weights: Sequence[float] | None = None,
) -> list[Neighbour]:
    """Neighbours of a set of titles (a taste profile): the titles closest to the weighted mean of
    their unit vectors. The seeds themselves are excluded. ``weights`` align with ``item_ids``
    (e.g. ratings or recency); non-positive weights drop a seed."""
    dim = similarity_dimension()
    if dim is None or k <= 0 or not item_ids:
        return []
    if weights is not None and len(weights) != len(item_ids):
        raise ValueError("weights must align with item_ids")
    vectors = _vectors_of(item_ids=item_ids, dim=dim)
    weight_of = dict(zip(item_ids, weights, strict=True)) if weights is not None else {}
    stacked, stacked_weights = [], []
    for seed_id, vector in vectors.items():
        weight = float(weight_of.get(seed_id, 1.0))
        if weight > 0:
            stacked.append(vector)
            stacked_weights.append(weight)
    if not stacked:
        return []
    centroid = np.average(np.vstack(stacked), axis=0, weights=stacked_weights)
    norm = float(np.linalg.norm(centroid))
    if norm == 0.0:
        return []
    return vector_neighbours(query=centroid / norm, dim=dim, k=k, media_type=media_type, exclude={*item_ids, *exclude})
