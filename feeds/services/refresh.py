"""Compose a user's ten rows, materialise four of them as Trakt lists, and store the document.

Runs in the ``feeds.user_rows_refresh`` task (never on the request path). Order and semantics:
docs/design/feeds.md. Every row is built in isolation: a failing source or a bug in one row
leaves that row on its TMDB fallback and is recorded in ``PreparedFeeds.problems``; the other
rows are unaffected. The document is only ever replaced whole, so a crash mid-way leaves the
previous rows in place.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.contracts import item_id_make
from feeds import rows
from feeds.contracts import hint_parse
from feeds.models import PreparedFeeds
from feeds.services.candidates import picks_gather
from feeds.services.compose import RowPlan, preferences_from_settings, rows_compose
from feeds.services.hits import served_titles_update
from feeds.services.reads import Reads
from feeds.services.viewer import viewer_read
from users import selectors as users_selectors
from users import services as users_services
from users.contracts import ListState, ManagedListSpec, ManagedListState

logger = logging.getLogger(__name__)

LIST_NAME_PREFIX = "Reclio • "
# The names viewers already have from the product they migrate from, so the writer adopts that list
# (users.services.lists matches by name) instead of creating a second one.
LIST_NAMES = {
    "recommended_movies": f"{LIST_NAME_PREFIX}Recommended Movies",
    "recommended_shows": f"{LIST_NAME_PREFIX}Recommended Shows",
}
LIST_DESCRIPTION = (
    "Picked for you by Reclio from your Trakt history and refreshed automatically; manual edits are overwritten."
)


def _feed_for(plan: RowPlan, status: ManagedListState | None, *, fresh_after: datetime) -> dict[str, Any]:
    """The trakt_list feed when the materialised list is ready and fresh, else the TMDB fallback."""
    if plan.materialised and status is not None and status.trakt_list_id and status.trakt_list_id > 0:
        ready = status.state == ListState.OK and status.item_count > 0
        fresh = status.last_written_at is not None and status.last_written_at >= fresh_after
        if ready and fresh:
            return rows.trakt_feed(
                feed_id=plan.feed_id,
                title=plan.title,
                media_type=plan.media_type,
                list_id=status.trakt_list_id,
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


@dataclass
class ComposedRows:
    """The ten planned rows of one refresh, the anchors used, and what went wrong on the way."""

    plans: list[RowPlan]
    anchors: dict[str, str | None]
    problems: dict[str, str]


def user_feed_rows_refresh(*, user_id: str, last_watched: str | None = None) -> None:
    """Recompute the ten rows and materialise them into Trakt lists (contract: docs/design/contracts.md).

    Idempotent: the same inputs give the same document and the same list contents.
    """
    started = time.monotonic()
    key = uuid.UUID(str(user_id))
    user = users_selectors.user_get(user_id=str(key))
    if user is None:
        deleted, _ = PreparedFeeds.objects.filter(user_id=key).delete()
        logger.info("feeds_refresh_skipped user_id=%s reason=unknown_user removed=%s", key, deleted)
        return
    previous = PreparedFeeds.objects.filter(user_id=key).first()
    now = timezone.now()
    hint_text, hint_at = _effective_hint(last_watched=last_watched, previous=previous, now=now)
    composed = _rows_composed(user_id=str(key), hint=hint_parse(hint_text))

    def save(feeds: list[dict[str, Any]]) -> None:
        PreparedFeeds.objects.update_or_create(
            user_id=key,
            defaults={
                "trakt_username": (user.trakt_username or "").lower()[:100],
                "feeds": feeds,
                "rows": [_row_record(plan, feed) for plan, feed in zip(composed.plans, feeds, strict=True)],
                "anchors": composed.anchors,
                "last_hint": hint_text or "",
                "last_hint_at": hint_at,
                "problems": composed.problems,
                "computed_at": timezone.now(),
                "duration_ms": int((time.monotonic() - started) * 1000),
            },
        )

    statuses = _lists_materialise(user_id=str(key), composed=composed, previous=previous, save=save)
    fresh_after = now - timedelta(hours=settings.FEEDS_LIST_MAX_AGE_HOURS)
    feeds = [_feed_for(plan, statuses.get(plan.key), fresh_after=fresh_after) for plan in composed.plans]
    save(feeds)
    served_titles_update(
        user_id=str(key),
        row_records=[_row_record(plan, feed) for plan, feed in zip(composed.plans, feeds, strict=True)],
        now=timezone.now(),
    )
    logger.info(
        "feeds_refreshed user_id=%s trakt_rows=%s problems=%s duration_ms=%s",
        key,
        sum(1 for f in feeds if f["source"] == "trakt_list"),
        sorted(composed.problems),
        int((time.monotonic() - started) * 1000),
    )


def _rows_composed(*, user_id: str, hint: tuple[str, int] | None) -> ComposedRows:
    """Read what the rows need (after fetching a hinted title the catalog lacks), then plan them."""
    reads = Reads(user_id=user_id)
    _hinted_title_ensure(reads, hint=hint)
    preferences = preferences_from_settings()
    viewer = viewer_read(reads=reads, hint=hint)
    picks = picks_gather(
        reads=reads, viewer=viewer, size=preferences.size, cold_start_min_picks=preferences.cold_start_min_picks
    )
    plans = rows_compose(viewer=viewer, picks=picks, preferences=preferences)
    return ComposedRows(
        plans=plans,
        anchors={media: found.anchor for media, found in picks.because_watched.items()},
        problems={**reads.problems, **{plan.key: plan.problem for plan in plans if plan.problem}},
    )


def _lists_materialise(
    *,
    user_id: str,
    composed: ComposedRows,
    previous: PreparedFeeds | None,
    save: Callable[[list[dict[str, Any]]], None],
) -> dict[str, ManagedListState]:
    """Write the materialised rows as Trakt lists; the lists' states by key ({} when none were written)."""
    materialised = [plan for plan in composed.plans if plan.materialised]
    if not materialised or not settings.FEEDS_WRITE_TRAKT_LISTS:
        return {}
    # Phase 1: rows whose list is about to change serve their TMDB fallback while the (slow,
    # ~1 write/s) Trakt writer runs, so Chillio never shows a list half-way between two meanings.
    unchanged = _unchanged_trakt_feeds(previous, composed.plans)
    if len(unchanged) < len(materialised):
        save([unchanged.get(plan.key, plan.fallback) for plan in composed.plans])
    try:
        users_services.user_lists_write(user_id=user_id, lists=[_list_spec(plan) for plan in materialised])
        return dict(users_selectors.user_managed_lists(user_id=user_id))
    except Exception as exc:
        logger.warning("feeds_lists_write_failed user_id=%s", user_id, exc_info=True)
        composed.problems["lists_write"] = f"{type(exc).__name__}: {exc}"[:300]
        return {}


def _hinted_title_ensure(reads: Reads, *, hint: tuple[str, int] | None) -> None:
    """A title Chillio knows but our catalog does not yet: fetch it (TMDB, in this task) so it can anchor."""
    if hint is None:
        return
    item_id = item_id_make(media_type=hint[0], tmdb_id=hint[1])

    def ensure() -> None:
        if item_id not in catalog_selectors.items_by_ids(item_ids=[item_id]):
            catalog_services.catalog_items_ensure(keys=[hint])

    reads.attempt(f"catalog_ensure:{item_id}", ensure, None)


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


def _list_spec(plan: RowPlan) -> ManagedListSpec:
    return ManagedListSpec(
        key=plan.key,
        name=(LIST_NAMES.get(plan.key) or f"{LIST_NAME_PREFIX}{plan.title}")[:100],
        description=(plan.blurb and f"{plan.blurb}. {LIST_DESCRIPTION}") or LIST_DESCRIPTION,
        item_ids=tuple(plan.items),
    )
