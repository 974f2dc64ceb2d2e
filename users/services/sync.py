"""One viewer's Trakt sync: poll last_activities, fetch what changed, store it, notify recsys.

Reference: https://trakt.docs.apiary.io/#reference/sync/last-activities ("compare with the stored
timestamps and only sync what changed"). Everything is fetched first and written in one transaction,
so a failure (429 storm, 5xx, timeout) leaves the previous state untouched and ``last_history_sync``
where it was; the task retries later.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import asdict, dataclass, field, fields

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.selectors import item_ids_existing
from catalog.services import catalog_items_ensure
from reclio.events import RECSYS_USER_INTERACTIONS_CHANGED, send_on_commit
from users.contracts import ConnectionState, InteractionKind, SyncCounts, SyncRunStatus, UserSyncSummary
from users.models import Interaction, PendingInteraction, User, UserSyncRun
from users.services.cadence import user_sync_reschedule
from users.services.interactions import Key, item_id_of, pending_promote, state_store, views_store
from users.services.tokens import with_user_session
from users.trakt import client
from users.trakt.client import TraktSession
from users.trakt.types import HistoryEntry, LastActivities, RatingEntry, WatchlistEntry

logger = logging.getLogger(__name__)

# Which last_activities fields say that an area changed.
AREA_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "history": (("movies", "watched_at"), ("episodes", "watched_at")),
    "ratings": (("movies", "rated_at"), ("shows", "rated_at")),
    "watchlist": (("watchlist", "updated_at"), ("movies", "watchlisted_at"), ("shows", "watchlisted_at")),
}
# Incremental history starts this long before the last sync: plays recorded late (check-ins,
# scrobbles processed after the fact) are caught; the unique constraint drops the overlap.
HISTORY_OVERLAP = dt.timedelta(hours=24)
PENDING_MAX_ATTEMPTS = 24
# Sync runs kept per viewer for the admin (about two days at the heaviest hourly cadence).
SYNC_RUNS_KEPT = 50
# Trakt history kinds → the catalog media type their rows map to.
HISTORY_KINDS = {"movies": "movie", "episodes": "tv"}


def changed_areas(*, old: dict, new: LastActivities) -> list[str]:
    if not old:
        return list(AREA_FIELDS)
    return [
        area
        for area, fields in AREA_FIELDS.items()
        if any(new.get(a, f) != (old.get(a) or {}).get(f) for a, f in fields)
    ]


@dataclass
class _Fetch:
    activities: LastActivities
    areas: list[str]
    full_history: bool
    history_start: dt.datetime | None = None
    # Media types whose history was fetched in full (their removals are reconciled).
    full_media_types: set[str] = field(default_factory=set)
    history: list[HistoryEntry] | None = None
    ratings: list[RatingEntry] | None = None
    watchlist: list[WatchlistEntry] | None = None
    skipped_rows: int = 0


def _fetch(session: TraktSession, *, user: User, full: bool, now: dt.datetime) -> _Fetch:
    activities = client.last_activities(session)
    areas = list(AREA_FIELDS) if full else changed_areas(old=user.last_activities, new=activities)
    reconcile_due = user.last_full_sync is None or user.last_full_sync < now - dt.timedelta(
        days=settings.TRAKT_FULL_RECONCILE_DAYS
    )
    result = _Fetch(
        activities=activities,
        areas=areas,
        full_history=full or user.last_history_sync is None or reconcile_due,
    )
    if "history" in areas:
        if not result.full_history and user.last_history_sync is not None:  # incremental implies a last sync
            result.history_start = user.last_history_sync - HISTORY_OVERLAP
        start = result.history_start.isoformat().replace("+00:00", "Z") if result.history_start else None
        result.history = []
        # Incremental: only the kinds whose watched_at moved (a new movie play costs one page).
        kinds = [
            kind
            for kind in HISTORY_KINDS
            if result.full_history
            or activities.get(kind, "watched_at") != (user.last_activities.get(kind) or {}).get("watched_at")
        ]
        for kind in kinds:
            fetched = client.history(session, kind=kind, start_at=start)
            if start is not None and not _has_unknown_plays(user, fetched.rows):
                # watched_at moved but the window holds nothing new: a play was removed or added with a
                # date before the window (Trakt moves watched_at on removals too). Fetch this kind in
                # full now instead of waiting for the periodic reconcile.
                fetched = client.history(session, kind=kind)
                result.full_media_types.add(HISTORY_KINDS[kind])
            elif start is None:
                result.full_media_types.add(HISTORY_KINDS[kind])
            result.history += fetched.rows
            result.skipped_rows += fetched.skipped
    # Ratings and the watchlist are states: when their area changed, the full lists are read.
    for area, read in (("ratings", client.ratings), ("watchlist", client.watchlist)):
        if area not in areas:
            continue
        rows = []
        for kind in ("movies", "shows"):
            fetched = read(session, kind=kind)
            rows += fetched.rows
            result.skipped_rows += fetched.skipped
        setattr(result, area, rows)
    return result


def _has_unknown_plays(user: User, rows: list[HistoryEntry]) -> bool:
    """Whether any fetched play is not stored yet (as a view or a pending view)."""
    keys = {(row.media_type, row.tmdb_id, row.watched_at) for row in rows if row.tmdb_id is not None}
    if not keys:
        return False
    times = {at for _, _, at in keys}
    known = {
        (item_id.partition("_")[0], int(item_id.partition("_")[2]), at)
        for item_id, at in Interaction.objects.filter(
            user=user, kind=InteractionKind.VIEW, occurred_at__in=times
        ).values_list("item_id", "occurred_at")
    }
    known |= set(
        PendingInteraction.objects.filter(user=user, kind=InteractionKind.VIEW, occurred_at__in=times).values_list(
            "media_type", "tmdb_id", "occurred_at"
        )
    )
    return bool(keys - known)


def _catalog_ensure(keys: set[Key]) -> set[str]:
    """Item ids of ``keys`` present in the catalog, after asking the catalog to fetch missing ones."""
    wanted = {item_id_of(key): key for key in keys}
    present = item_ids_existing(item_ids=wanted)
    missing = sorted(key for item_id, key in wanted.items() if item_id not in present)
    if not missing:
        return present
    try:
        catalog_items_ensure(keys=missing)
    except Exception as exc:  # noqa: BLE001 - TMDB down must not lose history: the rows go pending
        logger.warning("trakt_sync_catalog_ensure_failed missing=%s error=%s", len(missing), exc)
    # Re-read instead of trusting the result's shape: the catalog is the source of truth.
    return present | item_ids_existing(item_ids=[item_id_of(key) for key in missing])


def user_sync_run(*, user_id: uuid.UUID | str, full: bool = False) -> UserSyncSummary:
    """Sync one viewer from Trakt. Idempotent; a second run with no Trakt change makes one request.

    ``full`` re-fetches every area and reconciles removals (otherwise history is incremental and
    a full reconcile happens every ``TRAKT_FULL_RECONCILE_DAYS``).
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return UserSyncSummary(user_id=str(user_id), skipped_reason="unknown user")
    if user.connection_state != ConnectionState.CONNECTED:
        return UserSyncSummary(user_id=str(user.pk), skipped_reason=f"not connected ({user.connection_state})")
    started = timezone.now()
    sessions: list[TraktSession] = []
    fetch = with_user_session(user=user, work=lambda s: _fetch(s, user=user, full=full, now=started), sessions=sessions)
    keys, unmapped = _title_keys(fetch)
    pending_keys = _pending_keys_to_retry(user)
    present = _catalog_ensure(keys | pending_keys)

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one sync writes a user at a time
        counts = _interactions_store(user=user, fetch=fetch, present=present, promote=bool(pending_keys))
        _user_synced_mark(user=user, fetch=fetch, at=started)
        if counts.stored:
            send_on_commit(RECSYS_USER_INTERACTIONS_CHANGED, user_id=str(user.pk))

    summary = UserSyncSummary(
        user_id=str(user.pk),
        changed=bool(counts.stored),
        full=bool(fetch.full_media_types),
        areas=tuple(fetch.areas),
        unmapped=unmapped,
        skipped_rows=fetch.skipped_rows,
        requests=sum(s.request_count for s in sessions),
        **asdict(counts),
    )
    _sync_done_log(summary)
    _sync_run_record(user=user, started=started, status=SyncRunStatus.OK, summary=summary)
    return summary


def _sync_run_record(
    *, user: User, started: dt.datetime, status: str, summary: UserSyncSummary | None = None, error: str = ""
) -> None:
    """Keep the run for the admin, and only the latest ``SYNC_RUNS_KEPT`` of this viewer."""
    counts = {counter.name: getattr(summary, counter.name) for counter in fields(SyncCounts)} if summary else {}
    UserSyncRun.objects.create(
        user=user,
        started_at=started,
        finished_at=timezone.now(),
        status=status,
        changed=bool(summary and summary.changed),
        full=bool(summary and summary.full),
        areas=list(summary.areas) if summary else [],
        counts=counts,
        requests=summary.requests if summary else 0,
        error=error[:300],
    )
    stale = UserSyncRun.objects.filter(user=user).order_by("-started_at").values_list("pk", flat=True)[SYNC_RUNS_KEPT:]
    UserSyncRun.objects.filter(pk__in=list(stale)).delete()


def _sync_done_log(summary: UserSyncSummary) -> None:
    logger.info(
        "trakt_sync_done user_id=%s areas=%s views_added=%s ratings=%s/%s/%s watchlist=%s/%s pending=%s requests=%s",
        summary.user_id,
        ",".join(summary.areas) or "-",
        summary.views_added,
        summary.ratings_added,
        summary.ratings_updated,
        summary.ratings_removed,
        summary.watchlist_added,
        summary.watchlist_removed,
        summary.pending,
        summary.requests,
    )


def _title_keys(fetch: _Fetch) -> tuple[set[Key], int]:
    """The titles the fetched rows name, and how many rows name none (no TMDB id)."""
    keys: set[Key] = set()
    unmapped = 0
    entries: list[HistoryEntry | RatingEntry | WatchlistEntry] = [
        *(fetch.history or []),
        *(fetch.ratings or []),
        *(fetch.watchlist or []),
    ]
    for entry in entries:
        if entry.tmdb_id is None:
            unmapped += 1
        else:
            keys.add((entry.media_type, entry.tmdb_id))
    return keys, unmapped


def _pending_keys_to_retry(user: User) -> set[Key]:
    # Titles the catalog failed to fetch this many syncs in a row stop costing TMDB calls on every
    # poll; they stay visible in the admin and a full sync of that kind tries them again.
    return set(
        PendingInteraction.objects.filter(user=user, attempts__lt=PENDING_MAX_ATTEMPTS).values_list(
            "media_type", "tmdb_id"
        )
    )


def _interactions_store(*, user: User, fetch: _Fetch, present: set[str], promote: bool) -> SyncCounts:
    """Store what was fetched (only the areas that were read) and promote pending titles now present."""
    counts = SyncCounts()
    if fetch.history is not None:
        counts += views_store(
            user=user,
            history=fetch.history,
            history_start=fetch.history_start,
            full_media_types=fetch.full_media_types,
            present=present,
        )
    if fetch.ratings is not None:
        ratings = [((r.media_type, r.tmdb_id), r.rating, r.rated_at) for r in fetch.ratings if r.tmdb_id is not None]
        added, updated, removed, pending = state_store(
            user=user, kind=InteractionKind.RATING, rows=ratings, present=present
        )
        counts += SyncCounts(ratings_added=added, ratings_updated=updated, ratings_removed=removed, pending=pending)
    if fetch.watchlist is not None:
        listed = [((w.media_type, w.tmdb_id), None, w.listed_at) for w in fetch.watchlist if w.tmdb_id is not None]
        added, _, removed, pending = state_store(
            user=user, kind=InteractionKind.WATCHLIST, rows=listed, present=present
        )
        counts += SyncCounts(watchlist_added=added, watchlist_removed=removed, pending=pending)
    if promote:
        counts += SyncCounts(promoted=pending_promote(user=user, present=present))
    return counts


def _user_synced_mark(*, user: User, fetch: _Fetch, at: dt.datetime) -> None:
    """Remember what this sync saw (the next one diffs against it) and schedule the next one."""
    user.last_activities = fetch.activities.raw
    user.last_trakt_activity_at = fetch.activities.newest() or user.last_trakt_activity_at
    user.last_history_sync = at
    if fetch.full_media_types == set(HISTORY_KINDS.values()):
        user.last_full_sync = at
    user.last_sync_error = ""
    user_sync_reschedule(user=user, now=at)
    user.save(
        update_fields=[
            "last_activities",
            "last_trakt_activity_at",
            "last_history_sync",
            "last_full_sync",
            "last_sync_error",
            "next_sync_at",
            "sync_bucket",
            "updated_at",
        ]
    )


def user_sync_failed_record(*, user_id: uuid.UUID | str, error: str) -> None:
    """Remember why the last sync failed (admin) and keep the cadence moving."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    now = timezone.now()
    user.last_sync_error = error[:300]
    user_sync_reschedule(user=user, now=now)
    user.save(update_fields=["last_sync_error", "next_sync_at", "sync_bucket", "updated_at"])
    _sync_run_record(user=user, started=now, status=SyncRunStatus.FAILED, error=error)
