"""Pushing the catalog and the viewers' interactions to Recombee, in batches, behind cursors.

Reference: https://docs.recombee.com/api#batch (≤ 10,000 requests per call; HTTP 200 even when parts
fail, so every part's ``code`` is checked), #set-item-values, #add-detail-view, #add-rating,
#add-bookmark.

Cursors live in ``recsys.EngineState`` and only move forward, one batch at a time, after Recombee
confirmed that batch:

* a batch that fails as a whole (no answer, HTTP error, any part answering 408/429/5xx, or every
  part refused) stops the run and leaves the cursor where it was, so the next run resends it;
* a single row that Recombee refuses permanently (4xx) while its neighbours succeed is skipped,
  counted and reported (``recent_skips``) so one bad row cannot block the queue forever.

Resending is harmless: SetItemValues overwrites and an interaction repeated with the same user,
item and timestamp answers 409, which counts as done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.selectors import items_active_by_ids, items_active_count_through, items_changed_page
from catalog.services import items_mark_recombee_synced
from recsys.models import EngineState
from recsys.recombee.client import RecombeeApi, RecombeeCallError
from recsys.recombee.payloads import BatchResult, batch_result_parse
from recsys.recombee.schema import item_values, recombee_schema_ensure
from users import selectors as user_selectors
from users.contracts import InteractionKind, InteractionRow

if TYPE_CHECKING:
    from catalog.models import ContentItem

logger = logging.getLogger(__name__)

CATALOG_STATE_KEY = "recombee.catalog_push"
INTERACTIONS_STATE_KEY = "recombee.interactions_push"
# Rows younger than this are left for the next sweep: a transaction that stamped updated_at a moment
# ago may commit after a newer row we already read, and a cursor past it would skip it for good.
CATALOG_SETTLE = timedelta(seconds=60)
# Same reason for interactions: a user sync writes in one transaction (users.selectors.interactions_since).
INTERACTIONS_SETTLE = timedelta(seconds=60)
RECENT_SKIPS_KEPT = 20


def rating_normalise(rating: float) -> float:
    """Trakt 1–10 → Recombee [-1, 1]: (r − 5.5) / 4.5, clamped (https://docs.recombee.com/api#add-rating)."""
    return max(-1.0, min(1.0, (float(rating) - 5.5) / 4.5))


@dataclass(frozen=True)
class PushReport:
    kind: str  # "catalog" / "interactions"
    sent: int = 0
    accepted: int = 0
    skipped: int = 0
    batches: int = 0
    error: str | None = None
    cursor: Any = None

    @property
    def failed(self) -> bool:
        return self.error is not None


# --- state -----------------------------------------------------------------------------------


def push_state_get(*, key: str) -> dict[str, Any]:
    state = EngineState.objects.filter(key=key).first()
    return dict(state.value) if state else {}


def _catalog_cursor_tuple(cursor: dict[str, str] | None) -> tuple[str, str]:
    if not cursor:
        return ("", "")
    return (cursor["updated_at"], cursor["item_id"])


def _cursor_key(cursor: dict[str, str] | None) -> tuple[datetime, str] | None:
    """The stored catalog cursor as the ``(updated_at, item_id)`` key the catalog pages by."""
    if not cursor:
        return None
    return (datetime.fromisoformat(cursor["updated_at"]), cursor["item_id"])


def _state_record(
    *,
    key: str,
    accepted: int,
    skips: Sequence[str],
    cursor: Any = None,
    cursor_order: Callable[[Any], Any] | None = None,
    error: str | None = None,
) -> None:
    """Fold one batch's outcome into the state row. The cursor never moves backwards (two pushes
    racing each other only resend work, never lose it)."""
    now = timezone.now().isoformat()
    with transaction.atomic():
        state, _ = EngineState.objects.select_for_update().get_or_create(key=key)
        value = dict(state.value)
        if error is not None:
            value["failures"] = value.get("failures", 0) + 1
            value["last_failure_at"] = now
            value["last_error"] = error
        else:
            value["accepted"] = value.get("accepted", 0) + accepted
            value["skipped"] = value.get("skipped", 0) + len(skips)
            value["batches"] = value.get("batches", 0) + 1
            value["last_success_at"] = now
            value["last_error"] = None
            if skips:
                value["recent_skips"] = (list(skips) + value.get("recent_skips", []))[:RECENT_SKIPS_KEPT]
            if cursor is not None and cursor_order is not None:
                old = value.get("cursor")
                if old is None or cursor_order(cursor) > cursor_order(old):
                    value["cursor"] = cursor
        state.value = value
        state.save()


def batch_send(*, api: RecombeeApi, requests: list[Any], labels: list[str]) -> tuple[BatchResult | None, str | None]:
    """Send one Batch; (result, None) when the cursor may advance, (result|None, why) when not."""
    try:
        result = batch_result_parse(api.send(api.requests.Batch(requests)), expected=len(requests))
    except RecombeeCallError as exc:
        return None, str(exc)
    failures = result.failures
    retryable = [sub for _, sub in failures if sub.retryable]
    if retryable:
        return result, f"{len(retryable)} of {len(requests)} requests answered {retryable[0].code}: retry later"
    if failures and len(failures) == len(requests) and len(requests) > 1:
        first = failures[0][1]
        return result, f"every request of the batch was refused (first: {labels[0]}: HTTP {first.code} {first.message})"
    return result, None


def _skips(result: BatchResult, labels: list[str]) -> list[str]:
    return [f"{labels[index]}: HTTP {sub.code} {sub.message}".strip() for index, sub in result.failures]


# --- catalog ---------------------------------------------------------------------------------


def item_request(api: RecombeeApi, item: ContentItem) -> Any:
    return api.requests.SetItemValues(item.item_id, item_values(item), cascade_create=True)


def recombee_catalog_push(
    *, api: RecombeeApi, item_ids: Sequence[str] | None = None, batch_size: int | None = None
) -> PushReport:
    """Push catalog rows: the given ids, or (``item_ids=None``) every row changed since the cursor."""
    batch_size = batch_size or settings.RECOMBEE_BATCH_SIZE
    try:
        recombee_schema_ensure(api=api)
    except RecombeeCallError as exc:
        _state_record(key=CATALOG_STATE_KEY, accepted=0, skips=(), error=f"schema: {exc}")
        return PushReport(kind="catalog", error=f"schema: {exc}")
    if item_ids is not None:
        return _catalog_push_ids(api=api, item_ids=item_ids, batch_size=batch_size)
    return _catalog_push_pending(api=api, batch_size=batch_size)


def _mark_synced(result: BatchResult, labels: Sequence[str]) -> None:
    """Flag the rows Recombee accepted (catalog owns the column; admin filters on it)."""
    items_mark_recombee_synced(item_ids=[label for label, sub in zip(labels, result.results, strict=True) if sub.done])


def _catalog_push_ids(*, api: RecombeeApi, item_ids: Sequence[str], batch_size: int) -> PushReport:
    sent = accepted = skipped = batches = 0
    unique_ids = sorted(set(item_ids))
    for start in range(0, len(unique_ids), batch_size):
        chunk = unique_ids[start : start + batch_size]
        items = items_active_by_ids(item_ids=chunk)
        if not items:
            continue
        labels = [item.item_id for item in items]
        result, error = batch_send(api=api, requests=[item_request(api, item) for item in items], labels=labels)
        sent += len(items)
        if error is not None or result is None:  # result is None only with an error
            _state_record(key=CATALOG_STATE_KEY, accepted=0, skips=(), error=error)
            logger.warning("recombee_catalog_push_failed items=%s error=%s", len(items), error)
            return PushReport("catalog", sent, accepted, skipped, batches, error)
        skips = _skips(result, labels)
        _mark_synced(result, labels)
        _state_record(key=CATALOG_STATE_KEY, accepted=result.done_count, skips=skips)
        accepted += result.done_count
        skipped += len(skips)
        batches += 1
    return PushReport("catalog", sent, accepted, skipped, batches)


def _catalog_push_pending(*, api: RecombeeApi, batch_size: int) -> PushReport:
    sent = accepted = skipped = batches = 0
    settled_before = timezone.now() - CATALOG_SETTLE
    cursor = push_state_get(key=CATALOG_STATE_KEY).get("cursor")
    while True:
        # Titles TMDB no longer knows are not sent (never recommended); the cursor still passes them.
        items, last_key = items_changed_page(before=settled_before, after=_cursor_key(cursor), limit=batch_size)
        if last_key is None:
            return PushReport("catalog", sent, accepted, skipped, batches, cursor=cursor)
        next_cursor = {"updated_at": last_key[0].isoformat(), "item_id": last_key[1]}
        batch_accepted, skips = 0, []
        if items:
            labels = [item.item_id for item in items]
            result, error = batch_send(api=api, requests=[item_request(api, item) for item in items], labels=labels)
            sent += len(items)
            if error is not None or result is None:  # result is None only with an error
                _state_record(key=CATALOG_STATE_KEY, accepted=0, skips=(), error=error)
                logger.warning("recombee_catalog_push_failed cursor=%s error=%s", cursor, error)
                return PushReport("catalog", sent, accepted, skipped, batches, error, cursor)
            batch_accepted, skips = result.done_count, _skips(result, labels)
            _mark_synced(result, labels)
        _state_record(
            key=CATALOG_STATE_KEY,
            accepted=batch_accepted,
            skips=skips,
            cursor=next_cursor,
            cursor_order=_catalog_cursor_tuple,
        )
        accepted += batch_accepted
        skipped += len(skips)
        batches += 1
        cursor = next_cursor


# --- interactions ----------------------------------------------------------------------------


def interaction_request(api: RecombeeApi, row: InteractionRow) -> Any | None:
    user_id, item_id = str(row.user_id), row.item_id
    r = api.requests
    if row.kind == InteractionKind.VIEW:
        return r.AddDetailView(user_id, item_id, timestamp=row.occurred_at, cascade_create=True)
    if row.kind == InteractionKind.RATING and row.value is not None:
        return r.AddRating(
            user_id, item_id, rating_normalise(row.value), timestamp=row.occurred_at, cascade_create=True
        )
    if row.kind == InteractionKind.WATCHLIST:
        return r.AddBookmark(user_id, item_id, timestamp=row.occurred_at, cascade_create=True)
    if row.kind == InteractionKind.DISLIKE:
        return r.AddRating(user_id, item_id, -1.0, timestamp=row.occurred_at, cascade_create=True)
    return None


def recombee_interactions_push(*, api: RecombeeApi, batch_size: int | None = None) -> PushReport:
    """Push every interaction stored since the cursor (views, ratings, watchlist), batch by batch."""
    batch_size = batch_size or settings.RECOMBEE_BATCH_SIZE
    sent = accepted = skipped = batches = 0
    cursor = int(push_state_get(key=INTERACTIONS_STATE_KEY).get("cursor") or 0)
    while True:
        rows = user_selectors.interactions_since(
            after_id=cursor, limit=batch_size, stored_before=timezone.now() - INTERACTIONS_SETTLE
        )
        if not rows:
            return PushReport("interactions", sent, accepted, skipped, batches, cursor=cursor)
        next_cursor = max(int(row.id) for row in rows)
        requests, labels, unknown = [], [], []
        for row in rows:
            request = interaction_request(api, row)
            label = f"{row.kind} #{row.id} {row.item_id}"
            if request is None:
                unknown.append(f"{label}: kind not sent to Recombee")
            else:
                requests.append(request)
                labels.append(label)
        batch_accepted, skips = 0, list(unknown)
        if requests:
            result, error = batch_send(api=api, requests=requests, labels=labels)
            sent += len(requests)
            if error is not None or result is None:  # result is None only with an error
                _state_record(key=INTERACTIONS_STATE_KEY, accepted=0, skips=(), error=error)
                logger.warning("recombee_interactions_push_failed cursor=%s error=%s", cursor, error)
                return PushReport("interactions", sent, accepted, skipped, batches, error, cursor)
            batch_accepted = result.done_count
            skips += _skips(result, labels)
        _state_record(
            key=INTERACTIONS_STATE_KEY, accepted=batch_accepted, skips=skips, cursor=next_cursor, cursor_order=int
        )
        accepted += batch_accepted
        skipped += len(skips)
        batches += 1
        cursor = next_cursor


# --- one entry point for the scheduled job --------------------------------------------------


@dataclass(frozen=True)
class SyncReport:
    catalog: PushReport
    interactions: PushReport

    @property
    def failed(self) -> bool:
        return self.catalog.failed or self.interactions.failed


def recombee_sync_run(*, api: RecombeeApi, batch_size: int | None = None) -> SyncReport:
    """Schema, then catalog rows, then interactions, each from its cursor (the `recsys` push job).

    Interactions go even when the catalog push failed: with cascadeCreate they create bare items
    that the next catalog push fills in.
    """
    catalog = recombee_catalog_push(api=api, batch_size=batch_size)
    interactions = recombee_interactions_push(api=api, batch_size=batch_size)
    logger.info(
        "recombee_sync_done catalog_accepted=%s interactions_accepted=%s catalog_error=%s interactions_error=%s",
        catalog.accepted,
        interactions.accepted,
        catalog.error,
        interactions.error,
    )
    return SyncReport(catalog=catalog, interactions=interactions)


def recombee_push_state_reset(*, catalog: bool = True, interactions: bool = True) -> list[str]:
    """Forget cursors (and the remembered schema) so the next push sends everything again.

    For a Recombee database that was reset or replaced; resending is harmless (see module doc).
    """
    from recsys.recombee.schema import SCHEMA_STATE_KEY

    keys = [CATALOG_STATE_KEY, SCHEMA_STATE_KEY] if catalog else []
    keys += [INTERACTIONS_STATE_KEY] if interactions else []
    EngineState.objects.filter(key__in=keys).delete()
    logger.info("recombee_push_state_reset keys=%s", ",".join(keys))
    return keys


# --- what has been pushed (diagnosis facts) --------------------------------------------------


@dataclass(frozen=True)
class PushStatus:
    items_pushed: int  # distinct catalog rows whose current version Recombee confirmed
    interactions_pushed: int  # interactions Recombee confirmed (including 409 "already there")
    catalog: dict[str, Any]
    interactions: dict[str, Any]

    @property
    def anything_pushed(self) -> bool:
        return self.items_pushed > 0 or self.interactions_pushed > 0


def recombee_push_status() -> PushStatus:
    catalog = push_state_get(key=CATALOG_STATE_KEY)
    interactions = push_state_get(key=INTERACTIONS_STATE_KEY)
    key = _cursor_key(catalog.get("cursor"))
    items_pushed = items_active_count_through(key=key) if key is not None else 0
    if not items_pushed:
        # Explicit pushes (catalog_changed) confirm rows without a cursor.
        items_pushed = int(catalog.get("accepted", 0))
    return PushStatus(
        items_pushed=items_pushed,
        interactions_pushed=int(interactions.get("accepted", 0)),
        catalog=catalog | {"recent_skips": catalog.get("recent_skips", [])[:5]},
        interactions=interactions | {"recent_skips": interactions.get("recent_skips", [])[:5]},
    )
