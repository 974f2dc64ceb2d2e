"""Catalog reads. Every read defers the embedding vector: callers here never need it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from catalog.models import ContentItem, ContentSyncRun


def _items() -> QuerySet[ContentItem]:
    return ContentItem.objects.defer("embedding")


def item_get(*, item_id: str) -> ContentItem | None:
    return _items().filter(item_id=item_id).first()


def items_by_ids(*, item_ids: Iterable[str]) -> dict[str, ContentItem]:
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    return {item.item_id: item for item in _items().filter(item_id__in=ids)}


def content_sync_runs_recent(*, limit: int = 10) -> list[ContentSyncRun]:
    return list(ContentSyncRun.objects.order_by("-started_at")[:limit])


# Reads for the users app (which titles of a viewer's history exist, their genres): users never
# queries ContentItem itself.


def item_ids_present(*, item_ids: Iterable[str]) -> set[str]:
    """Those of ``item_ids`` that are catalog rows."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return set()
    return set(ContentItem.objects.filter(item_id__in=ids).values_list("item_id", flat=True))


def item_genre_ids(*, item_ids: Iterable[str]) -> dict[str, list[int]]:
    """TMDB genre ids per title, for those of ``item_ids`` that are catalog rows."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    rows = ContentItem.objects.filter(item_id__in=ids).values_list("item_id", "genre_ids")
    return {item_id: list(genre_ids or []) for item_id, genre_ids in rows}
