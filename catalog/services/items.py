"""Title-level operations: ensure titles exist (users app), refresh or re-embed chosen rows (admin)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.contracts import EnsureResult, SyncSummary
from catalog.models import ContentItem, MediaType, SyncStatus
from catalog.services.fetch import (
    Key,
    TitlesSyncTally,
    TmdbCredentialsRejected,
    TmdbPool,
    titles_changes_announce,
    titles_sync,
)
from catalog.services.notify import items_reembed_enqueue
from catalog.tmdb import TmdbNotConfigured
from reclio.enqueue import enqueue_each_on_commit
from reclio.http import UpstreamError

logger = logging.getLogger(__name__)

# Marking demand is a write per title; once a day per title is plenty for "which genres matter".
REQUESTED_AT_RESOLUTION_HOURS = 24


def _keys_normalise(keys: Sequence[tuple[str, int]]) -> list[Key]:
    valid = {MediaType.MOVIE.value, MediaType.TV.value}
    normalised: dict[Key, None] = {}
    for media_type, tmdb_id in keys:
        media = str(media_type).lower()
        media = "tv" if media in ("show", "shows") else ("movie" if media == "movies" else media)
        if media not in valid:
            raise ValueError(f"unknown media type {media_type!r}")
        normalised[(media, int(tmdb_id))] = None
    return list(normalised)


def _held(keys: Sequence[Key]) -> dict[Key, str]:
    if not keys:
        return {}
    condition = Q()
    for media in {media for media, _ in keys}:
        condition |= Q(media_type=media, tmdb_id__in=[tmdb_id for m, tmdb_id in keys if m == media])
    return {
        (media, tmdb_id): item_id
        for item_id, media, tmdb_id in ContentItem.objects.filter(condition).values_list(
            "item_id", "media_type", "tmdb_id"
        )
    }


def catalog_items_ensure(*, keys: Sequence[tuple[str, int]]) -> EnsureResult:
    """Make sure these (media_type, tmdb_id) titles exist, fetching missing ones through the sync path.

    Called by the users app for every title in a viewer's history, ratings and watchlist, so also
    records that viewers want these titles (``requested_at``: kept fresh by the sync, and their
    genres steer discover). Keys TMDB does not know (404) or that failed to fetch come back in
    ``failed``; the caller decides whether to retry later.
    """
    wanted = _keys_normalise(keys)
    held = _held(wanted)
    missing = [key for key in wanted if key not in held and key[1] > 0]
    tally = TitlesSyncTally()
    if missing:
        try:
            pool = TmdbPool()
        except TmdbNotConfigured:
            logger.warning("catalog_ensure_tmdb_not_configured missing=%d", len(missing))
        else:
            try:
                titles_sync(pool=pool, keys=missing, tally=tally)
            except TmdbCredentialsRejected:
                logger.warning("catalog_ensure_tmdb_rejected missing=%d", len(missing))
            finally:
                pool.close()
            titles_changes_announce(tally=tally)
            held = _held(wanted)
    present = [held[key] for key in wanted if key in held]
    _requested_mark(item_ids=present)
    if tally.failed or tally.gone:
        logger.info("catalog_ensure_incomplete missing=%d failed=%d gone=%d", len(missing), tally.failed, tally.gone)
    return EnsureResult(
        item_ids=tuple(present),
        failed=tuple(key for key in wanted if key not in held),
        created=tuple(tally.upserted.created),
    )


def _requested_mark(*, item_ids: Sequence[str]) -> None:
    if not item_ids:
        return
    now = timezone.now()
    cutoff = now - dt.timedelta(hours=REQUESTED_AT_RESOLUTION_HOURS)
    ContentItem.objects.filter(item_id__in=item_ids).filter(
        Q(requested_at__isnull=True) | Q(requested_at__lt=cutoff)
    ).update(requested_at=now)


def catalog_items_refresh(*, item_ids: Sequence[str]) -> SyncSummary:
    """Re-fetch these rows from TMDB now (admin "refresh from TMDB"), through the sync code path."""
    started = time.monotonic()
    rows = ContentItem.objects.filter(item_id__in=item_ids, tmdb_id__gt=0).values_list("media_type", "tmdb_id")
    keys = [(media, tmdb_id) for media, tmdb_id in rows]
    tally = TitlesSyncTally()
    status, detail, requests = SyncStatus.OK, "", 0
    if keys:
        pool: TmdbPool | None = None
        try:
            pool = TmdbPool()
            titles_sync(pool=pool, keys=keys, tally=tally)
        except (TmdbCredentialsRejected, UpstreamError) as exc:
            status, detail = SyncStatus.FAILED, str(exc)
        finally:
            if pool is not None:
                requests = pool.requests
                pool.close()
        titles_changes_announce(tally=tally)
    if status == SyncStatus.OK and tally.failed:
        status = SyncStatus.PARTIAL
    return SyncSummary(
        mode="refresh",
        status=status,
        candidates=len(keys),
        fetched=tally.fetched,
        created=len(tally.upserted.created),
        updated=len(tally.upserted.updated),
        refreshed=len(tally.upserted.refreshed),
        unchanged=len(tally.upserted.unchanged),
        gone=tally.gone,
        failed=tally.failed,
        reembed_queued=tally.reembed_queued,
        requests=requests,
        seconds=round(time.monotonic() - started, 3),
        failures=tuple(tally.failures),
        detail=detail,
    )


def catalog_items_reembed(*, item_ids: Sequence[str]) -> int:
    """Force re-embedding (admin "re-embed"): clear the hash the vector was made from, then enqueue.

    Clearing ``embedding_source_hash`` makes the rows stale by the embedding step's own rule, so the
    request survives even if the enqueue is lost (the embedding sweep picks stale rows up).
    """
    ids = list(ContentItem.objects.filter(item_id__in=item_ids).values_list("item_id", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        ContentItem.objects.filter(item_id__in=ids).update(embedding_source_hash="")
        return items_reembed_enqueue(item_ids=ids)


def catalog_reembed_all() -> int:
    """Full re-embed (Operations page): mark every row stale, then queue the stale sweep's first batch.

    The stale mark is the request (dirty-flag pattern): what does not fit in this batch is picked up
    by the every-30-minute stale sweep. Returns how many rows were queued now.
    """
    from catalog.embedding.services import catalog_embeddings_enqueue_stale
    from catalog.embedding.tasks import STALE_SWEEP_LIMIT

    with transaction.atomic():
        ContentItem.objects.exclude(embedding_source_hash="").update(embedding_source_hash="")
        return catalog_embeddings_enqueue_stale(limit=STALE_SWEEP_LIMIT)


def catalog_items_refresh_enqueue(*, item_ids: Sequence[str]) -> int:
    """One ``catalog.item_refresh`` task per id, after commit; returns how many were queued."""
    from catalog.tasks import item_refresh_task

    ids = list(ContentItem.objects.filter(item_id__in=item_ids, tmdb_id__gt=0).values_list("item_id", flat=True))
    # Each send on its own: one broker error must not drop the other titles' refreshes (reclio.enqueue).
    return enqueue_each_on_commit(item_refresh_task.delay, ids, what="item_refresh")


def content_sync_enqueue(*, full: bool = False) -> int:
    """Queue the content sync (``sync`` queue) and the re-embedding of every stale row (``embeddings``).

    Used by ``POST /admin/sync/content`` and the admin button. The sync hands the ids it changes to the
    embedding step itself; the stale sweep here also covers rows made stale by a provider switch.
    Returns how many rows were queued for (re-)embedding.
    """
    from catalog.embedding.services import catalog_embeddings_enqueue_stale
    from catalog.embedding.tasks import STALE_SWEEP_LIMIT
    from catalog.tasks import content_sync_task

    transaction.on_commit(lambda: content_sync_task.delay(full=full))
    return catalog_embeddings_enqueue_stale(limit=STALE_SWEEP_LIMIT)


def items_mark_recombee_synced(*, item_ids: Sequence[str]) -> int:
    """Record that Recombee accepted these rows (the recsys push calls this after each batch).

    ``QuerySet.update`` leaves ``updated_at`` alone, so marking a row does not make it look changed
    to the push's own ``updated_at`` cursor.
    """
    if not item_ids:
        return 0
    return ContentItem.objects.filter(item_id__in=list(item_ids)).update(recombee_synced=True)
