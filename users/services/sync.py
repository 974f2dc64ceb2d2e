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
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import ContentItem
from users.contracts import UserSyncSummary
from users.models import ConnectionState, Interaction, InteractionKind, InteractionSource, PendingInteraction, User
from users.services.cadence import user_sync_schedule_next
from users.services.notify import recsys_interactions_changed_notify
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
BULK_BATCH = 1000

Key = tuple[str, int]  # (catalog media type, tmdb id)


def _item_id(key: Key) -> str:
    return ContentItem.make_item_id(media_type=key[0], tmdb_id=key[1])


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
    history: list[HistoryEntry] | None = None
    ratings: list[RatingEntry] | None = None
    watchlist: list[WatchlistEntry] | None = None
    skipped_rows: int = 0
    unmapped: int = 0


@dataclass
class _Counts:
    views_added: int = 0
    views_removed: int = 0
    ratings_added: int = 0
    ratings_updated: int = 0
    ratings_removed: int = 0
    watchlist_added: int = 0
    watchlist_removed: int = 0
    pending: int = 0
    promoted: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return (
            self.views_added + self.views_removed + self.ratings_added + self.ratings_updated + self.ratings_removed
            + self.watchlist_added + self.watchlist_removed + self.promoted
        )


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
        if not result.full_history:
            result.history_start = user.last_history_sync - HISTORY_OVERLAP  # type: ignore[operator]
        start = result.history_start.isoformat().replace("+00:00", "Z") if result.history_start else None
        result.history = []
        # Incremental: only the kinds whose watched_at moved (a new movie play costs one page).
        kinds = [
            kind
            for kind in ("movies", "episodes")
            if result.full_history or activities.get(kind, "watched_at") != (user.last_activities.get(kind) or {}).get("watched_at")
        ]
        for kind in kinds:
            fetched = client.history(session, kind=kind, start_at=start)
            result.history += fetched.rows
            result.skipped_rows += fetched.skipped
    if "ratings" in areas:
        result.ratings = []
        for kind in ("movies", "shows"):
            fetched = client.ratings(session, kind=kind)
            result.ratings += fetched.rows
            result.skipped_rows += fetched.skipped
    if "watchlist" in areas:
        result.watchlist = []
        for kind in ("movies", "shows"):
            fetched = client.watchlist(session, kind=kind)
            result.watchlist += fetched.rows
            result.skipped_rows += fetched.skipped
    return result


def _catalog_ensure(keys: set[Key]) -> set[str]:
    """Item ids of ``keys`` present in the catalog, after asking the catalog to fetch missing ones."""
    wanted = {_item_id(key): key for key in keys}
    present = set(ContentItem.objects.filter(item_id__in=list(wanted)).values_list("item_id", flat=True))
    missing = sorted(key for item_id, key in wanted.items() if item_id not in present)
    if not missing:
        return present
    try:
        # Imported here: catalog's service fetches from TMDB through its own sync code path.
        from catalog.services import catalog_items_ensure

        catalog_items_ensure(keys=missing)
    except Exception as exc:  # noqa: BLE001 - TMDB down must not lose history: the rows go pending
        logger.warning("trakt_sync_catalog_ensure_failed missing=%s error=%s", len(missing), exc)
    # Re-read instead of trusting the result's shape: the catalog is the source of truth.
    return present | set(
        ContentItem.objects.filter(item_id__in=[_item_id(key) for key in missing]).values_list("item_id", flat=True)
    )


def _views_store(user: User, fetch: _Fetch, present: set[str], counts: _Counts) -> None:
    events: dict[tuple[str, dt.datetime], int] = {}
    pending: dict[tuple[Key, dt.datetime], int] = {}
    for entry in fetch.history or []:
        if entry.tmdb_id is None:
            continue
        key = (entry.media_type, entry.tmdb_id)
        item_id = _item_id(key)
        if item_id in present:
            events[(item_id, entry.watched_at)] = events.get((item_id, entry.watched_at), 0) + 1
        else:
            pending[(key, entry.watched_at)] = pending.get((key, entry.watched_at), 0) + 1
    existing_qs = Interaction.objects.filter(user=user, kind=InteractionKind.VIEW, source=InteractionSource.TRAKT)
    if fetch.history_start is not None:
        existing_qs = existing_qs.filter(occurred_at__gte=fetch.history_start)
    existing = {(item_id, at): pk for pk, item_id, at in existing_qs.values_list("pk", "item_id", "occurred_at")}
    new = [key for key in events if key not in existing]
    Interaction.objects.bulk_create(
        [
            Interaction(user=user, item_id=item_id, kind=InteractionKind.VIEW, value=events[(item_id, at)], occurred_at=at)
            for item_id, at in new
        ],
        batch_size=BULK_BATCH,
        ignore_conflicts=True,
    )
    counts.views_added += len(new)
    if fetch.full_history:
        # A full fetch is the truth: plays removed on Trakt go here too.
        gone = [pk for key, pk in existing.items() if key not in events]
        counts.views_removed += Interaction.objects.filter(pk__in=gone).delete()[0]
        PendingInteraction.objects.filter(user=user, kind=InteractionKind.VIEW).delete()
    PendingInteraction.objects.bulk_create(
        [
            PendingInteraction(user=user, media_type=key[0], tmdb_id=key[1], kind=InteractionKind.VIEW, value=n, occurred_at=at)
            for (key, at), n in pending.items()
        ],
        batch_size=BULK_BATCH,
        ignore_conflicts=True,
    )
    counts.pending += len(pending)


def _state_store(
    user: User, kind: str, rows: Iterable[tuple[Key, int | None, dt.datetime]], present: set[str], counts: _Counts
) -> tuple[int, int, int]:
    """Make this kind's interactions equal ``rows`` (the full list from Trakt): added, updated, removed."""
    desired: dict[str, tuple[int | None, dt.datetime]] = {}
    pending: dict[Key, tuple[int | None, dt.datetime]] = {}
    for key, value, at in rows:
        if _item_id(key) in present:
            desired[_item_id(key)] = (value, at)
        else:
            pending[key] = (value, at)
    existing = {
        row.item_id: row
        for row in Interaction.objects.filter(user=user, kind=kind, source=InteractionSource.TRAKT).only(
            "pk", "item_id", "value", "occurred_at"
        )
    }
    to_create = [
        Interaction(user=user, item_id=item_id, kind=kind, value=value, occurred_at=at)
        for item_id, (value, at) in desired.items()
        if item_id not in existing
    ]
    to_update = []
    for item_id, (value, at) in desired.items():
        row = existing.get(item_id)
        if row is not None and (row.value, row.occurred_at) != (value, at):
            row.value, row.occurred_at = value, at
            to_update.append(row)
    gone = [row.pk for item_id, row in existing.items() if item_id not in desired]
    Interaction.objects.bulk_create(to_create, batch_size=BULK_BATCH)
    Interaction.objects.bulk_update(to_update, ["value", "occurred_at"], batch_size=BULK_BATCH)
    removed = Interaction.objects.filter(pk__in=gone).delete()[0]
    PendingInteraction.objects.filter(user=user, kind=kind).delete()
    PendingInteraction.objects.bulk_create(
        [
            PendingInteraction(user=user, media_type=key[0], tmdb_id=key[1], kind=kind, value=value, occurred_at=at)
            for key, (value, at) in pending.items()
        ]
    )
    counts.pending += len(pending)
    return len(to_create), len(to_update), removed


def _pending_promote(user: User, present: set[str], counts: _Counts) -> None:
    """Move pending interactions whose title is now in the catalog into the history."""
    promoted = []
    for row in PendingInteraction.objects.filter(user=user):
        item_id = _item_id((row.media_type, row.tmdb_id))
        if item_id not in present:
            continue
        if row.kind == InteractionKind.VIEW:
            Interaction.objects.bulk_create(
                [Interaction(user=user, item_id=item_id, kind=row.kind, value=row.value, occurred_at=row.occurred_at)],
                ignore_conflicts=True,
            )
        else:
            Interaction.objects.update_or_create(
                user=user, item_id=item_id, kind=row.kind, defaults={"value": row.value, "occurred_at": row.occurred_at}
            )
        promoted.append(row.pk)
    counts.promoted += PendingInteraction.objects.filter(pk__in=promoted).delete()[0]
    PendingInteraction.objects.filter(user=user).exclude(pk__in=promoted).update(attempts=F("attempts") + 1)


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
    requests_made = sum(s.request_count for s in sessions)

    keys: set[Key] = set()
    unmapped = 0
    for entry in [*(fetch.history or []), *(fetch.ratings or []), *(fetch.watchlist or [])]:
        if entry.tmdb_id is None:
            unmapped += 1
        else:
            keys.add((entry.media_type, entry.tmdb_id))
    pending_keys = set(PendingInteraction.objects.filter(user=user).values_list("media_type", "tmdb_id"))
    present = _catalog_ensure(keys | pending_keys) if (keys or pending_keys) else set()

    counts = _Counts()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one sync writes a user at a time
        if fetch.history is not None:
            _views_store(user, fetch, present, counts)
        if fetch.ratings is not None:
            rows = [((r.media_type, r.tmdb_id), r.rating, r.rated_at) for r in fetch.ratings if r.tmdb_id is not None]
            counts.ratings_added, counts.ratings_updated, counts.ratings_removed = _state_store(
                user, InteractionKind.RATING, rows, present, counts  # type: ignore[arg-type]
            )
        if fetch.watchlist is not None:
            rows = [((w.media_type, w.tmdb_id), None, w.listed_at) for w in fetch.watchlist if w.tmdb_id is not None]
            counts.watchlist_added, _, counts.watchlist_removed = _state_store(
                user, InteractionKind.WATCHLIST, rows, present, counts  # type: ignore[arg-type]
            )
        if pending_keys:
            _pending_promote(user, present, counts)
        user.last_activities = fetch.activities.raw
        user.last_trakt_activity_at = fetch.activities.newest() or user.last_trakt_activity_at
        user.last_history_sync = started
        if fetch.history is not None and fetch.full_history:
            user.last_full_sync = started
        user.last_sync_error = ""
        user_sync_schedule_next(user=user, now=started)
        user.save(
            update_fields=[
                "last_activities", "last_trakt_activity_at", "last_history_sync", "last_full_sync",
                "last_sync_error", "next_sync_at", "sync_bucket", "updated_at",
            ]
        )
        if counts.stored:
            recsys_interactions_changed_notify(user_id=str(user.pk))

    summary = UserSyncSummary(
        user_id=str(user.pk),
        changed=bool(counts.stored),
        full=fetch.full_history and fetch.history is not None,
        areas=tuple(fetch.areas),
        views_added=counts.views_added,
        views_removed=counts.views_removed,
        ratings_added=counts.ratings_added,
        ratings_updated=counts.ratings_updated,
        ratings_removed=counts.ratings_removed,
        watchlist_added=counts.watchlist_added,
        watchlist_removed=counts.watchlist_removed,
        pending=counts.pending,
        promoted=counts.promoted,
        unmapped=unmapped,
        skipped_rows=fetch.skipped_rows,
        requests=requests_made,
    )
    logger.info(
        "trakt_sync_done user_id=%s areas=%s views_added=%s ratings=%s/%s/%s watchlist=%s/%s pending=%s requests=%s",
        user.pk, ",".join(fetch.areas) or "-", counts.views_added, counts.ratings_added, counts.ratings_updated,
        counts.ratings_removed, counts.watchlist_added, counts.watchlist_removed, counts.pending, requests_made,
    )
    return summary


def user_sync_failed_record(*, user_id: uuid.UUID | str, error: str) -> None:
    """Remember why the last sync failed (admin) and keep the cadence moving."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    user.last_sync_error = error[:300]
    user_sync_schedule_next(user=user, now=timezone.now())
    user.save(update_fields=["last_sync_error", "next_sync_at", "sync_bucket", "updated_at"])
