"""Storing what a Trakt sync fetched: view events, rating/watchlist states, pending titles.

Called by ``users.services.sync`` inside its transaction; every function is idempotent against
the unique constraints of ``Interaction``/``PendingInteraction``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, Q

from catalog.contracts import item_id_make
from users.contracts import InteractionKind, InteractionSource, SyncCounts
from users.models import Interaction, PendingInteraction, User
from users.selectors import item_media_type_q
from users.trakt.types import HistoryEntry

BULK_BATCH = 1000

Key = tuple[str, int]  # (catalog media type, tmdb id)


def item_id_of(key: Key) -> str:
    return item_id_make(media_type=key[0], tmdb_id=key[1])


def views_store(
    *,
    user: User,
    history: list[HistoryEntry],
    history_start: dt.datetime | None,
    full_media_types: set[str],
    present: set[str],
) -> SyncCounts:
    """Store view events. For media types in ``full_media_types`` ``history`` holds all of Trakt's
    plays, so stored plays missing from it were removed on Trakt and are removed here."""
    events: dict[tuple[str, dt.datetime], int] = {}
    pending: dict[tuple[Key, dt.datetime], int] = {}
    for entry in history:
        if entry.tmdb_id is None:
            continue
        key = (entry.media_type, entry.tmdb_id)
        item_id = item_id_of(key)
        if item_id in present:
            events[(item_id, entry.watched_at)] = events.get((item_id, entry.watched_at), 0) + 1
        else:
            pending[(key, entry.watched_at)] = pending.get((key, entry.watched_at), 0) + 1
    existing_qs = Interaction.objects.filter(user=user, kind=InteractionKind.VIEW, source=InteractionSource.TRAKT)
    if history_start is not None:
        existing_qs = existing_qs.filter(Q(occurred_at__gte=history_start) | item_media_type_q(*full_media_types))
    existing = {(item_id, at): pk for pk, item_id, at in existing_qs.values_list("pk", "item_id", "occurred_at")}
    new = [key for key in events if key not in existing]
    Interaction.objects.bulk_create(
        [
            Interaction(
                user=user, item_id=item_id, kind=InteractionKind.VIEW, value=events[(item_id, at)], occurred_at=at
            )
            for item_id, at in new
        ],
        batch_size=BULK_BATCH,
        ignore_conflicts=True,
    )
    removed = 0
    if full_media_types:
        gone = [
            pk
            for (item_id, at), pk in existing.items()
            if (item_id, at) not in events and item_id.partition("_")[0] in full_media_types
        ]
        removed = Interaction.objects.filter(pk__in=gone).delete()[0]
        PendingInteraction.objects.filter(
            user=user, kind=InteractionKind.VIEW, media_type__in=full_media_types
        ).delete()
    PendingInteraction.objects.bulk_create(
        [
            PendingInteraction(
                user=user, media_type=key[0], tmdb_id=key[1], kind=InteractionKind.VIEW, value=n, occurred_at=at
            )
            for (key, at), n in pending.items()
        ],
        batch_size=BULK_BATCH,
        ignore_conflicts=True,
    )
    return SyncCounts(views_added=len(new), views_removed=removed, pending=len(pending))


def state_store(
    *, user: User, kind: str, rows: Iterable[tuple[Key, int | None, dt.datetime]], present: set[str]
) -> tuple[int, int, int, int]:
    """Make this kind's interactions equal ``rows`` (the full list from Trakt): added, updated,
    removed, and how many were kept aside as pending."""
    desired: dict[str, tuple[int | None, dt.datetime]] = {}
    pending: dict[Key, tuple[int | None, dt.datetime]] = {}
    for key, value, at in rows:
        if item_id_of(key) in present:
            desired[item_id_of(key)] = (value, at)
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
    # A changed rating or watchlist date is replaced by a new row rather than updated in place: row ids
    # only grow, so consumers that read "everything after id N" (the Recombee push) see the change.
    changed = [
        row
        for item_id, (value, at) in desired.items()
        if (row := existing.get(item_id)) is not None and (row.value, row.occurred_at) != (value, at)
    ]
    to_create += [
        Interaction(
            user=user,
            item_id=row.item_id,
            kind=kind,
            value=desired[row.item_id][0],
            occurred_at=desired[row.item_id][1],
        )
        for row in changed
    ]
    gone = [row.pk for item_id, row in existing.items() if item_id not in desired]
    Interaction.objects.filter(pk__in=[row.pk for row in changed]).delete()
    Interaction.objects.bulk_create(to_create, batch_size=BULK_BATCH)
    removed = Interaction.objects.filter(pk__in=gone).delete()[0]
    PendingInteraction.objects.filter(user=user, kind=kind).delete()
    PendingInteraction.objects.bulk_create(
        [
            PendingInteraction(user=user, media_type=key[0], tmdb_id=key[1], kind=kind, value=value, occurred_at=at)
            for key, (value, at) in pending.items()
        ]
    )
    return len(to_create) - len(changed), len(changed), removed, len(pending)


def pending_promote(*, user: User, present: set[str]) -> int:
    """Move pending interactions whose title is now in the catalog into the history: how many moved."""
    promoted = []
    for row in PendingInteraction.objects.filter(user=user):
        item_id = item_id_of((row.media_type, row.tmdb_id))
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
    moved = PendingInteraction.objects.filter(pk__in=promoted).delete()[0]
    PendingInteraction.objects.filter(user=user).exclude(pk__in=promoted).update(attempts=F("attempts") + 1)
    return moved
