"""What the catalog shares with other apps: its vocabulary (media types, item ids, genres) and the
frozen results it hands to callers in other apps, tasks, commands and the admin API."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import models

from catalog.embedding.text import embedding_text_hash, item_embedding_text
from catalog.genres import MOVIE_GENRES, RETIRED_MOVIE_GENRES, TV_GENRES, genre_name

__all__ = [
    "MEDIA_TYPES",
    "MOVIE_GENRES",
    "RETIRED_MOVIE_GENRES",
    "TV_GENRES",
    "EnsureResult",
    "ImportSummary",
    "MediaType",
    "SyncSummary",
    "embedding_text_hash",
    "genre_name",
    "item_embedding_text",
    "item_id_make",
    "item_id_parse",
]


class MediaType(models.TextChoices):
    """TMDB's two kinds of title; also the prefix of every item id."""

    MOVIE = "movie", "Movie"
    TV = "tv", "TV show"


MEDIA_TYPES: tuple[str, ...] = (MediaType.MOVIE.value, MediaType.TV.value)

# `movie_{tmdb_id}` / `tv_{tmdb_id}`: TMDB numbers movies and shows separately, so the prefix keeps
# `movie_1399` and `tv_1399` apart. TMDB ids are positive and fit in ten digits.
_ITEM_ID = re.compile(r"^(movie|tv)_([1-9][0-9]{0,9})$")


def item_id_make(*, media_type: str, tmdb_id: int) -> str:
    """``("movie", 603)`` → ``"movie_603"``."""
    return f"{media_type}_{tmdb_id}"


def item_id_parse(item_id: str | None) -> tuple[str, int] | None:
    """``"movie_157336"`` → ``("movie", 157336)``; anything else (malformed, oversized, a negative
    stand-in id for a title TMDB does not know) → None."""
    match = _ITEM_ID.match(item_id or "")
    return (match.group(1), int(match.group(2))) if match else None


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
