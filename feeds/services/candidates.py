"""Candidate gathering: the titles each materialised row may hold, read from recsys and the catalog.

Candidates leave here cleaned: of the row's media type, listable on Trakt, unseen, without
duplicates, best first. Each read is guarded (``feeds.services.reads``) and made only when the row
needs it (cold-start neighbours when picks are few, profile neighbours when the row would be short).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from catalog import selectors as catalog_selectors
from catalog.contracts import MEDIA_TYPES, item_id_parse
from catalog.selectors import Neighbour
from feeds.blend import unique_excluding
from feeds.services.anchors import anchor_choose, cold_start_seed
from feeds.services.reads import Reads
from feeds.services.viewer import Viewer
from recsys import selectors as recsys_selectors
from recsys import services as recsys_services
from recsys.contracts import ScoredItem
from users import selectors as users_selectors


@dataclass(frozen=True)
class ColdStart:
    seed: str
    rated: bool
    rating: int | None
    neighbours: tuple[str, ...]  # at most the room the picks leave in the row


@dataclass(frozen=True)
class RecommendedPicks:
    picks: tuple[str, ...]  # the recommender's stored picks
    cold_start: ColdStart | None  # only when the picks are too few and there is a seed
    refill: tuple[str, ...]  # taste-profile neighbours, read only when the row would be short


@dataclass(frozen=True)
class BecauseWatchedPicks:
    anchor: str | None
    co_watched: tuple[str, ...]  # the recommender's item-to-item list
    semantic: tuple[str, ...]  # the anchor's vector neighbours


@dataclass(frozen=True)
class Picks:
    recommended: Mapping[str, RecommendedPicks]
    because_watched: Mapping[str, BecauseWatchedPicks]
    genre_of: Mapping[str, int | None]  # primary genre of the Recommended candidates (variety pass)


def listable(item_ids: Iterable[str], *, media_type: str) -> list[str]:
    """The ids of this media type that a Trakt list can hold: Trakt resolves titles by a positive
    TMDB id, so Netflix-only shows (negative ids, docs/design/catalog.md) never enter a row."""
    return [i for i in item_ids if (parsed := item_id_parse(i)) is not None and parsed[0] == media_type]


def picks_gather(*, reads: Reads, viewer: Viewer, size: int, cold_start_min_picks: int) -> Picks:
    recommended = {
        media: _recommended(reads, viewer=viewer, media_type=media, size=size, min_picks=cold_start_min_picks)
        for media in MEDIA_TYPES
    }
    because_watched = {
        media: _because_watched(reads, viewer=viewer, media_type=media, size=size) for media in MEDIA_TYPES
    }
    candidates = {
        item_id
        for found in recommended.values()
        for item_id in (*found.picks, *found.refill, *(found.cold_start.neighbours if found.cold_start else ()))
    }
    genres = {item_id: getattr(item, "genre_ids", None) for item_id, item in reads.items(candidates).items()}
    return Picks(
        recommended=recommended,
        because_watched=because_watched,
        genre_of={item_id: ids[0] for item_id, ids in genres.items() if ids},
    )


def _recommended(reads: Reads, *, viewer: Viewer, media_type: str, size: int, min_picks: int) -> RecommendedPicks:
    found: list[ScoredItem] = reads.attempt(
        f"recommended:{media_type}",
        lambda: recsys_selectors.recommendations_for_user(
            user_id=viewer.user_id, media_type=media_type, limit=size * 2
        ),
        [],
    )
    picks = unique_excluding(listable([p.item_id for p in found], media_type=media_type), exclude=viewer.seen)
    cold = (
        _cold_start(reads, viewer=viewer, media_type=media_type, size=size, picks=picks)
        if len(picks) < min_picks
        else None
    )
    head = [*(cold.neighbours if cold else ()), *picks]
    refill = (
        _profile_neighbours(reads, viewer=viewer, media_type=media_type, size=size, row=head)
        if len(head) < size
        else []
    )
    return RecommendedPicks(picks=tuple(picks), cold_start=cold, refill=tuple(refill))


def _cold_start(reads: Reads, *, viewer: Viewer, media_type: str, size: int, picks: list[str]) -> ColdStart | None:
    """Too few picks: the seed's neighbours lead the row; the recommender's picks keep their places after them."""
    chosen = cold_start_seed(media_type=media_type, top_rated=viewer.top_rated, last_watched=viewer.last_watched)
    if chosen is None:
        return None
    seed, rated = chosen
    rating = (
        reads.attempt(
            f"rating:{seed}", lambda: users_selectors.user_rating_get(user_id=viewer.user_id, item_id=seed), None
        )
        if rated
        else None
    )
    exclude = viewer.seen | {seed}
    found: list[Neighbour] = reads.attempt(
        f"neighbours:{media_type}:{seed}",
        lambda: catalog_selectors.item_neighbours(
            item_id=seed, k=size * 2, media_type=media_type, exclude=tuple(exclude)
        ),
        [],
    )
    room = max(size - len(picks), 0)
    neighbours = unique_excluding(
        listable([n.item_id for n in found], media_type=media_type), exclude=exclude | set(picks)
    )
    return ColdStart(seed=seed, rated=rated, rating=rating, neighbours=tuple(neighbours[:room]))


def _profile_neighbours(reads: Reads, *, viewer: Viewer, media_type: str, size: int, row: list[str]) -> list[str]:
    profile = unique_excluding([*viewer.top_rated[media_type], viewer.last_watched[media_type] or ""], exclude=())
    if not profile:
        return []
    exclude = tuple(viewer.seen | set(row))
    found: list[Neighbour] = reads.attempt(
        f"profile_neighbours:{media_type}",
        lambda: catalog_selectors.items_neighbours(item_ids=profile, k=size, media_type=media_type, exclude=exclude),
        [],
    )
    return listable([n.item_id for n in found], media_type=media_type)


def _because_watched(reads: Reads, *, viewer: Viewer, media_type: str, size: int) -> BecauseWatchedPicks:
    anchor = anchor_choose(
        media_type=media_type, hint=viewer.hint, last_watched=viewer.last_watched[media_type], titles=viewer.titles
    )
    if anchor is None:
        return BecauseWatchedPicks(anchor=None, co_watched=(), semantic=())
    exclude = viewer.seen | {anchor}
    co_watched: list[ScoredItem] = reads.attempt(
        f"similar:{anchor}",
        lambda: recsys_services.item_similar(item_id=anchor, count=size * 2, media_type=media_type),
        [],
    )
    semantic: list[Neighbour] = reads.attempt(
        f"neighbours:{media_type}:{anchor}",
        lambda: catalog_selectors.item_neighbours(
            item_id=anchor, k=size * 2, media_type=media_type, exclude=tuple(exclude)
        ),
        [],
    )
    return BecauseWatchedPicks(
        anchor=anchor,
        co_watched=tuple(
            unique_excluding(listable([s.item_id for s in co_watched], media_type=media_type), exclude=exclude)
        ),
        semantic=tuple(
            unique_excluding(listable([n.item_id for n in semantic], media_type=media_type), exclude=exclude)
        ),
    )
