"""What a refresh knows about the viewer: history, tastes, and the catalog titles of their anchors and seeds.

Read once per refresh from the users app (and the catalog for titles), each read guarded. The one
exception is the watched list: without it we could put watched titles in a row, so failing to read
it aborts the refresh (the previous rows stay; the task retries).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from catalog.contracts import MEDIA_TYPES, genre_name
from feeds.services.anchors import hinted_item_id
from feeds.services.reads import Reads
from users import selectors as users_selectors

# Taste profile used to refill a row that exclusions left short: the best-rated titles plus the latest watch.
PROFILE_TOP_RATED = 5
GENRES_PER_ROW = 3


@dataclass(frozen=True)
class Viewer:
    """What we know about the person: history, tastes, and the catalog titles of their anchors and seeds."""

    user_id: str
    seen: frozenset[str]
    hint: tuple[str, int] | None
    top_genres: Mapping[str, tuple[int, ...]]  # TMDB still lists them; at most GENRES_PER_ROW
    top_rated: Mapping[str | None, tuple[str, ...]]  # by media type; None = any
    last_watched: Mapping[str, str | None]
    titles: Mapping[str, str]


def viewer_read(*, reads: Reads, hint: tuple[str, int] | None) -> Viewer:
    seen = frozenset(users_selectors.user_seen_item_ids(user_id=reads.user_id))  # unguarded: see the module docstring
    top_rated = {media: _top_rated(reads, media_type=media) for media in (*MEDIA_TYPES, None)}
    last_watched = {media: _last_watched(reads, media_type=media) for media in MEDIA_TYPES}
    named = [*(ids[0] for ids in top_rated.values() if ids), *last_watched.values()]
    named += [hinted_item_id(hint, media_type=media) for media in MEDIA_TYPES]
    return Viewer(
        user_id=reads.user_id,
        seen=seen,
        hint=hint,
        top_genres={media: _top_genres(reads, media_type=media) for media in MEDIA_TYPES},
        top_rated=top_rated,
        last_watched=last_watched,
        titles=_titles(reads, item_ids=[i for i in named if i]),
    )


def _top_rated(reads: Reads, *, media_type: str | None) -> tuple[str, ...]:
    found: list[str] = reads.attempt(
        f"top_rated:{media_type}",
        lambda: users_selectors.user_top_rated_item_ids(
            user_id=reads.user_id, media_type=media_type, limit=PROFILE_TOP_RATED
        ),
        [],
    )
    return tuple(found)


def _last_watched(reads: Reads, *, media_type: str) -> str | None:
    return reads.attempt(
        f"last_watched:{media_type}",
        lambda: users_selectors.user_last_watched_item_id(user_id=reads.user_id, media_type=media_type),
        None,
    )


def _top_genres(reads: Reads, *, media_type: str) -> tuple[int, ...]:
    """The user's top genres that TMDB still lists (retired ones such as "Foreign" are skipped)."""
    genres: list[int] = reads.attempt(
        f"top_genres:{media_type}",
        lambda: users_selectors.user_top_genre_ids(
            user_id=reads.user_id, media_type=media_type, limit=GENRES_PER_ROW + 2
        ),
        [],
    )
    known = [int(g) for g in genres if genre_name(media_type=media_type, genre_id=int(g)) is not None]
    return tuple(known[:GENRES_PER_ROW])


def _titles(reads: Reads, *, item_ids: Collection[str]) -> dict[str, str]:
    titles = {item_id: getattr(item, "title", None) for item_id, item in reads.items(item_ids).items()}
    return {item_id: title for item_id, title in titles.items() if isinstance(title, str) and title}
