"""Reads of the users app (contracts.md). Cheap; none calls Trakt."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from django.db.models import Q

from catalog.selectors import item_genre_ids
from users.contracts import ConnectionState, InteractionKind, InteractionRecord, InteractionRow, ManagedListState
from users.models import Interaction, ManagedList, User

# How much each signal says about taste when weighing genres: a rating says more than a play.
GENRE_WEIGHTS = {InteractionKind.VIEW: 1.0, InteractionKind.RATING: 2.0}


def _uuid(user_id: uuid.UUID | str | None) -> uuid.UUID | None:
    if isinstance(user_id, uuid.UUID):
        return user_id
    try:
        return uuid.UUID(str(user_id))
    except (TypeError, ValueError, AttributeError):
        return None


def item_media_type_q(*media_types: str) -> Q:
    """Interactions with titles of these media types, read from the item id (``{media_type}_{tmdb_id}``,
    catalog.contracts) instead of the catalog's columns. ``item__pk`` is our own FK column: Django
    joins nothing (a lookup on ``item_id`` itself only takes exact/in). No media types: nothing matches."""
    q = Q(pk__in=[])
    for media_type in media_types:
        q |= Q(item__pk__startswith=f"{media_type}_")
    return q


def user_get(*, user_id: uuid.UUID | str | None) -> User | None:
    """By our UUID; None for a malformed or unknown id."""
    parsed = _uuid(user_id)
    if parsed is None:
        return None
    return User.objects.filter(pk=parsed).first()


def users_connected(*, user_ids: Iterable[uuid.UUID | str | None]) -> set[str]:
    """The ids (as str) among ``user_ids`` of viewers whose Trakt connection is live (the only kind whose
    requests may cause background work); one query."""
    parsed = {key for key in (_uuid(user_id) for user_id in user_ids) if key is not None}
    if not parsed:
        return set()
    rows = User.objects.filter(pk__in=parsed, connection_state=ConnectionState.CONNECTED).values_list("pk", flat=True)
    return {str(pk) for pk in rows}


def user_by_trakt_username(*, username: str) -> User | None:
    """The viewer with this Trakt username (case-insensitive; the Operations page's viewer field)."""
    return User.objects.filter(trakt_username__iexact=username.strip()).order_by("-created_at").first()


def user_seen_item_ids(*, user_id: uuid.UUID | str) -> set[str]:
    """Watched or rated titles: never recommend these."""
    parsed = _uuid(user_id)
    if parsed is None:
        return set()
    return set(
        Interaction.objects.filter(user_id=parsed, kind__in=[InteractionKind.VIEW, InteractionKind.RATING])
        .values_list("item_id", flat=True)
        .distinct()
    )


def user_interactions(*, user_id: uuid.UUID | str) -> list[InteractionRecord]:
    parsed = _uuid(user_id)
    if parsed is None:
        return []
    rows = Interaction.objects.filter(user_id=parsed).order_by("occurred_at", "pk")
    return [
        InteractionRecord(
            item_id=item_id, kind=kind, value=value if kind != InteractionKind.VIEW else None, occurred_at=at
        )
        for item_id, kind, value, at in rows.values_list("item_id", "kind", "value", "occurred_at")
    ]


# The columns _interaction_row takes, in order.
_INTERACTION_ROW_COLUMNS = ("pk", "user_id", "item_id", "kind", "value", "occurred_at", "created_at")


def _interaction_row(
    pk: int,
    user_id: uuid.UUID,
    item_id: str,
    kind: str,
    value: int | None,
    occurred_at: dt.datetime,
    created_at: dt.datetime,
) -> InteractionRow:
    return InteractionRow(
        id=pk,
        user_id=str(user_id),
        item_id=item_id,
        kind=kind,
        value=value if kind != InteractionKind.VIEW else None,
        occurred_at=occurred_at,
        created_at=created_at,
    )


def interactions_since(*, after_id: int, limit: int) -> list[InteractionRow]:
    """Interactions of every user with id > ``after_id``, in id order, at most ``limit`` (bulk pushes).

    Ids are allocated at insert, not at commit: a sync transaction still open can commit a lower id
    after a higher one was read. A reader that advances a cursor remembers the ids it did not see
    below it and asks again with ``interactions_in_id_ranges`` (recsys.recombee.push does).
    """
    rows = Interaction.objects.filter(pk__gt=after_id).order_by("pk")[:limit]
    return [_interaction_row(*row) for row in rows.values_list(*_INTERACTION_ROW_COLUMNS)]


def interactions_in_id_ranges(
    *, ranges: Sequence[tuple[int, int]], after_id: int = 0, limit: int
) -> list[InteractionRow]:
    """Interactions whose id lies in one of the inclusive ``ranges`` and is > ``after_id``, in id order."""
    if not ranges:
        return []
    within = Q(pk__in=[])
    for low, high in ranges:
        within |= Q(pk__gte=low, pk__lte=high)
    rows = Interaction.objects.filter(within, pk__gt=after_id).order_by("pk")[:limit]
    return [_interaction_row(*row) for row in rows.values_list(*_INTERACTION_ROW_COLUMNS)]


def user_ids_with_interactions() -> list[str]:
    """Every viewer with at least one interaction (nightly rescoring when no training lists them)."""
    user_ids = Interaction.objects.order_by("user_id").values_list("user_id", flat=True).distinct()
    return [str(user_id) for user_id in user_ids]


def interactions_all() -> Iterator[InteractionRow]:
    """Every interaction of every user, streamed in id order (recommender training reads them all)."""
    rows = Interaction.objects.order_by("pk").values_list(*_INTERACTION_ROW_COLUMNS)
    for row in rows.iterator(chunk_size=5000):
        yield _interaction_row(*row)


def user_last_watched_item_id(*, user_id: uuid.UUID | str, media_type: str) -> str | None:
    """The latest watched title of this media type that has a real TMDB id.

    It anchors "Because You Watched", whose feed id and TMDB fallback query carry the TMDB id, so
    Netflix-only titles (negative ids, docs/design/catalog.md) are passed over for the one before.
    """
    parsed = _uuid(user_id)
    if parsed is None:
        return None
    return (
        Interaction.objects.filter(item_media_type_q(media_type), user_id=parsed, kind=InteractionKind.VIEW)
        .exclude(item__pk__startswith=f"{media_type}_-")  # a negative TMDB id
        .order_by("-occurred_at", "-pk")
        .values_list("item_id", flat=True)
        .first()
    )


# Trakt's scale is 1–10; 6 is the first rating above the midpoint. A 1–5 says "not for me", so it
# must never seed recommendations (cold start, taste profiles) as if it were a favourite.
LIKED_RATING_MIN = 6


def user_top_rated_item_ids(
    *, user_id: uuid.UUID | str, media_type: str | None = None, limit: int = 5, min_rating: int = LIKED_RATING_MIN
) -> list[str]:
    """Highest rated first among titles rated ``min_rating`` or more; ties by the most recent rating."""
    parsed = _uuid(user_id)
    if parsed is None:
        return []
    rows = Interaction.objects.filter(user_id=parsed, kind=InteractionKind.RATING, value__gte=min_rating)
    if media_type:
        rows = rows.filter(item_media_type_q(media_type))
    return list(rows.order_by("-value", "-occurred_at", "item_id").values_list("item_id", flat=True)[:limit])


def user_rating_get(*, user_id: uuid.UUID | str, item_id: str) -> int | None:
    """The user's latest 1–10 rating of one title; None when not rated (one indexed query)."""
    parsed = _uuid(user_id)
    if parsed is None:
        return None
    return (
        Interaction.objects.filter(user_id=parsed, kind=InteractionKind.RATING, item_id=item_id, value__isnull=False)
        .order_by("-occurred_at", "-pk")
        .values_list("value", flat=True)
        .first()
    )


def user_top_genre_ids(*, user_id: uuid.UUID | str, media_type: str, limit: int = 3) -> list[int]:
    """TMDB genre ids weighted by plays (1 per title) and ratings (2 × (rating − 5.5) / 4.5, so a 1–4 pulls down)."""
    parsed = _uuid(user_id)
    if parsed is None:
        return []
    rows = Interaction.objects.filter(
        item_media_type_q(media_type), user_id=parsed, kind__in=[InteractionKind.VIEW, InteractionKind.RATING]
    ).values_list("item_id", "kind", "value")
    weights: defaultdict[str, float] = defaultdict(float)
    viewed: set[str] = set()
    for item_id, kind, value in rows:
        if kind == InteractionKind.VIEW:
            if item_id not in viewed:  # a rewatch is not a stronger genre signal
                viewed.add(item_id)
                weights[item_id] += GENRE_WEIGHTS[InteractionKind.VIEW]
        elif value is not None:
            weights[item_id] += GENRE_WEIGHTS[InteractionKind.RATING] * (value - 5.5) / 4.5
    if not weights:
        return []
    genre_scores: defaultdict[int, float] = defaultdict(float)
    for item_id, genre_ids in item_genre_ids(item_ids=weights).items():
        for genre_id in genre_ids:
            genre_scores[genre_id] += weights[item_id]
    ranked = sorted(((score, -gid) for gid, score in genre_scores.items() if score > 0), reverse=True)
    return [-neg for _, neg in ranked[:limit]]


def user_views_since(*, user_id: uuid.UUID | str, since: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """The viewer's watches (item id, when) after ``since``, oldest first (the feeds hit rate reads them)."""
    parsed = _uuid(user_id)
    if parsed is None:
        return []
    rows = Interaction.objects.filter(user_id=parsed, kind=InteractionKind.VIEW, occurred_at__gt=since)
    return list(rows.order_by("occurred_at").values_list("item_id", "occurred_at"))


def user_managed_lists(*, user_id: uuid.UUID | str) -> dict[str, ManagedListState]:
    parsed = _uuid(user_id)
    if parsed is None:
        return {}
    return {
        row.key: ManagedListState(
            key=row.key,
            name=row.name,
            trakt_list_id=row.trakt_list_id,
            item_count=len(row.item_ids),
            last_written_at=row.last_written_at,
            state=row.state,
            detail=row.detail,
            wanted_item_ids=tuple((row.wanted or {}).get("item_ids") or ()),
        )
        for row in ManagedList.objects.filter(user_id=parsed)
    }


def user_interaction_counts(*, user_id: uuid.UUID | str) -> dict[str, int]:
    """Stored interactions per kind, plus ``pending`` (titles waiting for the catalog)."""
    from django.db.models import Count

    from users.models import PendingInteraction

    parsed = _uuid(user_id)
    if parsed is None:
        return {}
    counts = {kind.value: 0 for kind in InteractionKind}
    for row in Interaction.objects.filter(user_id=parsed).values("kind").annotate(n=Count("pk")):
        counts[row["kind"]] = row["n"]
    counts["pending"] = PendingInteraction.objects.filter(user_id=parsed).count()
    return counts


def user_ids_connected() -> list[str]:
    """Every connected viewer's id (the Operations page's "rescore everyone")."""
    from users.contracts import ConnectionState

    return [
        str(pk) for pk in User.objects.filter(connection_state=ConnectionState.CONNECTED).values_list("pk", flat=True)
    ]


def users_overview(*, since: dt.datetime, recent: int = 10) -> dict[str, object]:
    """Viewers by connection state, Trakt syncs since ``since`` (ok / failed), the latest runs, and
    the managed lists by state with the viewers whose Trakt account is full (Operations page)."""
    from django.db.models import Count

    from users.contracts import ListState, SyncRunStatus
    from users.models import UserSyncRun

    runs = UserSyncRun.objects.filter(started_at__gte=since)
    run_counts = {row["status"]: row["n"] for row in runs.values("status").annotate(n=Count("pk")).order_by()}
    latest = [
        {
            "user_id": str(run.user_id),
            "viewer": str(run.user),
            "started_at": run.started_at,
            "status": run.status,
            "changed": run.changed,
            "requests": run.requests,
            "error": run.error,
        }
        for run in UserSyncRun.objects.select_related("user").order_by("-started_at")[:recent]
    ]
    limit_reached = [
        {"user_id": str(row.user_id), "viewer": str(row.user), "list": row.key, "detail": row.detail}
        for row in ManagedList.objects.select_related("user")
        .filter(state=ListState.LIMIT_REACHED)
        .order_by("user_id")[:50]
    ]
    return {
        "viewers": {
            row["connection_state"]: row["n"]
            for row in User.objects.values("connection_state").annotate(n=Count("pk")).order_by()
        },
        "syncs": {"ok": run_counts.get(SyncRunStatus.OK, 0), "failed": run_counts.get(SyncRunStatus.FAILED, 0)},
        "latest_syncs": latest,
        "lists": {
            row["state"]: row["n"] for row in ManagedList.objects.values("state").annotate(n=Count("pk")).order_by()
        },
        "limit_reached": limit_reached,
    }
