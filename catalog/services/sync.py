"""The content sync: which titles to look at, which to fetch, and the run's bookkeeping.

Full run (the first ever, or ``full=True``): every list page, discover by our viewers' genres, and
every row we already hold is fetched again.

Incremental run (every later day): the same list pages (cheap: 20 titles per request, and they carry
popularity and votes, which refresh existing rows without a detail call), then details only for
  - titles in those lists that we do not hold yet,
  - titles we hold that TMDB's ``/movie/changes`` and ``/tv/changes`` list since the last good run,
  - titles whose details failed in that run (its ``retry_keys``),
  - a bounded batch of rows TMDB has not confirmed for ``CATALOG_SYNC_STALE_DAYS``.
With nothing new and nothing changed, an incremental run makes no detail calls at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from catalog.contracts import SyncSummary
from catalog.models import ContentItem, ContentSyncRun, SyncMode, SyncStatus
from catalog.services.fetch import (
    Key,
    TitlesSyncTally,
    TmdbCredentialsRejected,
    TmdbPool,
    titles_changes_announce,
    titles_sync,
)
from catalog.services.upsert import content_items_stats_refresh
from catalog.tmdb import (
    CHANGES_MAX_DAYS,
    LIST_PATHS,
    MAX_PAGE,
    TmdbListEntry,
    TmdbPage,
    TmdbParseError,
    TmdbSession,
    tmdb_changes_page,
    tmdb_list_page,
)
from reclio import http
from reclio.http import MAX_IN_PROCESS_WAIT_SECONDS, UpstreamError
from reclio.locks import LOCK_MARGIN_SECONDS, held, lock_owner, task_owner

logger = logging.getLogger(__name__)

SYNC_LOCK = "catalog.content_sync"  # a reclio.locks name
# Discover only what people would watch: TMDB's discover without a floor is full of zero-vote titles.
DISCOVER_PARAMS = {"sort_by": "popularity.desc", "vote_count.gte": 50}
# List pages that failed for a passing reason are asked again, up to this many rounds in all, waiting
# the upstream's Retry-After (or LIST_ROUND_WAIT_SECONDS) between rounds.
LIST_PAGE_ROUNDS = 4
LIST_ROUND_WAIT_SECONDS = 10.0


def _lock_seconds() -> int:
    # The content sync task runs under the global hard limit (no limit of its own); the lock outlives
    # it so a killed worker's lock expires on its own.
    return int(settings.CELERY_TASK_TIME_LIMIT) + LOCK_MARGIN_SECONDS


def content_sync_last_good() -> ContentSyncRun | None:
    return ContentSyncRun.objects.filter(status__in=[SyncStatus.OK, SyncStatus.PARTIAL]).order_by("-started_at").first()


def content_sync_run(*, full: bool = False, owner: str | None = None) -> SyncSummary:
    """The content sync (beat at 03:00, ``POST /admin/sync/content``, the admin). Never overlaps itself.

    ``owner`` is the lock owner: the Celery task id (``reclio.locks.task_owner``), so a redelivery of
    the same task (its worker was killed) takes the lock over and runs instead of being recorded as
    skipped. Without one (a command, a test) this call is its own owner.
    """
    owner = owner or task_owner(None)
    with held(SYNC_LOCK, owner=owner, ttl_seconds=_lock_seconds()) as acquired:
        if not acquired:
            logger.info("content_sync_skipped reason=locked")
            now = timezone.now()
            run = ContentSyncRun.objects.create(
                mode=SyncMode.FULL if full else SyncMode.INCREMENTAL,
                status=SyncStatus.SKIPPED,
                started_at=now,
                finished_at=now,
                detail="another content sync is running",
            )
            return SyncSummary(mode=run.mode, status=run.status, run_id=run.pk, detail=run.detail)
        # We hold the lock, so any run still marked "running" belongs to a process that died.
        _runs_reap(ContentSyncRun.objects.filter(status=SyncStatus.RUNNING), reason="the next run started")
        return _content_sync_locked(full=full)


# What a reaped run says in the admin (its ``detail``) before the reason.
REAPED_DETAIL = "interrupted: the process running it stopped before it finished"


def content_sync_runs_reap() -> int:
    """Mark runs left "running" by a killed process as failed, with the reason; returns how many.

    A run is dead when no content sync holds the lock (every live run holds it), or when it started
    longer ago than the hard time limit (no live run can be that old). Called by the hourly health
    check; the next content sync also reaps, under its lock.
    """
    now = timezone.now()
    running = ContentSyncRun.objects.filter(status=SyncStatus.RUNNING, started_at__lt=now)
    if lock_owner(SYNC_LOCK) is None:
        return _runs_reap(running, reason="no content sync holds the lock")
    too_old = now - dt.timedelta(seconds=_lock_seconds())
    return _runs_reap(running.filter(started_at__lt=too_old), reason="older than the hard time limit")


def _runs_reap(runs: Any, *, reason: str) -> int:
    reaped = 0
    for run in runs:
        run.status, run.finished_at = SyncStatus.FAILED, timezone.now()
        run.detail = f"{REAPED_DETAIL} ({reason})"
        run.save(update_fields=["status", "finished_at", "detail"])
        logger.warning("content_sync_run_reaped run=%s started_at=%s reason=%s", run.pk, run.started_at, reason)
        reaped += 1
    return reaped


def _content_sync_locked(*, full: bool) -> SyncSummary:
    started = time.monotonic()
    last_good = content_sync_last_good()
    mode = SyncMode.FULL if full or last_good is None else SyncMode.INCREMENTAL
    run = ContentSyncRun.objects.create(mode=mode, started_at=timezone.now())
    logger.info("content_sync_started run=%s mode=%s", run.pk, mode)
    tally = TitlesSyncTally()
    pool: TmdbPool | None = None
    extra: dict[str, int] = {"candidates": 0, "refreshed": 0, "requests": 0}
    status, detail = SyncStatus.OK, ""
    try:
        pool = TmdbPool()
        plan = _sync_plan(pool=pool, tally=tally, mode=mode, last_good=last_good)
        extra["candidates"], extra["refreshed"] = plan["candidates"], plan["refreshed"]
        titles_sync(pool=pool, keys=plan["fetch"], tally=tally)
        status = SyncStatus.PARTIAL if tally.failed else SyncStatus.OK
    except (TmdbCredentialsRejected, UpstreamError, TmdbParseError) as exc:
        # Whatever landed before the failure is whole and stays (and is announced below).
        status, detail = SyncStatus.FAILED, str(exc)
        logger.warning("content_sync_failed run=%s error=%s", run.pk, exc)
    except BaseException as exc:
        # A bug or a killed worker: record it so the run does not read "running" forever.
        run.status, run.detail, run.finished_at = SyncStatus.FAILED, f"{type(exc).__name__}: {exc}", timezone.now()
        run.save(update_fields=["status", "detail", "finished_at"])
        raise
    finally:
        if pool is not None:
            extra["requests"] = pool.requests
            pool.close()
    titles_changes_announce(tally=tally)

    summary = SyncSummary(
        mode=mode,
        status=status,
        run_id=run.pk,
        candidates=extra["candidates"],
        fetched=tally.fetched,
        created=len(tally.upserted.created),
        updated=len(tally.upserted.updated),
        refreshed=len(tally.upserted.refreshed) + extra["refreshed"],
        unchanged=len(tally.upserted.unchanged),
        gone=tally.gone,
        failed=tally.failed,
        reembed_queued=tally.reembed_queued,
        requests=extra["requests"],
        seconds=round(time.monotonic() - started, 3),
        failures=tuple(tally.failures),
        detail=detail,
    )
    _run_store(run, summary, retry_keys=tally.failed_keys)
    logger.info(
        "content_sync_finished run=%s mode=%s status=%s candidates=%d fetched=%d created=%d updated=%d "
        "refreshed=%d unchanged=%d gone=%d failed=%d requests=%d seconds=%.1f",
        run.pk,
        summary.mode,
        summary.status,
        summary.candidates,
        summary.fetched,
        summary.created,
        summary.updated,
        summary.refreshed,
        summary.unchanged,
        summary.gone,
        summary.failed,
        summary.requests,
        summary.seconds,
    )
    return summary


# What a run did with its titles (the admin's changelist columns, in this order).
RUN_TITLE_COUNTS = ("candidates", "fetched", "created", "updated", "refreshed", "unchanged", "gone", "failed")
# The counters a SyncSummary and a stored ContentSyncRun have in common.
RUN_COUNTER_FIELDS = (*RUN_TITLE_COUNTS, "reembed_queued", "requests", "detail")


def _run_store(run: ContentSyncRun, summary: SyncSummary, *, retry_keys: list[Key]) -> None:
    for name in ("status", *RUN_COUNTER_FIELDS):
        setattr(run, name, getattr(summary, name))
    run.failures = list(summary.failures)
    run.retry_keys = [[media, tmdb_id] for media, tmdb_id in retry_keys]
    run.finished_at = timezone.now()
    run.save()


# --- planning ------------------------------------------------------------------------------------


def _sync_plan(
    *, pool: TmdbPool, tally: TitlesSyncTally, mode: str, last_good: ContentSyncRun | None
) -> dict[str, Any]:
    listed = _listed_entries(pool=pool, tally=tally)
    held: set[Key] = {
        (media, tmdb_id)
        for media, tmdb_id in ContentItem.objects.filter(tmdb_id__gt=0).values_list("media_type", "tmdb_id")
    }
    fetch: dict[Key, None] = {}  # ordered set: list order first (most popular titles land first)
    refreshed = 0
    if mode == SyncMode.FULL:
        fetch.update(dict.fromkeys(listed))
        fetch.update(dict.fromkeys(sorted(held)))
    else:
        fetch.update(dict.fromkeys(key for key in listed if key not in held))
        changed = _changed_keys(pool=pool, tally=tally, since=last_good.started_at) if last_good else set()
        fetch.update(dict.fromkeys(sorted(changed & held)))
        if last_good is not None:  # what failed last time, whether or not /changes lists it again
            fetch.update(dict.fromkeys((media, int(tmdb_id)) for media, tmdb_id in last_good.retry_keys))
        fetch.update(dict.fromkeys(_stale_keys()))
        # Rows we hold but will not fetch still get today's popularity and votes from the lists.
        for media in LIST_PATHS:
            entries = [entry for (m, _), entry in listed.items() if m == media and (m, entry.tmdb_id) not in fetch]
            refreshed += len(content_items_stats_refresh(media_type=media, entries=entries))
    return {"fetch": list(fetch), "candidates": len(set(listed) | set(fetch)), "refreshed": refreshed}


def _stale_keys() -> list[Key]:
    if not settings.CATALOG_SYNC_STALE_BATCH:
        return []
    cutoff = timezone.now() - dt.timedelta(days=settings.CATALOG_SYNC_STALE_DAYS)
    rows = (
        ContentItem.objects.filter(tmdb_id__gt=0)
        .filter(Q(tmdb_confirmed_at__isnull=True) | Q(tmdb_confirmed_at__lt=cutoff))
        .order_by(F("tmdb_confirmed_at").asc(nulls_first=True), "-popularity")  # never confirmed first
        .values_list("media_type", "tmdb_id")[: settings.CATALOG_SYNC_STALE_BATCH]
    )
    return [(media, tmdb_id) for media, tmdb_id in rows]


def _discover_genres(media_type: str) -> list[int]:
    """The genres most common among titles our viewers asked for (history, ratings, watchlist)."""
    limit = settings.CATALOG_SYNC_DISCOVER_GENRES
    if not limit:
        return []
    counts: Counter[int] = Counter()
    for genre_ids in ContentItem.objects.filter(media_type=media_type, requested_at__isnull=False).values_list(
        "genre_ids", flat=True
    ):
        counts.update(genre_ids)
    return [genre for genre, _ in counts.most_common(limit)]


def _list_sources() -> list[tuple[str, str, dict[str, Any], int]]:
    """(media_type, path, params, pages) for every list the sync reads."""
    sources: list[tuple[str, str, dict[str, Any], int]] = []
    for media, paths in LIST_PATHS.items():
        sources.extend((media, path, {}, settings.CATALOG_SYNC_LIST_PAGES) for path in paths)
        for genre in _discover_genres(media):
            sources.append(
                (
                    media,
                    f"discover/{media}",
                    {**DISCOVER_PARAMS, "with_genres": genre},
                    settings.CATALOG_SYNC_DISCOVER_PAGES,
                )
            )
    return sources


def _listed_entries(*, pool: TmdbPool, tally: TitlesSyncTally) -> dict[Key, TmdbListEntry]:
    """Every title on every list page, with its stats; first pages first to learn each list's length.

    A page that failed for a passing reason (429, 5xx, timeout) is asked again in a later round, after
    the upstream's ``Retry-After``: a rate-limit storm outlasts one page's in-request retries, and
    failing the whole run on it would lose the day's sync (the drill ``tmdb_429_storm``).
    """
    sources = _list_sources()

    def page(session: TmdbSession, job: tuple[int, int]) -> tuple[int, int, TmdbPage | Exception]:
        index, number = job
        _, path, params, _ = sources[index]
        try:
            return index, number, tmdb_list_page(session, path=path, page=number, params=params)
        except (UpstreamError, TmdbParseError) as exc:
            if isinstance(exc, UpstreamError) and exc.status == 401:
                pool.rejected.set()
            return index, number, exc  # recorded by collect(), on the calling thread

    listed: dict[Key, TmdbListEntry] = {}
    answered = 0
    failed: list[tuple[int, int, Exception]] = []

    def collect(results: Iterator[tuple[int, int, TmdbPage | Exception]]) -> list[tuple[int, int]]:
        nonlocal answered
        more: list[tuple[int, int]] = []
        for index, number, result in results:
            if isinstance(result, Exception):
                failed.append((index, number, result))
                continue
            answered += 1
            media = sources[index][0]
            for entry in result.entries:
                listed.setdefault((media, entry.tmdb_id), entry)
            if number == 1:
                last = min(sources[index][3], result.total_pages, MAX_PAGE)
                more.extend((index, n) for n in range(2, last + 1))
        return more

    pending = [(index, 1) for index in range(len(sources))]
    for round_ in range(1, LIST_PAGE_ROUNDS + 1):
        while pending:  # first pages, then the pages they announce
            pending = collect(pool.map(page, pending))
        passing = [item for item in failed if _passing(item[2])]
        if not passing or round_ == LIST_PAGE_ROUNDS or pool.rejected.is_set():
            break
        asked = [item[2].retry_after for item in passing if isinstance(item[2], UpstreamError)]
        wait = min(
            MAX_IN_PROCESS_WAIT_SECONDS, max([a for a in asked if a is not None], default=LIST_ROUND_WAIT_SECONDS)
        )
        logger.info("content_sync_list_pages_again pages=%d round=%d wait=%.1f", len(passing), round_ + 1, wait)
        http.sleep(wait)
        failed = [item for item in failed if not _passing(item[2])]
        pending = [(index, number) for index, number, _ in passing]
    for index, number, exc in failed:
        _, path, params, _ = sources[index]
        tally.failure(f"list:{path}?{_query(params)}page={number}", str(exc))
    if pool.rejected.is_set():
        raise TmdbCredentialsRejected("TMDB answered 401: check TMDB_API_KEY / TMDB_READ_ACCESS_TOKEN")
    if sources and not answered:
        raise UpstreamError("TMDB answered no list page; is it down?", service="tmdb")
    return listed


def _passing(exc: Exception) -> bool:
    """A failure that asking again later may cure (rate limit, server error, timeout)."""
    return isinstance(exc, UpstreamError) and not exc.permanent


def _query(params: dict[str, Any]) -> str:
    return "".join(f"{k}={v}&" for k, v in sorted(params.items()))


def _changed_keys(*, pool: TmdbPool, tally: TitlesSyncTally, since: dt.datetime) -> set[Key]:
    """Ids TMDB changed since ``since`` (windows of ≤ 14 days, every page). A failure fails the run:
    silently skipping a window would lose those changes for good."""
    session = pool.session()
    today = timezone.now().date()
    start = since.date()
    changed: set[Key] = set()
    while start <= today:
        end = min(today, start + dt.timedelta(days=CHANGES_MAX_DAYS - 1))
        for media in LIST_PATHS:
            number, total = 1, 1
            while number <= min(total, MAX_PAGE):
                result = tmdb_changes_page(session, media_type=media, start_date=start, end_date=end, page=number)
                changed.update((media, entry.tmdb_id) for entry in result.entries)
                total = result.total_pages
                number += 1
        start = end + dt.timedelta(days=1)
    return changed
