"""Catalog reads. Every read defers the embedding vector: callers here never need it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from catalog.models import ContentItem, ContentSyncRun


def _items() -> QuerySet[ContentItem]:
    return ContentItem.objects.defer("embedding")


def items_by_ids(*, item_ids: Iterable[str]) -> dict[str, ContentItem]:
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    return {item.item_id: item for item in _items().filter(item_id__in=ids)}


def content_sync_runs_recent(*, limit: int = 10) -> list[ContentSyncRun]:
    return list(ContentSyncRun.objects.order_by("-started_at")[:limit])
