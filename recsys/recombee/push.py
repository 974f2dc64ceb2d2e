"""Pushing the catalog and the viewers' interactions to Recombee, in batches, behind cursors.

Reference: https://docs.recombee.com/api#batch (≤ 10,000 requests per call; HTTP 200 even when parts
fail, so every part's ``code`` is checked), #set-item-values, #delete-item, #add-detail-view,
#add-rating, #add-bookmark, #delete-rating, #delete-bookmark, #list-user-ratings,
#list-user-bookmarks. The whole flow: docs/design/recombee.md.

Cursors live in ``recsys.EngineState`` and only move forward, one batch at a time, after Recombee
confirmed that batch:

* a batch that fails as a whole (no answer, HTTP error, any part answering 408/429/5xx, or every
  part refused) stops the run and leaves the cursor where it was, so the next run resends it;
* a single row that Recombee refuses permanently (4xx) while its neighbours succeed is skipped,
  counted and reported (``recent_skips``) so one bad row cannot block the queue forever.

The interaction cursor does not hold young rows back: ids below it that a page did not see (a
transaction still open) are kept as holes and looked for on every run (``recombee_interactions_push``).

Resending is harmless: SetItemValues overwrites, an interaction repeated with the same user, item
and timestamp answers 409, and a delete of something already gone answers 404; both count as done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.selectors import items_active_by_ids, items_active_count_through, items_changed_page
from catalog.services import items_mark_recombee_synced
from recsys.models import EngineState
from recsys.recombee.client import RecombeeApi, RecombeeCallError
from recsys.recombee.payloads import (
    BatchResult,
    StoredInteraction,
    SubResult,
    batch_result_parse,
    stored_interactions_parse,
)
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
# Interactions are not held back: ids skipped below the cursor are remembered as holes instead
# (recombee_interactions_push), at most this many ranges, each until its transaction must have ended.
MAX_HOLES = 500
HOLE_MARGIN = timedelta(minutes=15)
# Our timestamp and the one Recombee reports for the same rating/bookmark differ by less than this.
TIMESTAMP_TOLERANCE_SECONDS = 1.0
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
    user_ids: frozenset[str] = frozenset()  # viewers whose interactions Recombee confirmed

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
    holes: Callable[[list[list[Any]]], list[list[Any]]] | None = None,
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
            if holes is not None:
                value["holes"] = holes(value.get("holes", []))
        state.value = value
        state.save()


def batch_send(*, api: RecombeeApi, requests: list[Any], labels: list[str]) -> tuple[BatchResult | None, str | None]:
    """Send one Batch; (result, None) when the cursor may advance, (result|None, why) when not."""
    try:
        result = batch_result_parse(api.send(api.requests.Batch(requests)), expected=len(requests))
    except RecombeeCallError as exc:
        return None, str(exc)
    result = _gone_is_done(result, requests)
    failures = result.failures
    retryable = [sub for _, sub in failures if sub.retryable]
    if retryable:
        return result, f"{len(retryable)} of {len(requests)} requests answered {retryable[0].code}: retry later"
    if failures and len(failures) == len(requests) and len(requests) > 1:
        first = failures[0][1]
        return result, f"every request of the batch was refused (first: {labels[0]}: HTTP {first.code} {first.message})"
    return result, None


def _gone_is_done(result: BatchResult, requests: list[Any]) -> BatchResult:
    """A delete answering 404 found nothing to delete: what it wanted is true, so it counts as done
    (https://docs.recombee.com/api#delete-item, #delete-rating: 404 when the item, user or
    interaction does not exist)."""
    results = tuple(
        SubResult(code=200, message=sub.message) if sub.code == 404 and request.method == "delete" else sub
        for sub, request in zip(result.results, requests, strict=True)
    )
    return BatchResult(results=results)


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
    """Flag the rows Recombee accepted (catalog owns the column; admin filters on it).

    ``labels`` name the SetItemValues requests, which come first in the batch (deletes follow)."""
    accepted = [label for label, sub in zip(labels, result.results[: len(labels)], strict=True) if sub.done]
    items_mark_recombee_synced(item_ids=accepted)


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
        # Titles TMDB no longer knows are deleted from Recombee, so it stops recommending them (and
        # stops spending recommendation slots we would drop); a title that comes back is set again.
        items, gone, last_key = items_changed_page(before=settled_before, after=_cursor_key(cursor), limit=batch_size)
        if last_key is None:
            return PushReport("catalog", sent, accepted, skipped, batches, cursor=cursor)
        next_cursor = {"updated_at": last_key[0].isoformat(), "item_id": last_key[1]}
        batch_accepted, skips = 0, []
        if items or gone:
            labels = [item.item_id for item in items]
            requests = [item_request(api, item) for item in items]
            requests += [api.requests.DeleteItem(item_id) for item_id in gone]
            all_labels = labels + [f"delete {item_id}" for item_id in gone]
            result, error = batch_send(api=api, requests=requests, labels=all_labels)
            sent += len(requests)
            if error is not None or result is None:  # result is None only with an error
                _state_record(key=CATALOG_STATE_KEY, accepted=0, skips=(), error=error)
                logger.warning("recombee_catalog_push_failed cursor=%s error=%s", cursor, error)
                return PushReport("catalog", sent, accepted, skipped, batches, error, cursor)
            batch_accepted, skips = result.done_count, _skips(result, all_labels)
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


def _holes_kept_for() -> timedelta:
    # A transaction holding an unseen id ends (commit or rollback) before its task's hard time limit
    # kills the worker and its connection; past that the id will never appear.
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + HOLE_MARGIN


def _gaps(*, after: int, ids: Sequence[int]) -> list[tuple[int, int]]:
    """The id ranges in ``(after, max(ids)]`` that ``ids`` (sorted) does not hold."""
    gaps, expected = [], after + 1
    for row_id in ids:
        if row_id > expected:
            gaps.append((expected, row_id - 1))
        expected = max(expected, row_id + 1)
    return gaps


def _gaps_still_open(*, after: int, rows: Sequence[InteractionRow]) -> list[tuple[int, int]]:
    """The gaps of a page that an open transaction may still fill.

    A missing id was allocated before the row just above it; when that row was stored longer ago
    than any transaction lives, the id was rolled back or deleted, not pending. This keeps a first
    push or a reset (every old deletion is a gap) from filling the holes with ids that never come.
    """
    stored = {int(row.id): row.created_at for row in rows}
    oldest_open = timezone.now() - _holes_kept_for()
    return [
        (low, high)
        for low, high in _gaps(after=after, ids=sorted(stored))
        if (created := stored.get(high + 1)) is None or created >= oldest_open
    ]


def _holes_update(
    holes: list[list[Any]], *, seen: Sequence[int], new: Sequence[tuple[int, int]], now: str, expire_before: str
) -> list[list[Any]]:
    """Holes ``[low, high, noticed_at]`` minus the ids ``seen``, plus ``new`` gaps, expired ones dropped.

    Two pushes racing may both add a gap the other filled: the id is sent twice, which is harmless.
    """
    seen_sorted = sorted(set(seen))
    kept: list[list[Any]] = []
    for low, high, noticed in [*holes, *([low, high, now] for low, high in new)]:
        if noticed < expire_before:
            continue
        inside = [row_id for row_id in seen_sorted if low <= row_id <= high]
        kept += [[a, b, noticed] for a, b in _gaps(after=low - 1, ids=[*inside, high + 1]) if a <= b]
    kept.sort()
    merged: list[list[Any]] = []
    for hole in kept:
        if merged and hole[0] <= merged[-1][1] + 1:
            # Overlapping or touching: keep the later notice so the union lives long enough.
            merged[-1] = [merged[-1][0], max(merged[-1][1], hole[1]), max(merged[-1][2], hole[2])]
        else:
            merged.append(hole)
    while len(merged) > MAX_HOLES:
        # Too fragmented: bridge the narrowest gap between two holes. Ids in it were sent already and
        # are sent again when found, which is harmless.
        index = min(range(len(merged) - 1), key=lambda i: merged[i + 1][0] - merged[i][1])
        left, right = merged[index], merged.pop(index + 1)
        merged[index] = [left[0], right[1], max(left[2], right[2])]
    return merged


def _interactions_batch_send(
    *, api: RecombeeApi, rows: list[InteractionRow]
) -> tuple[int, int, list[str], set[str], str | None]:
    """Send one page of rows: (sent, accepted, skips, users whose rows Recombee holds now, error)."""
    requests, labels, users, skips = [], [], [], []
    for row in rows:
        request = interaction_request(api, row)
        label = f"{row.kind} #{row.id} {row.item_id}"
        if request is None:
            skips.append(f"{label}: kind not sent to Recombee")
        else:
            requests.append(request)
            labels.append(label)
            users.append(str(row.user_id))
    if not requests:
        return 0, 0, skips, set(), None
    result, error = batch_send(api=api, requests=requests, labels=labels)
    if error is not None or result is None:  # result is None only with an error
        return len(requests), 0, [], set(), error or "no answer"
    done_users = {user for user, sub in zip(users, result.results, strict=True) if sub.done}
    return len(requests), result.done_count, skips + _skips(result, labels), done_users, None


def recombee_interactions_push(*, api: RecombeeApi, batch_size: int | None = None) -> PushReport:
    """Push every interaction Recombee has not confirmed yet (views, ratings, watchlist), batch by batch.

    The cursor is the highest id confirmed. Ids are allocated at insert, not at commit, so an id
    below the cursor may still be in an open transaction: every page remembers the ids it skipped
    (``holes``) and each run looks for them first, until their transaction must have ended. No row is
    held back, so a row is sent on the first run after its commit. ``user_ids`` in the report names
    the viewers whose rows Recombee confirmed (they are rescored next).
    """
    batch_size = batch_size or settings.RECOMBEE_BATCH_SIZE
    sent = accepted = skipped = batches = 0
    users: set[str] = set()
    state = push_state_get(key=INTERACTIONS_STATE_KEY)
    cursor = int(state.get("cursor") or 0)

    def report(error: str | None = None) -> PushReport:
        return PushReport("interactions", sent, accepted, skipped, batches, error, cursor, frozenset(users))

    def record(rows: list[InteractionRow], *, gaps: Sequence[tuple[int, int]] = (), **fields: Any) -> None:
        now = timezone.now()
        _state_record(
            key=INTERACTIONS_STATE_KEY,
            holes=partial(
                _holes_update,
                seen=[int(row.id) for row in rows],
                new=gaps,
                now=now.isoformat(),
                expire_before=(now - _holes_kept_for()).isoformat(),
            ),
            **fields,
        )

    # 1. Rows that committed late, below the cursor.
    holes = [(int(low), int(high)) for low, high, _ in state.get("holes", [])]
    after = 0
    while holes:
        rows = user_selectors.interactions_in_id_ranges(ranges=holes, after_id=after, limit=batch_size)
        if not rows:
            break
        batch_sent, batch_accepted, skips, done_users, error = _interactions_batch_send(api=api, rows=rows)
        sent += batch_sent
        if error is not None:
            _state_record(key=INTERACTIONS_STATE_KEY, accepted=0, skips=(), error=error)
            logger.warning("recombee_interactions_push_failed holes=%s error=%s", len(holes), error)
            return report(error)
        record(rows, accepted=batch_accepted, skips=skips)
        accepted, skipped, batches = accepted + batch_accepted, skipped + len(skips), batches + 1
        users |= done_users
        after = max(int(row.id) for row in rows)
    if sent:
        logger.info("recombee_interactions_late_rows sent=%s holes=%s", sent, len(holes))

    # 2. Rows past the cursor.
    while True:
        rows = user_selectors.interactions_since(after_id=cursor, limit=batch_size)
        if not rows:
            return report()
        next_cursor = max(int(row.id) for row in rows)
        batch_sent, batch_accepted, skips, done_users, error = _interactions_batch_send(api=api, rows=rows)
        sent += batch_sent
        if error is not None:
            _state_record(key=INTERACTIONS_STATE_KEY, accepted=0, skips=(), error=error)
            logger.warning("recombee_interactions_push_failed cursor=%s error=%s", cursor, error)
            return report(error)
        gaps = _gaps_still_open(after=cursor, rows=rows)
        record(rows, gaps=gaps, accepted=batch_accepted, skips=skips, cursor=next_cursor, cursor_order=int)
        accepted, skipped, batches = accepted + batch_accepted, skipped + len(skips), batches + 1
        users |= done_users
        cursor = next_cursor


# --- removals --------------------------------------------------------------------------------


def recombee_user_removals_push(*, api: RecombeeApi, user_id: str) -> int:
    """Delete from Recombee the viewer's ratings and bookmarks we no longer hold; returns how many.

    Our history deletes what the viewer removed on Trakt (a rating, a watchlist entry) and replaces a
    changed rating by a new row, so Recombee ends up holding more than we do. Its lists are read
    first and ours second: a row we store in between is either in both or only in ours, never
    deleted by mistake. Deletes name the exact timestamp Recombee reported; a 404 (already gone)
    counts as done. A rating whose value differs at the same timestamp is deleted and added again
    (a batch runs its requests in order, https://docs.recombee.com/api#batch).
    Reference: https://docs.recombee.com/api#list-user-ratings, #delete-rating, #delete-bookmark.
    """
    r = api.requests
    try:
        stored_ratings = stored_interactions_parse(api.send(r.ListUserRatings(user_id)), what="user ratings")
        stored_bookmarks = stored_interactions_parse(api.send(r.ListUserBookmarks(user_id)), what="user bookmarks")
    except RecombeeCallError as exc:
        if exc.status == 404:  # Recombee does not know the viewer: nothing to remove
            return 0
        raise
    ours: dict[str, list[tuple[str, float, float | None, datetime]]] = {}  # item → (kind, epoch, rating, at)
    for record in user_selectors.user_interactions(user_id=user_id):
        if record.kind == InteractionKind.RATING and record.value is not None:
            wanted: float | None = rating_normalise(record.value)
        elif record.kind == InteractionKind.DISLIKE:
            wanted = -1.0
        elif record.kind == InteractionKind.WATCHLIST:
            wanted = None
        else:
            continue
        kind = "bookmark" if record.kind == InteractionKind.WATCHLIST else "rating"
        ours.setdefault(record.item_id, []).append((kind, record.occurred_at.timestamp(), wanted, record.occurred_at))

    def ours_at(kind: str, stored: StoredInteraction) -> tuple[float | None, datetime] | None:
        # Within a second: Recombee may keep timestamps at a coarser precision than we send them.
        for our_kind, epoch, wanted, moment in ours.get(stored.item_id, []):
            if our_kind == kind and abs(epoch - stored.timestamp) < TIMESTAMP_TOLERANCE_SECONDS:
                return wanted, moment
        return None

    requests: list[Any] = []
    labels: list[str] = []
    for stored in stored_ratings:
        match = ours_at("rating", stored)
        if match is not None and stored.rating is not None and abs((match[0] or 0.0) - stored.rating) < 1e-6:
            continue
        requests.append(r.DeleteRating(user_id, stored.item_id, timestamp=stored.timestamp))
        labels.append(f"delete rating {stored.item_id}")
        if match is not None and match[0] is not None:
            requests.append(r.AddRating(user_id, stored.item_id, match[0], timestamp=match[1], cascade_create=True))
            labels.append(f"rating {stored.item_id}")
    for stored in stored_bookmarks:
        if ours_at("bookmark", stored) is None:
            requests.append(r.DeleteBookmark(user_id, stored.item_id, timestamp=stored.timestamp))
            labels.append(f"delete bookmark {stored.item_id}")
    if not requests:
        return 0
    result, error = batch_send(api=api, requests=requests, labels=labels)
    if error is not None or result is None:  # result is None only with an error
        raise RecombeeCallError(f"Recombee removals for user {user_id} failed: {error}")
    skips = _skips(result, labels)
    if skips:
        logger.warning("recombee_removals_refused user_id=%s skips=%s", user_id, skips[:5])
    deleted = sum(
        1 for label, sub in zip(labels, result.results, strict=True) if label.startswith("delete") and sub.done
    )
    logger.info("recombee_removals_pushed user_id=%s deleted=%s", user_id, deleted)
    return deleted


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
