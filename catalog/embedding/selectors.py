"""Reads over catalog vectors: what needs embedding, and pgvector neighbours.

Vectors of several sizes can coexist while a provider switch rolls out. Similarity uses the most
common size in the catalog (cached briefly: it is on hot paths and only moves during a switch) and
ignores rows of other sizes until they are re-embedded. Each size in use has a partial HNSW index
on the expression ``(embedding::vector(D))`` (migration 0004); queries spell the same expression
and predicate so the planner can use it. Reference: https://github.com/pgvector/pgvector#hnsw
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

from catalog.models import ContentItem, TmdbStatus

logger = logging.getLogger(__name__)

# Dimensions with an HNSW index (migrations 0004, 0005: m 24). Others are searched exactly.
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
    """The k-NN query for vectors of size ``dim``. Its ORDER BY expression and the ``embedding_dim``
    predicate match the partial HNSW index exactly; ``dim`` is an int we chose (never user input),
    inlined because a type modifier cannot be a bind parameter and a literal lets the planner
    prove the partial-index predicate."""
    dim = int(dim)  # int() so nothing but digits can reach the SQL text
    media_filter = "AND c.media_type = %(media_type)s" if media_type else ""
    # Only the int ``dim`` and one of two fixed filter strings are interpolated; values are bound.
    return f"""
        WITH hits AS MATERIALIZED (
            SELECT c.item_id, c.embedding::vector({dim}) <=> %(query)s::vector({dim}) AS distance
            FROM content_catalog c
            WHERE c.embedding_dim = {dim}
              AND c.tmdb_status = 'active'
              AND NOT (c.item_id = ANY(%(exclude)s::text[]))
              {media_filter}
            ORDER BY c.embedding::vector({dim}) <=> %(query)s::vector({dim})
            LIMIT %(limit)s
        )
        SELECT item_id, 1 - distance FROM hits ORDER BY distance, item_id
    """  # noqa: S608


def _nearest(
    *, query: np.ndarray, dim: int, k: int, media_type: str | None, exclude: Collection[str]
) -> list[Neighbour]:
    sql = neighbours_sql(dim=dim, media_type=media_type)
    params = {
        "query": Vector(query.astype(np.float32)).to_text(),
        "exclude": list(exclude),
        "media_type": media_type,
        "limit": k,
    }
    ef_search = max(settings.EMBEDDING_HNSW_EF_SEARCH, k)
    iterative = pgvector_version() >= (0, 8)
    with transaction.atomic(), connection.cursor() as cursor:
        # SET LOCAL: scoped to this transaction, so a pooled connection keeps its defaults.
        cursor.execute(f"SET LOCAL hnsw.ef_search = {min(int(ef_search), 1000)}")
        if iterative:
            # pgvector >= 0.8 keeps scanning the graph until filters leave k rows
            # (https://github.com/pgvector/pgvector#iterative-index-scans); the outer ORDER BY
            # restores exact order, as relaxed_order requires.
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if len(rows) < k and not iterative and dim in INDEXED_DIMENSIONS:
            # Older pgvector filters after the graph scan: a selective filter can leave fewer than k
            # of the ef_search candidates. Fall back to the exact scan (correct, slower, rare).
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
    return _nearest(query=seed, dim=dim, k=k, media_type=media_type, exclude={item_id, *exclude})


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
    return _nearest(query=centroid / norm, dim=dim, k=k, media_type=media_type, exclude={*item_ids, *exclude})
