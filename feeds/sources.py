"""Every call feeds makes into the apps below it, in one place (docs/design/contracts.md).

Function imports happen inside the functions: feeds sits at the top of the app stack, and keeping
each contract call here means one module to read (and patch in tests) to see what feeds depends on.
The frozen contract dataclasses (``users.contracts``) are imported once, here, and re-exported for
the rest of feeds. Nothing here is on the /feeds request path except ``feed_hit_record``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from users.contracts import ListWriteReport, ManagedListSpec, ManagedListState

if TYPE_CHECKING:
    from catalog.embedding.selectors import Neighbour
    from catalog.models import ContentItem
    from recsys.contracts import ScoredItem
    from users.models import User

logger = logging.getLogger(__name__)

__all__ = [  # the contract types feeds code names through this module
    "ListWriteReport",
    "ManagedListSpec",
    "ManagedListState",
]


# --- users ---------------------------------------------------------------------------------------
def user_get(*, user_id: str) -> User | None:
    from users.selectors import user_get as _user_get

    return _user_get(user_id=user_id)


def user_trakt_username(user: User) -> str:
    """The Trakt username of a users.User, for ChillLink's `username` fallback ("" when unknown)."""
    return (user.trakt_username or "").lower()[:100]


def seen_item_ids(*, user_id: str) -> set[str]:
    from users.selectors import user_seen_item_ids

    return set(user_seen_item_ids(user_id=user_id))


def last_watched_item_id(*, user_id: str, media_type: str) -> str | None:
    from users.selectors import user_last_watched_item_id

    return user_last_watched_item_id(user_id=user_id, media_type=media_type)


def top_rated_item_ids(*, user_id: str, media_type: str | None, limit: int) -> list[str]:
    from users.selectors import user_top_rated_item_ids

    return list(user_top_rated_item_ids(user_id=user_id, media_type=media_type, limit=limit))


def top_genre_ids(*, user_id: str, media_type: str, limit: int = 3) -> list[int]:
    from users.selectors import user_top_genre_ids

    return [int(genre) for genre in user_top_genre_ids(user_id=user_id, media_type=media_type, limit=limit)]


# users.contracts.InteractionRecord.kind holds users.models.InteractionKind values.
RATING_KIND = "rating"


def rating_of(*, user_id: str, item_id: str) -> int | None:
    """The user's latest 1-10 rating of one title, for an honest blurb; None when not rated."""
    from users.selectors import user_interactions

    latest: tuple[datetime, int] | None = None
    for record in user_interactions(user_id=user_id):
        if record.item_id != item_id or record.kind != RATING_KIND or record.value is None:
            continue
        if latest is None or record.occurred_at >= latest[0]:
            latest = (record.occurred_at, int(record.value))
    return latest[1] if latest else None


def lists_write(*, user_id: str, specs: Sequence[ManagedListSpec]) -> ListWriteReport:
    """Hand the rows to the users app's Trakt list writer (diff-based; slow: ~1 write/s on Trakt)."""
    from users.services import user_lists_write

    return user_lists_write(user_id=user_id, lists=list(specs))


def managed_lists(*, user_id: str) -> dict[str, ManagedListState]:
    """Each managed list's Trakt id, item count, last write and state, by list key."""
    from users.selectors import user_managed_lists

    return dict(user_managed_lists(user_id=user_id))


def feed_hit_record(*, user_id: str) -> None:
    """Tell the users app Chillio asked for this user's feeds (adaptive sync). Never raises."""
    from users.services import user_feed_hit_record

    try:
        user_feed_hit_record(user_id=user_id)
    except Exception:  # noqa: BLE001 - a hit counter must never cost the response
        logger.warning("feed_hit_record_failed user_id=%s", user_id, exc_info=True)


# --- recsys --------------------------------------------------------------------------------------
def recommended(*, user_id: str, media_type: str, limit: int) -> list[ScoredItem]:
    """Stored picks (``ScoredItem``), best first: a DB read, no scoring."""
    from recsys.selectors import recommendations_for_user

    return list(recommendations_for_user(user_id=user_id, media_type=media_type, limit=limit))


def similar(*, item_id: str, count: int, media_type: str) -> list[ScoredItem]:
    """Collaborative item-to-item (``ScoredItem``) from the active backend; [] when unavailable."""
    from recsys.services import item_similar

    return list(item_similar(item_id=item_id, count=count, media_type=media_type))


# --- catalog -------------------------------------------------------------------------------------
def neighbours(*, item_id: str, k: int, media_type: str, exclude: Collection[str]) -> list[Neighbour]:
    """pgvector cosine neighbours (``Neighbour(item_id, score)``) of one title."""
    from catalog.embedding.selectors import item_neighbours

    return list(item_neighbours(item_id=item_id, k=k, media_type=media_type, exclude=tuple(exclude)))


def profile_neighbours(
    *, item_ids: Sequence[str], k: int, media_type: str, exclude: Collection[str]
) -> list[Neighbour]:
    """Neighbours of a set of titles (a taste profile)."""
    from catalog.embedding.selectors import items_neighbours

    return list(items_neighbours(item_ids=list(item_ids), k=k, media_type=media_type, exclude=tuple(exclude)))


def items_by_ids(*, item_ids: Collection[str]) -> dict[str, ContentItem]:
    """Catalog rows (``ContentItem``) by id, for titles and genres."""
    from catalog.selectors import items_by_ids as _items_by_ids

    return dict(_items_by_ids(item_ids=list(item_ids)))


def catalog_ensure(*, media_type: str, tmdb_id: int) -> None:
    """Make sure a hinted title is in the catalog (fetches it from TMDB through the sync code path)."""
    from catalog.services import catalog_items_ensure

    catalog_items_ensure(keys=[(media_type, tmdb_id)])
