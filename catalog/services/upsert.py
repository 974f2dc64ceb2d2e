"""Writing titles into ``content_catalog``: the one code path every source goes through.

TMDB sync, ``catalog_items_ensure``, the per-title refresh, ``import_catalog PATH`` (TMDB JSON) and the
dataset importer all hand ``TmdbTitle`` records to ``content_items_upsert``. A row is written whole, in
one ``INSERT … ON CONFLICT (item_id) DO UPDATE`` per batch inside one transaction, so a failure never
leaves a half-written row and concurrent writers (the sync and a user's ensure) cannot duplicate one.

A row the database refuses (a value out of range, a character PostgreSQL cannot store…) must not take
the other titles of its batch, nor the whole sync, down with it every day: a refused batch is written
again one title at a time, each in its own savepoint, and the titles still refused are returned in
``UpsertResult.refused`` for the caller to report.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from catalog.embedding.text import embedding_text_hash, item_embedding_text
from catalog.models import ContentItem, TmdbStatus
from catalog.tmdb import TmdbListEntry, TmdbTitle

logger = logging.getLogger(__name__)

# What "the database refuses this row" looks like: bad data (out of range, too long, untranslatable
# character: SQLSTATE class 22) or a violated constraint (class 23). A lost connection or a timeout is
# not the row's fault and still fails the caller (every other row would fail the same way).
ROW_REFUSED_ERRORS = (DataError, IntegrityError)

# A difference here is a content change: the title is re-pushed to the recommender (and re-embedded
# when source_hash moves). Stats below change daily and are refreshed without either.
CONTENT_FIELDS = (
    "title",
    "original_title",
    "original_language",
    "tagline",
    "overview",
    "genres",
    "genre_ids",
    "keywords",
    "year",
    "release_date",
    "cast",
    "director",
    "poster_path",
    "adult",
    "tmdb_status",
    "source_hash",
)
STATS_FIELDS = ("popularity", "vote_average", "vote_count")


@dataclass
class UpsertResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # content changed
    refreshed: list[str] = field(default_factory=list)  # stats only
    unchanged: list[str] = field(default_factory=list)
    reembed: list[str] = field(default_factory=list)  # created or source_hash changed
    refused: list[tuple[str, str]] = field(default_factory=list)  # (item_id, why the database refused it)

    def merge(self, other: UpsertResult) -> None:
        for name in ("created", "updated", "refreshed", "unchanged", "reembed", "refused"):
            getattr(self, name).extend(getattr(other, name))

    @property
    def changed(self) -> list[str]:
        """Rows whose content is new or different: what the recommender must hear about."""
        return [*self.created, *self.updated]


def item_source_hash(title: TmdbTitle) -> str:
    text = item_embedding_text(
        title=title.title,
        tagline=title.tagline,
        overview=title.overview,
        genre_names=[genre.name for genre in title.genres],
        keywords=title.keywords,
    )
    return embedding_text_hash(text)


def _row_values(title: TmdbTitle) -> dict[str, Any]:
    return {
        "title": title.title,
        "original_title": title.original_title,
        "original_language": title.original_language,
        "tagline": title.tagline,
        "overview": title.overview,
        "genres": [{"id": genre.id, "name": genre.name} for genre in title.genres],
        "genre_ids": [genre.id for genre in title.genres],
        "keywords": list(title.keywords),
        "year": title.year,
        "release_date": title.release_date,
        "cast": list(title.cast),
        "director": title.director,
        "poster_path": title.poster_path,
        "adult": title.adult,
        "tmdb_status": TmdbStatus.ACTIVE,
        "source_hash": item_source_hash(title),
        "popularity": title.popularity,
        "vote_average": title.vote_average,
        "vote_count": title.vote_count,
    }


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def content_items_upsert(
    *, titles: Sequence[TmdbTitle], confirmed_at: dt.datetime | None, batch_size: int | None = None
) -> UpsertResult:
    """Create new rows, refresh existing ones; classify each title (see ``UpsertResult``).

    ``confirmed_at`` is when TMDB returned these titles (None for offline imports: an import must not
    claim TMDB confirmed anything, nor erase a real confirmation).
    Embedding columns are never touched here; ``source_hash`` ≠ ``embedding_source_hash`` is the
    re-embed flag the embedding step reads.
    """
    unique = list({title.item_id: title for title in titles}.values())  # last record of an id wins
    result = UpsertResult()
    for batch in _chunks(unique, batch_size or settings.CATALOG_UPSERT_BATCH_SIZE):
        result.merge(_upsert_batch(batch, confirmed_at=confirmed_at))
    return result


def _upsert_batch(titles: Sequence[TmdbTitle], *, confirmed_at: dt.datetime | None) -> UpsertResult:
    """One statement for the batch; when the database refuses it, one savepoint per title."""
    try:
        return _upsert_rows(titles, confirmed_at=confirmed_at)
    except ROW_REFUSED_ERRORS as exc:
        if len(titles) == 1:
            return _refused(titles[0], exc)
    result = UpsertResult()
    for title in titles:
        try:
            result.merge(_upsert_rows([title], confirmed_at=confirmed_at))
        except ROW_REFUSED_ERRORS as exc:
            result.merge(_refused(title, exc))
    return result


def _refused(title: TmdbTitle, exc: Exception) -> UpsertResult:
    reason = f"refused by the database: {type(exc).__name__}: {' '.join(str(exc).split())}"[:500]
    logger.warning("content_item_refused item_id=%s error=%s", title.item_id, reason)
    return UpsertResult(refused=[(title.item_id, reason)])


def _upsert_rows(titles: Sequence[TmdbTitle], *, confirmed_at: dt.datetime | None) -> UpsertResult:
    result = UpsertResult()
    now = timezone.now()
    ids = [title.item_id for title in titles]
    # A transaction, or a savepoint inside the caller's: a refused statement rolls back only this.
    with transaction.atomic():
        existing = {
            row["item_id"]: row
            for row in ContentItem.objects.filter(item_id__in=ids).values(
                "item_id", "recombee_synced", *CONTENT_FIELDS, *STATS_FIELDS
            )
        }
        to_write: list[ContentItem] = []
        for title in titles:
            values = _row_values(title)
            old = existing.get(title.item_id)
            recombee_synced = False
            if old is None:
                result.created.append(title.item_id)
                result.reembed.append(title.item_id)
            elif any(old[name] != values[name] for name in CONTENT_FIELDS):
                result.updated.append(title.item_id)
                if old["source_hash"] != values["source_hash"]:
                    result.reembed.append(title.item_id)
            elif any(old[name] != values[name] for name in STATS_FIELDS):
                result.refreshed.append(title.item_id)
                recombee_synced = old["recombee_synced"]
            else:
                result.unchanged.append(title.item_id)
                continue
            to_write.append(
                ContentItem(
                    item_id=title.item_id,
                    tmdb_id=title.tmdb_id,
                    media_type=title.media_type,
                    recombee_synced=recombee_synced,
                    tmdb_confirmed_at=confirmed_at,
                    updated_at=now,
                    **values,
                )
            )
        update_fields = [*CONTENT_FIELDS, *STATS_FIELDS, "recombee_synced", "updated_at"]
        if confirmed_at is not None:
            update_fields.append("tmdb_confirmed_at")
        if to_write:
            ContentItem.objects.bulk_create(
                to_write, update_conflicts=True, unique_fields=["item_id"], update_fields=update_fields
            )
        if result.unchanged and confirmed_at is not None:
            ContentItem.objects.filter(item_id__in=result.unchanged).update(tmdb_confirmed_at=confirmed_at)
    return result


def content_items_mark_gone(*, item_ids: Sequence[str]) -> list[str]:
    """TMDB answered 404: keep the row (histories may point at it) but stop offering it. Returns newly gone ids."""
    gone = list(
        ContentItem.objects.filter(item_id__in=item_ids, tmdb_status=TmdbStatus.ACTIVE).values_list(
            "item_id", flat=True
        )
    )
    if gone:
        ContentItem.objects.filter(item_id__in=gone).update(
            tmdb_status=TmdbStatus.GONE, recombee_synced=False, updated_at=timezone.now()
        )
    return gone


def content_items_stats_refresh(*, media_type: str, entries: Iterable[TmdbListEntry]) -> list[str]:
    """Popularity and votes from list pages, for rows we do not re-fetch: no detail call needed."""
    by_tmdb = {entry.tmdb_id: entry for entry in entries}
    if not by_tmdb:
        return []
    rows = ContentItem.objects.filter(media_type=media_type, tmdb_id__in=list(by_tmdb)).only(
        "item_id", "tmdb_id", *STATS_FIELDS
    )
    changed: list[ContentItem] = []
    for row in rows:
        entry = by_tmdb[row.tmdb_id]
        new = {
            "popularity": entry.popularity if entry.popularity is not None else row.popularity,
            "vote_average": entry.vote_average if entry.vote_average is not None else row.vote_average,
            "vote_count": entry.vote_count if entry.vote_count is not None else row.vote_count,
        }
        if any(getattr(row, name) != value for name, value in new.items()):
            for name, value in new.items():
                setattr(row, name, value)
            changed.append(row)
    if changed:
        now = timezone.now()
        for row in changed:
            row.updated_at = now
        ContentItem.objects.bulk_update(
            changed, [*STATS_FIELDS, "updated_at"], batch_size=settings.CATALOG_UPSERT_BATCH_SIZE
        )
    return [row.item_id for row in changed]
