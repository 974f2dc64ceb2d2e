"""Row planning: what each of a user's ten rows holds, and its TMDB fallback.

A pure function of what the refresh read (``viewer.Viewer``, ``candidates.Picks``) and the
preferences: no reads, no writes, so every rule is easy to test. Exact rules: docs/design/feeds.md.
A bug in one row plans that row as its generic fallback; the other rows are unaffected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from catalog.contracts import item_id_parse
from feeds import rows
from feeds.blend import blend_because_watched, refill, varied_head
from feeds.services import blurbs
from feeds.services.anchors import hinted_item_id
from feeds.services.candidates import Picks
from feeds.services.viewer import Viewer

logger = logging.getLogger(__name__)

# The rows that become managed Trakt lists, and the users app's stable list keys for them.
MATERIALISED_ROWS = ("recommended_movies", "recommended_shows", "because_watched_movie", "because_watched_show")
# Fewer titles than this after exclusions and refills → the row serves its TMDB fallback instead.
MIN_LIST_ITEMS = 5


@dataclass(frozen=True)
class Preferences:
    size: int  # titles per materialised row
    blurbs: bool  # say why a row holds what it holds
    cold_start_min_picks: int  # fewer recommender picks than this → seed the row from the viewer's history


def preferences_from_settings() -> Preferences:
    return Preferences(
        size=settings.FEEDS_ROW_SIZE,
        blurbs=settings.FEEDS_BLURBS,
        cold_start_min_picks=settings.FEEDS_COLD_START_MIN_PICKS,
    )


@dataclass
class RowPlan:
    """One row as composed: the titles to materialise (if any) and the TMDB query to fall back on."""

    key: str
    fallback: dict[str, Any]
    feed_id: str = ""
    title: str = ""
    blurb: str | None = None
    items: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # per item: recommender / vectors / picks / cold_start / refill
    note: str = ""
    problem: str = ""  # set when planning this row failed

    @property
    def media_type(self) -> str:
        return rows.ROW_MEDIA[self.key]

    @property
    def materialised(self) -> bool:
        # A list of two titles looks broken in Chillio; TMDB's own query fills a whole row instead.
        return len(self.items) >= MIN_LIST_ITEMS and self.key in MATERIALISED_ROWS


def recommended_row(*, key: str, viewer: Viewer, picks: Picks, preferences: Preferences) -> RowPlan:
    media_type = rows.ROW_MEDIA[key]
    genres = viewer.top_genres[media_type]
    genres_blurb = blurbs.genres_blurb(media_type=media_type, genre_ids=genres, text="Popular in your favourite genres")
    plan = RowPlan(
        key=key,
        fallback=rows.recommended_fallback_feed(
            media_type=media_type, genre_ids=genres, blurb=genres_blurb if preferences.blurbs else None
        ),
        feed_id=key,
        title=rows.recommended_title(media_type),
    )
    found = picks.recommended[media_type]
    cold = found.cold_start
    if len(found.picks) < preferences.cold_start_min_picks:
        if cold is not None:
            blurb = blurbs.cold_start_blurb(title=viewer.titles.get(cold.seed), rated=cold.rated, rating=cold.rating)
            plan.blurb = blurb if preferences.blurbs else None
            plan.note = f"cold start: {len(found.picks)} recommender picks; seeded from {cold.seed}"
    elif preferences.blurbs:
        plan.blurb = blurbs.history_blurb(seen_count=len(viewer.seen))
    head = [*((i, "cold_start") for i in (cold.neighbours if cold else ())), *((i, "picks") for i in found.picks)]
    plan.items, plan.origins = _row_finish(
        head[: preferences.size], refills=found.refill, size=preferences.size, seen=viewer.seen, genre_of=picks.genre_of
    )
    return plan


def _row_finish(
    head: list[tuple[str, str]],
    *,
    refills: tuple[str, ...],
    size: int,
    seen: frozenset[str],
    genre_of: Mapping[str, int | None],
) -> tuple[list[str], list[str]]:
    """Refill a short row from the taste profile, then vary the visible head; returns (items, origins)."""
    origin_of = dict(head)
    chosen = [item_id for item_id, _ in head]
    if len(chosen) < size:
        filled = refill(row=chosen, candidates=refills, size=size, exclude=seen)
        origin_of.update((item_id, "refill") for item_id in filled[len(chosen) :])
        chosen = filled
    ordered = varied_head(chosen, genre_of=genre_of.get)
    return ordered, [origin_of[item_id] for item_id in ordered]


def because_watched_row(*, key: str, viewer: Viewer, picks: Picks, preferences: Preferences) -> RowPlan:
    media_type = rows.ROW_MEDIA[key]
    found = picks.because_watched[media_type]
    parsed = item_id_parse(found.anchor) if found.anchor else None
    title = viewer.titles.get(found.anchor) if found.anchor else None
    if parsed is None or title is None:
        return RowPlan(key=key, fallback=rows.more_to_discover_feed(media_type=media_type), note="no anchor")
    blended = blend_because_watched(recommender=found.co_watched, vectors=found.semantic, size=preferences.size)
    origins = ["recommender" if slot == "R" else "vectors" for _, slot in blended]
    from_hint = found.anchor == hinted_item_id(viewer.hint, media_type=media_type)
    return RowPlan(
        key=key,
        fallback=rows.because_watched_fallback_feed(media_type=media_type, tmdb_id=parsed[1], anchor_title=title),
        feed_id=rows.because_watched_feed_id(media_type=media_type, tmdb_id=parsed[1]),
        title=rows.because_watched_title(anchor_title=title),
        blurb=blurbs.because_watched_blurb(title=title, origins=origins) if preferences.blurbs else None,
        items=[item_id for item_id, _ in blended],
        origins=origins,
        note=f"anchor {found.anchor} from {'last_watched hint' if from_hint else 'history'}",
    )


def trending_row(*, key: str, viewer: Viewer, picks: Picks, preferences: Preferences) -> RowPlan:
    return RowPlan(key=key, fallback=rows.trending_feed(media_type=rows.ROW_MEDIA[key]))


def top_genre_row(*, key: str, viewer: Viewer, picks: Picks, preferences: Preferences) -> RowPlan:
    media_type = rows.ROW_MEDIA[key]
    genre = next(iter(viewer.top_genres[media_type]), None)
    blurb = blurbs.top_genre_blurb(media_type=media_type, genre_id=genre) if preferences.blurbs else None
    return RowPlan(key=key, fallback=rows.top_genre_feed(media_type=media_type, genre_id=genre, blurb=blurb))


def hidden_gems_row(*, key: str, viewer: Viewer, picks: Picks, preferences: Preferences) -> RowPlan:
    media_type = rows.ROW_MEDIA[key]
    genres = viewer.top_genres[media_type]
    blurb = blurbs.genres_blurb(
        media_type=media_type, genre_ids=genres, text="Well rated in your genres, and less known"
    )
    return RowPlan(
        key=key,
        fallback=rows.hidden_gems_feed(
            media_type=media_type, genre_ids=genres, blurb=blurb if preferences.blurbs else None
        ),
    )


# Row family (the key without its media suffix) → planner.
ROW_PLANNERS: dict[str, Callable[..., RowPlan]] = {
    "recommended": recommended_row,
    "because_watched": because_watched_row,
    "trending": trending_row,
    "top_genre": top_genre_row,
    "hidden_gems": hidden_gems_row,
}


def rows_compose(*, viewer: Viewer, picks: Picks, preferences: Preferences) -> list[RowPlan]:
    """The ten rows, in ChillLink order."""
    defaults = rows.default_feeds()
    plans: list[RowPlan] = []
    for index, key in enumerate(rows.ROW_KEYS):
        planner = ROW_PLANNERS[key.rsplit("_", 1)[0]]
        try:
            plans.append(planner(key=key, viewer=viewer, picks=picks, preferences=preferences))
        except Exception as exc:  # one source failing must not sink the other rows
            logger.exception("feeds_row_failed user_id=%s row=%s", viewer.user_id, key)
            problem = f"{type(exc).__name__}: {exc}"[:300]
            plans.append(RowPlan(key=key, fallback=defaults[index], note="row failed", problem=problem))
    return plans
