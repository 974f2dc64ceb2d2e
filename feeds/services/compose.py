"""Row composition: what each of a user's ten rows holds, and its TMDB fallback.

Used by ``feeds.services.refresh`` (the task's service). Every contract call goes through
``feeds.sources``; each is made at most once per refresh (``RowComposer.attempt`` caches it) and a
failing source degrades only what depends on it. Exact rules: docs/design/feeds.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings

from catalog.contracts import genre_name, item_id_parse
from feeds import rows, sources
from feeds.blend import blend_because_watched, refill, unique_excluding, varied_head

logger = logging.getLogger(__name__)

T = TypeVar("T")

HINT_PATTERN = re.compile(r"^(movie|show):([1-9][0-9]{0,8})$")
# The rows that become managed Trakt lists, and the users app's stable list keys for them.
MATERIALISED_ROWS = ("recommended_movies", "recommended_shows", "because_watched_movie", "because_watched_show")
# Fewer titles than this after exclusions and refills → the row serves its TMDB fallback instead.
MIN_LIST_ITEMS = 5
# Taste profile used to refill a row that exclusions left short: the best-rated titles plus the latest watch.
PROFILE_TOP_RATED = 5
GENRES_PER_ROW = 3


def listable(item_ids: list[str], *, media_type: str) -> list[str]:
    """The ids of this media type that a Trakt list can hold: Trakt resolves titles by a positive
    TMDB id, so Netflix-only shows (negative ids, docs/design/catalog.md) never enter a row."""
    kept = []
    for item_id in item_ids:
        parsed = item_id_parse(item_id)
        if parsed is not None and parsed[0] == media_type:
            kept.append(item_id)
    return kept


def hint_parse(value: str | None) -> tuple[str, int] | None:
    """``"show:1399"`` → ``("tv", 1399)``; anything else (malformed, oversized) → None."""
    if not value or len(value) > 32:
        return None
    match = HINT_PATTERN.match(value)
    if not match:
        return None
    return (rows.TV if match.group(1) == "show" else rows.MOVIE), int(match.group(2))


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

    @property
    def media_type(self) -> str:
        return rows.ROW_MEDIA[self.key]

    @property
    def materialised(self) -> bool:
        # A list of two titles looks broken in Chillio; TMDB's own query fills a whole row instead.
        return len(self.items) >= MIN_LIST_ITEMS and self.key in MATERIALISED_ROWS


class RowComposer:
    """Builds the ten rows for one user, caching each contract call it needs once."""

    def __init__(self, *, user_id: str, hint: tuple[str, int] | None) -> None:
        self.user_id = user_id
        self.hint = hint
        self.size: int = settings.FEEDS_ROW_SIZE
        self.blurbs: bool = settings.FEEDS_BLURBS
        self.problems: dict[str, str] = {}
        self.anchors: dict[str, str | None] = {}
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._items: dict[str, Any] = {}

    # --- guarded, cached reads -------------------------------------------------------------------
    def attempt(self, label: str, call: Callable[[], T], default: T) -> T:
        key = (label,)
        if key in self._cache:
            return self._cache[key]
        try:
            value = call()
        except Exception as exc:  # noqa: BLE001 - one source failing must not sink the other rows
            logger.warning("feeds_source_failed user_id=%s source=%s", self.user_id, label, exc_info=True)
            self.problems[label] = f"{type(exc).__name__}: {exc}"[:300]
            value = default
        self._cache[key] = value
        return value

    @property
    def seen(self) -> set[str]:
        # Read once up front by build(), outside the per-row guards: without it we could put watched
        # titles in a row, so failing to read it aborts the refresh (previous rows stay; task retries).
        if ("seen",) not in self._cache:
            self._cache[("seen",)] = sources.seen_item_ids(user_id=self.user_id)
        return self._cache[("seen",)]

    def top_genres(self, media_type: str) -> list[int]:
        """The user's top genres that TMDB still lists (retired ones such as "Foreign" are skipped)."""
        genres = self.attempt(
            f"top_genres:{media_type}",
            lambda: sources.top_genre_ids(user_id=self.user_id, media_type=media_type, limit=GENRES_PER_ROW + 2),
            [],
        )
        return [g for g in genres if genre_name(media_type=media_type, genre_id=g) is not None][:GENRES_PER_ROW]

    def top_rated(self, media_type: str | None) -> list[str]:
        return self.attempt(
            f"top_rated:{media_type}",
            lambda: sources.top_rated_item_ids(user_id=self.user_id, media_type=media_type, limit=PROFILE_TOP_RATED),
            [],
        )

    def last_watched(self, media_type: str) -> str | None:
        return self.attempt(
            f"last_watched:{media_type}",
            lambda: sources.last_watched_item_id(user_id=self.user_id, media_type=media_type),
            None,
        )

    def items(self, item_ids: list[str]) -> dict[str, Any]:
        missing = [item_id for item_id in item_ids if item_id not in self._items]
        if missing:
            try:
                self._items.update(sources.items_by_ids(item_ids=missing))
            except Exception as exc:  # noqa: BLE001 - titles unknown: rows degrade to their fallbacks
                logger.warning("feeds_source_failed user_id=%s source=items", self.user_id, exc_info=True)
                self.problems["items"] = f"{type(exc).__name__}: {exc}"[:300]
            for item_id in missing:
                self._items.setdefault(item_id, None)
        return {item_id: self._items.get(item_id) for item_id in item_ids}

    def title_of(self, item_id: str) -> str | None:
        item = self.items([item_id]).get(item_id)
        title = getattr(item, "title", None)
        return title if isinstance(title, str) and title else None

    def genre_of(self, item_id: str) -> int | None:
        genres = getattr(self._items.get(item_id), "genre_ids", None)
        return genres[0] if genres else None

    def profile_refill(self, *, media_type: str, row: list[str], exclude: set[str]) -> list[str]:
        profile = unique_excluding([*self.top_rated(media_type), self.last_watched(media_type) or ""], exclude=())
        if not profile or len(row) >= self.size:
            return []
        found = self.attempt(
            f"profile_neighbours:{media_type}:{len(row)}",
            lambda: sources.profile_neighbours(
                item_ids=profile, k=self.size, media_type=media_type, exclude=exclude | set(row)
            ),
            [],
        )
        return listable([neighbour.item_id for neighbour in found], media_type=media_type)

    # --- rows 1-2 --------------------------------------------------------------------------------
    def recommended(self, key: str) -> RowPlan:
        media_type = rows.ROW_MEDIA[key]
        genres = self.top_genres(media_type)
        plan = RowPlan(
            key=key,
            fallback=rows.recommended_fallback_feed(
                media_type=media_type,
                genre_ids=genres,
                blurb=self._genres_blurb(media_type, genres, "Popular in your favourite genres"),
            ),
            feed_id=key,
            title=rows.recommended_title(media_type),
        )
        seen = self.seen
        picks = self.attempt(
            f"recommended:{media_type}",
            lambda: sources.recommended(user_id=self.user_id, media_type=media_type, limit=self.size * 2),
            [],
        )
        pick_ids = unique_excluding(listable([p.item_id for p in picks], media_type=media_type), exclude=seen)
        chosen: list[str] = []
        origins: list[str] = []
        if len(pick_ids) < settings.FEEDS_COLD_START_MIN_PICKS:
            seed, blurb = self._cold_start_seed(media_type)
            if seed is not None:
                found = self.attempt(
                    f"neighbours:{media_type}:{seed}",
                    lambda: sources.neighbours(
                        item_id=seed, k=self.size * 2, media_type=media_type, exclude=seen | {seed}
                    ),
                    [],
                )
                # Neighbours lead; the recommender's few picks keep their places after them.
                room = max(self.size - len(pick_ids), 0)
                candidates = listable([n.item_id for n in found], media_type=media_type)
                for item_id in unique_excluding(candidates, exclude=seen | {seed} | set(pick_ids))[:room]:
                    chosen.append(item_id)
                    origins.append("cold_start")
                plan.blurb = blurb
                plan.note = f"cold start: {len(pick_ids)} recommender picks; seeded from {seed}"
        elif self.blurbs and seen:
            plan.blurb = f"Based on the {len(seen)} titles you have watched and rated"
        for item_id in pick_ids:
            if item_id not in chosen:
                chosen.append(item_id)
                origins.append("picks")
        self._finish(plan, chosen[: self.size], origins[: self.size], exclude=seen)
        return plan

    def _cold_start_seed(self, media_type: str) -> tuple[str | None, str | None]:
        """Highest-rated title (this media type first, then any), else the most recent watch."""
        other = rows.TV if media_type == rows.MOVIE else rows.MOVIE
        for rated in (self.top_rated(media_type), self.top_rated(None)):
            if rated:
                seed = rated[0]
                rating = self.attempt(
                    f"rating:{seed}", lambda: sources.rating_of(user_id=self.user_id, item_id=seed), None
                )
                title = self.title_of(seed)
                if not (self.blurbs and title):
                    return seed, None
                if rating:
                    return seed, f"Because you rated {title} {rating}/10"
                return seed, f"Because you rated {title} highly"
        for watched in (self.last_watched(media_type), self.last_watched(other)):
            if watched:
                title = self.title_of(watched)
                return watched, (f"Because you watched {title}" if self.blurbs and title else None)
        return None, None

    # --- rows 3-4 --------------------------------------------------------------------------------
    def anchor(self, media_type: str) -> str | None:
        """The hint for this media type when it is a catalog title, else the last watched title."""
        if media_type in self.anchors:
            return self.anchors[media_type]
        candidates: list[str] = []
        if self.hint and self.hint[0] == media_type:
            hinted = f"{media_type}_{self.hint[1]}"
            if self.title_of(hinted) is None:
                # A title Chillio knows but our catalog does not yet: fetch it (TMDB, in this task).
                self.attempt(
                    f"catalog_ensure:{hinted}",
                    lambda: sources.catalog_ensure(media_type=media_type, tmdb_id=self.hint[1]),  # type: ignore[index]
                    None,
                )
                self._items.pop(hinted, None)
            candidates.append(hinted)
        last = self.last_watched(media_type)
        if last:
            candidates.append(last)
        # Only a title with a positive TMDB id can anchor: its id goes into the feed id and into
        # Chillio's /{type}/{id}/recommendations fallback (Netflix-only shows carry negative ids).
        anchor = next((c for c in candidates if item_id_parse(c) and self.title_of(c) is not None), None)
        self.anchors[media_type] = anchor
        return anchor

    def because_watched(self, key: str) -> RowPlan:
        media_type = rows.ROW_MEDIA[key]
        anchor = self.anchor(media_type)
        parsed = item_id_parse(anchor) if anchor else None
        title = self.title_of(anchor) if anchor else None
        if anchor is None or parsed is None or title is None:
            return RowPlan(key=key, fallback=rows.more_to_discover_feed(media_type=media_type), note="no anchor")
        tmdb_id = parsed[1]
        exclude = self.seen | {anchor}
        co_watched = self.attempt(
            f"similar:{anchor}",
            lambda: sources.similar(item_id=anchor, count=self.size * 2, media_type=media_type),
            [],
        )
        semantic = self.attempt(
            f"neighbours:{media_type}:{anchor}",
            lambda: sources.neighbours(item_id=anchor, k=self.size * 2, media_type=media_type, exclude=exclude),
            [],
        )
        blended = blend_because_watched(
            recommender=unique_excluding(
                listable([s.item_id for s in co_watched], media_type=media_type), exclude=exclude
            ),
            vectors=unique_excluding(listable([n.item_id for n in semantic], media_type=media_type), exclude=exclude),
            size=self.size,
        )
        plan = RowPlan(
            key=key,
            fallback=rows.because_watched_fallback_feed(media_type=media_type, tmdb_id=tmdb_id, anchor_title=title),
            feed_id=rows.because_watched_feed_id(media_type=media_type, tmdb_id=tmdb_id),
            title=rows.because_watched_title(anchor_title=title),
            items=[item for item, _ in blended],
            origins=["recommender" if slot == "R" else "vectors" for _, slot in blended],
        )
        if self.blurbs:
            kinds = set(plan.origins)
            if kinds == {"recommender", "vectors"}:
                plan.blurb = f"Watched by fans of {title}, plus titles like it"
            elif kinds == {"recommender"}:
                plan.blurb = f"Watched by fans of {title}"
            elif kinds == {"vectors"}:
                plan.blurb = f"Similar in story and style to {title}"
        from_hint = self.hint is not None and anchor == f"{self.hint[0]}_{self.hint[1]}"
        plan.note = f"anchor {anchor} from {'last_watched hint' if from_hint else 'history'}"
        return plan

    # --- rows 5-10 (TMDB queries only) -----------------------------------------------------------
    def trending(self, key: str) -> RowPlan:
        return RowPlan(key=key, fallback=rows.trending_feed(media_type=rows.ROW_MEDIA[key]))

    def top_genre(self, key: str) -> RowPlan:
        media_type = rows.ROW_MEDIA[key]
        genres = self.top_genres(media_type)
        genre = genres[0] if genres else None
        name = genre_name(media_type=media_type, genre_id=genre) if genre is not None else None
        blurb = f"{name} is what you watch most" if (self.blurbs and name) else None
        return RowPlan(key=key, fallback=rows.top_genre_feed(media_type=media_type, genre_id=genre, blurb=blurb))

    def hidden_gems(self, key: str) -> RowPlan:
        media_type = rows.ROW_MEDIA[key]
        genres = self.top_genres(media_type)
        blurb = self._genres_blurb(media_type, genres, "Well rated in your genres, and less known")
        return RowPlan(key=key, fallback=rows.hidden_gems_feed(media_type=media_type, genre_ids=genres, blurb=blurb))

    # --- helpers ---------------------------------------------------------------------------------
    def _genres_blurb(self, media_type: str, genres: list[int], text: str) -> str | None:
        names = [n for n in (genre_name(media_type=media_type, genre_id=g) for g in genres) if n]
        if not (self.blurbs and names):
            return None
        return f"{text}: {', '.join(names)}"

    def _finish(self, plan: RowPlan, chosen: list[str], origins: list[str], *, exclude: set[str]) -> None:
        """Refill a short row from the taste profile, then vary the visible head."""
        origin_of = dict(zip(chosen, origins, strict=True))
        if len(chosen) < self.size:
            extra = self.profile_refill(media_type=plan.media_type, row=chosen, exclude=exclude)
            filled = refill(row=chosen, candidates=extra, size=self.size, exclude=exclude)
            for item_id in filled[len(chosen) :]:
                origin_of[item_id] = "refill"
            chosen = filled
        self.items(chosen)  # one catalog read for every genre the variety pass needs
        ordered = varied_head(chosen, genre_of=self.genre_of)
        plan.items = ordered
        plan.origins = [origin_of[item_id] for item_id in ordered]

    def build(self) -> list[RowPlan]:
        builders: dict[str, Callable[[str], RowPlan]] = {
            "recommended": self.recommended,
            "because_watched": self.because_watched,
            "trending": self.trending,
            "top_genre": self.top_genre,
            "hidden_gems": self.hidden_gems,
        }
        defaults = rows.default_feeds()
        self.seen  # noqa: B018 - may raise: see the property
        plans: list[RowPlan] = []
        for index, key in enumerate(rows.ROW_KEYS):
            family = key.rsplit("_", 1)[0]
            try:
                plans.append(builders[family](key))
            except Exception as exc:  # noqa: BLE001 - a bug in one row serves that row's generic fallback
                logger.exception("feeds_row_failed user_id=%s row=%s", self.user_id, key)
                self.problems[key] = f"{type(exc).__name__}: {exc}"[:300]
                plans.append(RowPlan(key=key, fallback=defaults[index], note="row failed"))
        return plans
