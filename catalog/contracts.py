"""Frozen results the catalog hands to callers in other apps, tasks, commands and the admin API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SyncSummary:
    """What one content sync (or a refresh of a few titles) did. Stored as a ContentSyncRun too."""

    mode: str  # "full" / "incremental" / "refresh"
    status: str  # catalog.models.SyncStatus values
    run_id: int | None = None
    candidates: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    refreshed: int = 0
    unchanged: int = 0
    gone: int = 0
    failed: int = 0
    reembed_queued: int = 0
    requests: int = 0
    seconds: float = 0.0
    failures: tuple[dict[str, str], ...] = ()
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = list(self.failures)
        return data


@dataclass(frozen=True)
class EnsureResult:
    """``catalog_items_ensure``: ids present afterwards, and the (media_type, tmdb_id) keys that are not."""

    item_ids: tuple[str, ...]
    failed: tuple[tuple[str, int], ...] = ()
    created: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ImportSummary:
    """An offline import (TMDB JSON lines or the tabular datasets)."""

    read: int = 0
    skipped: int = 0
    created: int = 0
    updated: int = 0
    refreshed: int = 0
    unchanged: int = 0
    reembed_queued: int = 0
    seconds: float = 0.0
    by_source: dict[str, int] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
