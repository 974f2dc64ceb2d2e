"""Compose a user's ten rows, ask for four of them as Trakt lists, and store the document.

Runs in the ``feeds.user_rows_refresh`` task on the fast ``feeds`` queue (never on the request
path). Order and semantics: docs/design/feeds.md. Every row is built in isolation: a failing source
or a bug in one row leaves that row on its TMDB fallback and is recorded in ``PreparedFeeds.problems``;
the other rows are unaffected. The document is only ever replaced whole, so a crash mid-way leaves
the previous rows in place.

The lists themselves are written by the users app (``users.user_lists_write`` on ``trakt_lists``,
retried with backoff). A list row serves its ``trakt_list`` feed only while the users app reports
that list written with exactly these titles ("ok", fresh); while a write is pending or failed the
row serves its TMDB fallback. When a write run ends, ``user_feed_lists_apply`` switches the rows.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.contracts import item_id_make
from feeds import rows
from feeds.contracts import hint_parse
from feeds.documents import copy_forget, copy_store, document_body
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


def _list_feed(plan: RowPlan) -> dict[str, Any] | None:
    """What the row serves once its list is written (without the list id); None when not materialised."""
    if not plan.materialised:
        return None
    return {"id": plan.feed_id, "title": plan.title, "media_type": plan.media_type, "blurb": plan.blurb}


def _served(
    *,
    list_feed: dict[str, Any] | None,
    items: list[str],
    fallback: dict[str, Any],
    status: ManagedListState | None,
    fresh_after: datetime,
) -> dict[str, Any]:
    """The trakt_list feed when the list was written with exactly ``items`` and is fresh, else the TMDB fallback."""
    if list_feed is not None and status is not None and status.trakt_list_id and status.trakt_list_id > 0:
        ready = status.state == ListState.OK and status.item_count > 0 and status.wanted_item_ids == tuple(items)
        fresh = status.last_written_at is not None and status.last_written_at >= fresh_after
        if ready and fresh:
            return rows.trakt_feed(
                feed_id=list_feed["id"],
                title=list_feed["title"],
                media_type=list_feed["media_type"],
                list_id=status.trakt_list_id,
                blurb=list_feed.get("blurb"),
            )
    return fallback


def _row_record(plan: RowPlan, feed: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": plan.key,
        "feed_id": feed["id"],
        "source": feed["source"],
        "items": plan.items,
        "origins": plan.origins,
        "note": plan.note,
        # Kept so user_feed_lists_apply can switch the row when its list is written, without recomposing.
        "list_feed": _list_feed(plan),
        "fallback": plan.fallback,
    }


def _lists_problem(statuses: dict[str, ManagedListState], keys: set[str]) -> str:
    failed = [
        f"{key}: {status.detail or status.state}"
        for key, status in sorted(statuses.items())
        # Only failures: a full account ("limit_reached") is the viewer's plan, shown in the users admin,
        # and must not count as a failed refresh in feeds_probe.
        if key in keys and status.state == ListState.ERROR
    ]
    return "; ".join(failed)[:300]


@dataclass
class ComposedRows:
    """The ten planned rows of one refresh, the anchors used, and what went wrong on the way."""

    plans: list[RowPlan]
    anchors: dict[str, str | None]
    problems: dict[str, str]


def user_feed_rows_refresh(*, user_id: str, last_watched: str | None = None) -> None:
    """Recompute the ten rows, ask for their Trakt lists and store the document (contract: docs/design/contracts.md).

    Idempotent: the same inputs give the same document and the same list requests.
    """
    started = time.monotonic()
    key = uuid.UUID(str(user_id))
    user = users_selectors.user_get(user_id=str(key))
    if user is None:
        deleted, _ = PreparedFeeds.objects.filter(user_id=key).delete()
        # The Redis copy would otherwise answer for them until the web processes' checks drop it.
        transaction.on_commit(partial(copy_forget, user_id=str(key)))
        logger.info("feeds_refresh_skipped user_id=%s reason=unknown_user removed=%s", key, deleted)
        return
    previous = PreparedFeeds.objects.filter(user_id=key).first()
    now = timezone.now()
    hint_text, hint_at = _effective_hint(last_watched=last_watched, previous=previous, now=now)
    composed = _rows_composed(user_id=str(key), hint=hint_parse(hint_text))

    def save(feeds: list[dict[str, Any]]) -> None:
        body = document_body(feeds, user_id=key)
        PreparedFeeds.objects.update_or_create(
            user_id=key,
            defaults={
                "trakt_username": (user.trakt_username or "").lower()[:100],
                "feeds": feeds,
                "body": body,
                "rows": [_row_record(plan, feed) for plan, feed in zip(composed.plans, feeds, strict=True)],
                "anchors": composed.anchors,
                "last_hint": hint_text or "",
                "last_hint_at": hint_at,
                "problems": composed.problems,
                "computed_at": timezone.now(),
                "duration_ms": int((time.monotonic() - started) * 1000),
            },
        )
        # The copy /feeds serves while the database is away (feeds/documents.py), once this is visible.
        transaction.on_commit(partial(copy_store, user_id=str(key)))

    fresh_after = now - timedelta(hours=settings.FEEDS_LIST_MAX_AGE_HOURS)
    # One transaction: the list writer (queued by the request on commit) and its "written" event
    # find this document and these requests together.
    with transaction.atomic():
        statuses = _lists_request(user_id=str(key), composed=composed)
        problem = _lists_problem(statuses, {plan.key for plan in composed.plans if plan.materialised})
        if problem:
            composed.problems["lists_write"] = problem
        feeds = [
            _served(
                list_feed=_list_feed(plan),
                items=plan.items,
                fallback=plan.fallback,
                status=statuses.get(plan.key),
                fresh_after=fresh_after,
            )
            for plan in composed.plans
        ]
        save(feeds)
    # Hit rate: what this refresh serves in Reclio-picked rows (never fails the refresh).
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


def _lists_request(*, user_id: str, composed: ComposedRows) -> dict[str, ManagedListState]:
    """Ask the users app for the materialised rows' lists; their states by key ({} when none are asked)."""
    materialised = [plan for plan in composed.plans if plan.materialised]
    if not materialised or not settings.FEEDS_WRITE_TRAKT_LISTS:
        return {}
    try:
        return dict(users_services.user_lists_request(user_id=user_id, lists=[_list_spec(p) for p in materialised]))
    except Exception as exc:
        logger.warning("feeds_lists_request_failed user_id=%s", user_id, exc_info=True)
        composed.problems["lists_write"] = f"{type(exc).__name__}: {exc}"[:300]
        return {}


def user_feed_lists_apply(*, user_id: str) -> bool:
    """The users app finished writing this viewer's lists: serve each list row from its list when the
    list holds that row's titles, else its TMDB fallback. No recomposing. Returns whether the document changed.
    """
    key = uuid.UUID(str(user_id))
    statuses = dict(users_selectors.user_managed_lists(user_id=str(key)))
    fresh_after = timezone.now() - timedelta(hours=settings.FEEDS_LIST_MAX_AGE_HOURS)
    with transaction.atomic():
        # Locked: a refresh saving a newer document meanwhile must not be overwritten with older rows.
        prepared = PreparedFeeds.objects.select_for_update().filter(user_id=key).first()
        if prepared is None or not isinstance(prepared.rows, list) or not isinstance(prepared.feeds, list):
            return False
        feeds, records, listed = list(prepared.feeds), list(prepared.rows), set()
        for index, record in enumerate(records[: len(feeds)]):
            list_feed, fallback = (
                (record.get("list_feed"), record.get("fallback")) if isinstance(record, dict) else (None, None)
            )
            if not isinstance(list_feed, dict) or not isinstance(fallback, dict):
                continue  # not a list row (or a document stored before lists were written apart)
            listed.add(record.get("key"))
            feed = _served(
                list_feed=list_feed,
                items=list(record.get("items") or []),
                fallback=fallback,
                status=statuses.get(str(record.get("key"))),
                fresh_after=fresh_after,
            )
            if feed != feeds[index]:
                feeds[index] = feed
                records[index] = {**record, "feed_id": feed["id"], "source": feed["source"]}
        problems = {k: v for k, v in (prepared.problems or {}).items() if k != "lists_write"}
        problem = _lists_problem(statuses, {str(k) for k in listed})
        if problem:
            problems["lists_write"] = problem
        if feeds == prepared.feeds and problems == (prepared.problems or {}):
            return False
        # /feeds sends ``body`` as it is, and its copies while the database is away: all move together.
        body = document_body(feeds, user_id=key)
        prepared.feeds, prepared.rows, prepared.problems, prepared.body = feeds, records, problems, body
        prepared.save(update_fields=["feeds", "rows", "problems", "body"])
        transaction.on_commit(partial(copy_store, user_id=str(key)))
    # Hit rate: rows that now serve their written list start counting what they show.
    served_titles_update(user_id=str(key), row_records=records, now=timezone.now())
    logger.info(
        "feeds_lists_applied user_id=%s trakt_rows=%s", key, sum(1 for f in feeds if f.get("source") == "trakt_list")
    )
    return True


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


def _list_spec(plan: RowPlan) -> ManagedListSpec:
    return ManagedListSpec(
        key=plan.key,
        name=(LIST_NAMES.get(plan.key) or f"{LIST_NAME_PREFIX}{plan.title}")[:100],
        description=(plan.blurb and f"{plan.blurb}. {LIST_DESCRIPTION}") or LIST_DESCRIPTION,
        item_ids=tuple(plan.items),
    )
