"""Catalog reads. They leave the embedding vector unloaded unless they say otherwise."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import Q, QuerySet

# The pgvector neighbour reads live with the embeddings; other apps reach them through this module.
from catalog.embedding.selectors import Neighbour as Neighbour
from catalog.embedding.selectors import item_neighbours as item_neighbours
from catalog.embedding.selectors import items_neighbours as items_neighbours
from catalog.embedding.selectors import similarity_dimension as similarity_dimension
from catalog.models import ContentItem, ContentSyncRun, TmdbStatus


def _items() -> QuerySet[ContentItem]:
    return ContentItem.objects.defer("embedding")


def items_by_ids(*, item_ids: Iterable[str]) -> dict[str, ContentItem]:
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    return {item.item_id: item for item in _items().filter(item_id__in=ids)}


def content_sync_runs_recent(*, limit: int = 10) -> list[ContentSyncRun]:
    return list(ContentSyncRun.objects.order_by("-started_at")[:limit])


# --- reads for the recommender (recsys) --------------------------------------------------------
# recsys trains on the catalog, keeps Recombee's copy of it in step and checks its picks against it.
# Rows TMDB no longer knows (TmdbStatus.GONE) are kept for users' history but never recommended.


def _items_for_recommender() -> QuerySet[ContentItem]:
    # Recombee's item values need neither the vector nor the long text columns.
    return ContentItem.objects.defer("embedding", "keywords", "tagline")


def item_ids_existing(*, item_ids: Iterable[str]) -> set[str]:
    """Which of these ids the catalog holds (any status)."""
    ids = list(set(item_ids))
    if not ids:
        return set()
    return set(ContentItem.objects.filter(item_id__in=ids).values_list("item_id", flat=True))


def items_recommendable(*, chunk_size: int = 2000) -> Iterator[ContentItem]:
    """Every title that may be recommended (not adult, not gone from TMDB), by item id, streamed.

    Only ``item_id``, ``media_type``, ``title``, ``vote_average``, ``vote_count`` and ``embedding`` are
    loaded: reading another field costs a query per row.
    """
    return (
        ContentItem.objects.filter(adult=False)
        .exclude(tmdb_status=TmdbStatus.GONE)
        .order_by("item_id")
        .only("item_id", "media_type", "title", "vote_average", "vote_count", "embedding")
        .iterator(chunk_size=chunk_size)
    )


def items_active_by_ids(*, item_ids: Iterable[str]) -> list[ContentItem]:
    """The active rows among these ids, by item id (vector, keywords and tagline not loaded)."""
    ids = list(set(item_ids))
    if not ids:
        return []
    return list(_items_for_recommender().filter(item_id__in=ids, tmdb_status=TmdbStatus.ACTIVE).order_by("item_id"))


def items_active_titles(*, item_ids: Iterable[str], media_type: str | None = None) -> dict[str, str]:
    """item id → title of the active rows among these ids (of one media type when given)."""
    rows = ContentItem.objects.filter(item_id__in=list(set(item_ids)), tmdb_status=TmdbStatus.ACTIVE)
    if media_type:
        rows = rows.filter(media_type=media_type)
    return dict(rows.values_list("item_id", "title"))


def items_changed_page(
    *, before: datetime, after: tuple[datetime, str] | None, limit: int
) -> tuple[list[ContentItem], list[str], tuple[datetime, str] | None]:
    """One keyset page of rows changed before ``before``, in ``(updated_at, item_id)`` order past ``after``.

    Returns the page's active rows (vector, keywords and tagline not loaded), the ids of its rows
    gone from TMDB (a copy elsewhere must drop them), and the key of its last row, so a cursor moves
    past both; ``None`` when the page is empty.
    """
    rows = _items_for_recommender().filter(updated_at__lt=before).order_by("updated_at", "item_id")
    if after is not None:
        at, item_id = after
        rows = rows.filter(Q(updated_at__gt=at) | Q(updated_at=at, item_id__gt=item_id))
    page = list(rows[:limit])
    if not page:
        return [], [], None
    last = page[-1]
    active = [item for item in page if item.tmdb_status == TmdbStatus.ACTIVE]
    gone = [item.item_id for item in page if item.tmdb_status == TmdbStatus.GONE]
    return active, gone, (last.updated_at, last.item_id)


def items_active_count_through(*, key: tuple[datetime, str]) -> int:
    """How many active rows sort at or before ``key`` in ``(updated_at, item_id)`` order."""
    at, item_id = key
    return ContentItem.objects.filter(
        Q(updated_at__lt=at) | Q(updated_at=at, item_id__lte=item_id), tmdb_status=TmdbStatus.ACTIVE
    ).count()


def item_genre_ids(*, item_ids: Iterable[str]) -> dict[str, list[int]]:
    """TMDB genre ids per title, for those of ``item_ids`` that are catalog rows (users' taste profile)."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    rows = ContentItem.objects.filter(item_id__in=ids).values_list("item_id", "genre_ids")
    return {item_id: list(genre_ids or []) for item_id, genre_ids in rows}


def catalog_overview() -> dict[str, object]:
    """Catalog size by media type and status, and embedding coverage by model and dimension (Operations page)."""
    from django.db.models import Count

    sizes = [
        {"media_type": row["media_type"], "tmdb_status": row["tmdb_status"], "rows": row["rows"]}
        for row in ContentItem.objects.values("media_type", "tmdb_status")
        .annotate(rows=Count("item_id"))
        .order_by("media_type", "tmdb_status")
    ]
    coverage = [
        {"model": row["embedding_model"] or "(none)", "dimension": row["embedding_dim"], "rows": row["rows"]}
        for row in ContentItem.objects.filter(tmdb_status=TmdbStatus.ACTIVE)
        .values("embedding_model", "embedding_dim")
        .annotate(rows=Count("item_id"))
        .order_by("-rows")
    ]
    return {"total": sum(row["rows"] for row in sizes), "sizes": sizes, "embeddings": coverage}


def embedding_provider_selftest() -> tuple[bool, str]:
    """Embed one string with the configured provider (``GET /admin/selftest``): (ok, what happened).

    The ``none`` provider passes by saying so: it makes no vectors on purpose.
    """
    from catalog.embedding import registry

    provider = registry.get_embedding_provider()
    if not provider.produces_vectors:
        return True, f"{provider.name}: embeddings are off (no vectors by design)"
    try:
        batch = provider.embed(["Reclio self-test: a heist thriller in Los Angeles."])
    except Exception as exc:  # noqa: BLE001 - the self-test reports, never raises
        return False, f"{provider.name}: {type(exc).__name__}: {exc}"[:300]
    if len(batch) != 1:
        return False, f"{provider.name}: returned {len(batch)} vectors for 1 text"
    return True, f"{provider.name} ({provider.model}): one vector of {len(batch.vectors[0])} dimensions"
