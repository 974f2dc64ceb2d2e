"""Every call feeds makes into the apps below it, in one place (docs/design/contracts.md).

Imports happen inside the functions: feeds sits at the top of the app stack, and keeping each
contract call here means one module to read (and patch in tests) to see what feeds depends on.
Nothing here is on the /feeds request path except ``feed_hit_record``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

logger = logging.getLogger(__name__)


# --- users ---------------------------------------------------------------------------------------
def user_get(*, user_id: str) -> Any | None:
    from users.selectors import user_get as _user_get

    return _user_get(user_id=user_id)


def user_trakt_username(user: Any) -> str:
    """The Trakt username of a users.User, for ChillLink's `username` fallback ("" when unknown)."""
    for attribute in ("trakt_username", "username"):
        value = getattr(user, attribute, None)
        if isinstance(value, str) and value:
            return value.lower()[:100]
    return ""


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


RATING_KIND = "rating"


def rating_of(*, user_id: str, item_id: str) -> int | None:
    """The user's latest 1-10 rating of one title, for an honest blurb; None when not rated."""
    from users.selectors import user_interactions

    latest: tuple[datetime | None, int] | None = None
    for record in user_interactions(user_id=user_id):
        kind = getattr(record, "kind", None)
        # kind may be a plain string or an enum/TextChoices member whose value is "rating".
        if getattr(record, "item_id", None) != item_id or getattr(kind, "value", kind) != RATING_KIND:
            continue
        value = getattr(record, "value", None)
        if value is None:
            continue
        when = getattr(record, "occurred_at", None)
        if latest is None or (when is not None and (latest[0] is None or when > latest[0])):
            latest = (when, int(round(float(value))))
    return latest[1] if latest else None


@dataclass(frozen=True)
class ListSpec:
    """One managed Trakt list feeds wants written (mirrors users' ``ManagedListSpec``)."""

    key: str
    name: str
    description: str
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class ListStatus:
    """What feeds needs to know about one materialised list, read from ``user_managed_lists``."""

    trakt_id: int | None
    item_count: int
    written_at: datetime | None
    state: str


def lists_write(*, user_id: str, specs: Sequence[ListSpec]) -> Any:
    """Hand the rows to the users app's Trakt list writer (diff-based; slow: ~1 write/s on Trakt)."""
    from users import services as user_services

    spec_type = _managed_list_spec_type()
    lists = [spec_type(key=s.key, name=s.name, description=s.description, item_ids=s.item_ids) for s in specs]
    return user_services.user_lists_write(user_id=user_id, lists=lists)


def _managed_list_spec_type() -> Any:
    # The users app owns ManagedListSpec; its module is users.contracts by the house convention
    # (recsys.contracts holds recsys's), with users.services re-exporting it as a fallback.
    try:
        from users.contracts import ManagedListSpec
    except ImportError:
        from users.services import ManagedListSpec  # type: ignore[no-redef]
    return ManagedListSpec


def managed_lists(*, user_id: str) -> dict[str, ListStatus]:
    from users.selectors import user_managed_lists

    statuses: dict[str, ListStatus] = {}
    for key, state in user_managed_lists(user_id=user_id).items():
        trakt_id = _first_attr(state, ("trakt_list_id", "trakt_id", "list_id", "id"))
        written_at = _first_attr(state, ("last_written_at", "written_at", "last_written", "updated_at"))
        statuses[key] = ListStatus(
            trakt_id=trakt_id if type(trakt_id) is int else None,
            item_count=int(_first_attr(state, ("item_count", "items")) or 0),
            written_at=written_at if isinstance(written_at, datetime) else None,
            state=str(_first_attr(state, ("state", "status")) or ""),
        )
    return statuses


def _first_attr(obj: Any, names: Sequence[str]) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def feed_hit_record(*, user_id: str) -> None:
    """Tell the users app Chillio asked for this user's feeds (adaptive sync). Never raises."""
    global _hit_recorder_missing_logged
    try:
        from users.services import user_feed_hit_record
    except ImportError:
        # Not wired (an installation without the users app's recorder): say so once, not per request.
        if not _hit_recorder_missing_logged:
            _hit_recorder_missing_logged = True
            logger.warning("feed_hit_record_unavailable reason=users.services.user_feed_hit_record missing")
        return
    try:
        user_feed_hit_record(user_id=user_id)
    except Exception:  # noqa: BLE001 - a hit counter must never cost the response
        logger.warning("feed_hit_record_failed user_id=%s", user_id, exc_info=True)


_hit_recorder_missing_logged = False


# --- recsys --------------------------------------------------------------------------------------
def recommended(*, user_id: str, media_type: str, limit: int) -> list[Any]:
    """Stored picks (``ScoredItem``), best first: a DB read, no scoring."""
    from recsys.selectors import recommendations_for_user

    return list(recommendations_for_user(user_id=user_id, media_type=media_type, limit=limit))


def similar(*, item_id: str, count: int, media_type: str) -> list[Any]:
    """Collaborative item-to-item (``ScoredItem``) from the active backend; [] when unavailable."""
    from recsys.services import item_similar

    return list(item_similar(item_id=item_id, count=count, media_type=media_type))


# --- catalog -------------------------------------------------------------------------------------
def neighbours(*, item_id: str, k: int, media_type: str, exclude: Collection[str]) -> list[Any]:
    """pgvector cosine neighbours (``Neighbour(item_id, score)``) of one title."""
    from catalog.embedding.selectors import item_neighbours

    return list(item_neighbours(item_id=item_id, k=k, media_type=media_type, exclude=tuple(exclude)))


def profile_neighbours(*, item_ids: Sequence[str], k: int, media_type: str, exclude: Collection[str]) -> list[Any]:
    """Neighbours of a set of titles (a taste profile)."""
    from catalog.embedding.selectors import items_neighbours

    return list(items_neighbours(item_ids=list(item_ids), k=k, media_type=media_type, exclude=tuple(exclude)))


def items_by_ids(*, item_ids: Collection[str]) -> dict[str, Any]:
    """Catalog rows (``ContentItem``) by id, for titles and genres."""
    from catalog.selectors import items_by_ids as _items_by_ids

    return dict(_items_by_ids(item_ids=list(item_ids)))


def catalog_ensure(*, media_type: str, tmdb_id: int) -> None:
    """Make sure a hinted title is in the catalog (fetches it from TMDB through the sync code path)."""
    from catalog.services import catalog_items_ensure

    catalog_items_ensure(keys=[(media_type, tmdb_id)])
