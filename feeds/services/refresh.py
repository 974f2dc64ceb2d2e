"""Compose a user's ten rows, materialise four of them as Trakt lists, and store the document.

Runs in the ``feeds.user_rows_refresh`` task (never on the request path). Order and semantics:
docs/design/feeds.md. Every row is built in isolation: a failing source or a bug in one row
leaves that row on its TMDB fallback and is recorded in ``PreparedFeeds.problems``; the other
rows are unaffected. The document is only ever replaced whole, so a crash mid-way leaves the
previous rows in place.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone

from feeds import rows, sources
from feeds.genres import genre_name
from feeds.blend import blend_because_watched, refill, unique_excluding, varied_head
from feeds.models import PreparedFeeds

logger = logging.getLogger(__name__)

T = TypeVar("T")

HINT_PATTERN = re.compile(r"^(movie|show):([1-9][0-9]{0,8})$")
LIST_NAME_PREFIX = "Reclio • "
LIST_DESCRIPTION = (
    "Picked for you by Reclio from your Trakt history and refreshed automatically; "
    "manual edits are overwritten."
)
# The rows that become managed Trakt lists, and the users app's stable list keys for them.
MATERIALISED_ROWS = ("recommended_movies", "recommended_shows", "because_watched_movie", "because_watched_show")
# Fewer titles than this after exclusions and refills → the row serves its TMDB fallback instead.
MIN_LIST_ITEMS = 5
# Taste profile used to refill a row that exclusions left short: the best-rated titles plus the latest watch.
PROFILE_TOP_RATED = 5
GENRES_PER_ROW = 3


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


class _Composer:
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
        profile = unique_excluding(
            [*self.top_rated(media_type), self.last_watched(media_type) or ""], exclude=()
        )
        if not profile or len(row) >= self.size:
            return []
        found = self.attempt(
            f"profile_neighbours:{media_type}:{len(row)}",
            lambda: sources.profile_neighbours(
                item_ids=profile, k=self.size, media_type=media_type, exclude=exclude | set(row)
            ),
            [],
        )
        return [neighbour.item_id for neighbour in found]

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
        pick_ids = unique_excluding(
            [p.item_id for p in picks if str(p.item_id).startswith(f"{media_type}_")], exclude=seen
        )
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
                for item_id in unique_excluding([n.item_id for n in found], exclude=seen | {seed} | set(pick_ids))[:room]:
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
        anchor = next((c for c in candidates if self.title_of(c) is not None), None)
        self.anchors[media_type] = anchor
        return anchor

    def because_watched(self, key: str) -> RowPlan:
        media_type = rows.ROW_MEDIA[key]
        anchor = self.anchor(media_type)
        parsed = rows.item_id_parse(anchor) if anchor else None
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
            recommender=unique_excluding([s.item_id for s in co_watched], exclude=exclude),
            vectors=unique_excluding([n.item_id for n in semantic], exclude=exclude),
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
            for item_id in filled[len(chosen):]:
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


def _feed_for(plan: RowPlan, status: sources.ListStatus | None, *, fresh_after: datetime) -> dict[str, Any]:
    """The trakt_list feed when the materialised list is ready and fresh, else the TMDB fallback."""
    if plan.materialised and status is not None and status.trakt_id and status.trakt_id > 0:
        ready = status.state == "ok" and status.item_count > 0
        fresh = status.written_at is not None and status.written_at >= fresh_after
        if ready and fresh:
            return rows.trakt_feed(
                feed_id=plan.feed_id, title=plan.title, media_type=plan.media_type, list_id=status.trakt_id,
                blurb=plan.blurb,
            )
    return plan.fallback


def _row_record(plan: RowPlan, feed: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": plan.key,
        "feed_id": feed["id"],
        "source": feed["source"],
        "items": plan.items,
        "origins": plan.origins,
        "note": plan.note,
    }


def user_feed_rows_refresh(*, user_id: str, last_watched: str | None = None) -> None:
    """Recompute the ten rows and materialise them into Trakt lists (contract: docs/design/contracts.md).

    Idempotent: the same inputs give the same document and the same list contents.
    """
    started = time.monotonic()
    key = uuid.UUID(str(user_id))
    user = sources.user_get(user_id=str(key))
    if user is None:
        deleted, _ = PreparedFeeds.objects.filter(user_id=key).delete()
        logger.info("feeds_refresh_skipped user_id=%s reason=unknown_user removed=%s", key, deleted)
        return
    previous = PreparedFeeds.objects.filter(user_id=key).first()
    now = timezone.now()
    hint_text, hint_at = _effective_hint(last_watched=last_watched, previous=previous, now=now)

    composer = _Composer(user_id=str(key), hint=hint_parse(hint_text))
    plans = composer.build()
    fresh_after = now - timedelta(hours=settings.FEEDS_LIST_MAX_AGE_HOURS)

    def save(feeds: list[dict[str, Any]]) -> None:
        PreparedFeeds.objects.update_or_create(
            user_id=key,
            defaults={
                "trakt_username": sources.user_trakt_username(user),
                "feeds": feeds,
                "rows": [_row_record(plan, feed) for plan, feed in zip(plans, feeds, strict=True)],
                "anchors": {media: composer.anchors.get(media) for media in rows.MEDIA_TYPES},
                "last_hint": hint_text or "",
                "last_hint_at": hint_at,
                "problems": composer.problems,
                "computed_at": timezone.now(),
                "duration_ms": int((time.monotonic() - started) * 1000),
            },
        )

    materialised = [plan for plan in plans if plan.materialised]
    statuses: dict[str, sources.ListStatus] = {}
    if materialised and settings.FEEDS_WRITE_TRAKT_LISTS:
        # Phase 1: rows whose list is about to change serve their TMDB fallback while the (slow,
        # ~1 write/s) Trakt writer runs, so Chillio never shows a list half-way between two meanings.
        unchanged = _unchanged_trakt_feeds(previous, plans)
        if len(unchanged) < len(materialised):
            save([unchanged.get(plan.key, plan.fallback) for plan in plans])
        try:
            sources.lists_write(user_id=str(key), specs=[_list_spec(plan) for plan in materialised])
            statuses = sources.managed_lists(user_id=str(key))
        except Exception as exc:  # noqa: BLE001 - lists not written: every row serves its fallback
            logger.warning("feeds_lists_write_failed user_id=%s", key, exc_info=True)
            composer.problems["lists_write"] = f"{type(exc).__name__}: {exc}"[:300]
            statuses = {}
    feeds = [_feed_for(plan, statuses.get(plan.key), fresh_after=fresh_after) for plan in plans]
    save(feeds)
    logger.info(
        "feeds_refreshed user_id=%s trakt_rows=%s problems=%s duration_ms=%s",
        key, sum(1 for f in feeds if f["source"] == "trakt_list"), sorted(composer.problems),
        int((time.monotonic() - started) * 1000),
    )


def _effective_hint(
    *, last_watched: str | None, previous: PreparedFeeds | None, now: datetime
) -> tuple[str | None, datetime | None]:
    """A valid new hint wins; otherwise the stored one while it is younger than FEEDS_HINT_TTL_HOURS."""
    if hint_parse(last_watched):
        return last_watched, now
    if previous and previous.last_hint and previous.last_hint_at:
        if now - previous.last_hint_at <= timedelta(hours=settings.FEEDS_HINT_TTL_HOURS):
            return previous.last_hint, previous.last_hint_at
    return None, None


def _unchanged_trakt_feeds(previous: PreparedFeeds | None, plans: list[RowPlan]) -> dict[str, dict[str, Any]]:
    """Previously served trakt_list rows whose id and titles are unchanged (their list stays valid)."""
    if previous is None or not isinstance(previous.rows, list) or not isinstance(previous.feeds, list):
        return {}
    before = {
        record.get("key"): (record, feed)
        for record, feed in zip(previous.rows, previous.feeds, strict=False)
        if isinstance(record, dict) and isinstance(feed, dict)
    }
    kept: dict[str, dict[str, Any]] = {}
    for plan in plans:
        record, feed = before.get(plan.key, ({}, {}))
        if (
            feed.get("source") == "trakt_list"
            and feed.get("id") == plan.feed_id
            and record.get("items") == plan.items
            and rows.feed_is_valid(feed)
        ):
            kept[plan.key] = feed
    return kept


def _list_spec(plan: RowPlan) -> sources.ListSpec:
    return sources.ListSpec(
        key=plan.key,
        name=f"{LIST_NAME_PREFIX}{plan.title}"[:100],
        description=plan.blurb and f"{plan.blurb}. {LIST_DESCRIPTION}" or LIST_DESCRIPTION,
        item_ids=tuple(plan.items),
    )
