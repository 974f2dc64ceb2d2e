"""The Trakt list writer: make each managed list hold exactly the given titles, in order.

Reference: https://trakt.docs.apiary.io/#reference/users/lists (create, items, items/remove,
items/reorder) and /users/settings (``limits.list.count``, ``limits.list.item_count``).
Diff-based: an unchanged pick list costs one read and no write; a changed one costs a remove, an
add and a re-read, and a reorder only when that is cheaper than re-appending the changed tail
(``list_diff``): at most 2 writes for the nightly change. Writes are paced at one per second per account
(``users.trakt.write_limiter``); 429 waits ``Retry-After`` (reclio.http); 420 records
"Trakt account limit reached" on the list, which feeds reads to fall back to tmdb_query rows.
It writes what it is given: feeds decides the titles.

Asking and writing are apart (docs/design/feeds.md, "Refresh"): feeds composes rows on its fast
queue and calls ``user_lists_request``, which stores what each list must hold and queues the
``users.user_lists_write`` task (queue ``trakt_lists``) after commit. A list whose content changed
is "pending" from that moment, so /feeds serves its TMDB fallback until the task has written it.
The task writes whatever was asked last (a stale message writes the newest request), retries
transient Trakt failures with backoff, and tells feeds when it is done (``FEEDS_USER_LISTS_WRITTEN``).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from catalog.contracts import item_id_parse
from reclio.enqueue import enqueue_each_on_commit
from reclio.events import FEEDS_USER_LISTS_WRITTEN, send_on_commit
from reclio.http import UpstreamError
from reclio.locks import held, task_owner
from reclio.queues import Queue
from users.contracts import (
    ConnectionState,
    ListState,
    ListWriteReport,
    ListWriteResult,
    ManagedListSpec,
    ManagedListState,
)
from users.models import ManagedList, User
from users.selectors import user_managed_lists
from users.services.tokens import with_user_session
from users.trakt import client
from users.trakt.client import TraktAccountLimitError, TraktAuthError, TraktSession
from users.trakt.types import ListItem, TraktList

logger = logging.getLogger(__name__)

LIMITS_MAX_AGE = dt.timedelta(hours=24)
# One writer per account at a time. Outlives the task's hard time limit (users.tasks), so a lock
# left by a killed worker expires; a redelivery of the same task takes its own lock over.
WRITE_LOCK_SECONDS = 15 * 60
WRITE_BUSY = "another list write is running"
# A viewer whose newest Trakt activity (as the last sync saw it) is this recent just watched or
# rated something: their list write goes to the interactive queue, everyone else's to the bulk one.
# Heavy viewers are synced hourly, so two hours covers the sync that saw the watch and its rewrite.
INTERACTIVE_WINDOW = dt.timedelta(hours=2)
# What a writer run saves on a list row; never ``wanted``/``wanted_at`` (a newer request's).
_WRITTEN_FIELDS = ("trakt_list_id", "trakt_slug", "name", "description", "updated_at")
# When /users/settings does not say (older accounts): the free plan's per-list limit (2026).
DEFAULT_LIST_ITEM_LIMIT = 250


class _Run:
    """State shared by the lists of one writer run (one account)."""

    def __init__(self, session: TraktSession, user: User) -> None:
        self.session = session
        self.user = user
        self._mine: list[TraktList] | None = None
        self.create_blocked = ""  # a 420 on create: do not waste more creates this run

    def mine(self) -> list[TraktList]:
        if self._mine is None:
            self._mine = client.lists_mine(self.session)
        return self._mine


def _dedupe(item_ids: Sequence[str]) -> tuple[list[str], tuple[str, ...]]:
    """The writable ids in order without repeats, and the ids skipped because Trakt cannot take them.

    Trakt matches titles by a positive TMDB id; Netflix-only shows carry negative ids
    (docs/design/catalog.md, "Netflix shows") that ``item_id_parse`` refuses and must never reach Trakt.
    """
    seen: set[str] = set()
    ordered: list[str] = []
    skipped: list[str] = []
    for item_id in item_ids:
        if item_id in seen:
            continue
        seen.add(item_id)
        (ordered if item_id_parse(item_id) is not None else skipped).append(item_id)
    return ordered, tuple(skipped)


def _limits_refresh(run: _Run) -> None:
    user = run.user
    if user.limits_checked_at and user.limits_checked_at > timezone.now() - LIMITS_MAX_AGE:
        return
    account = client.account_settings(run.session)
    user.list_limit, user.list_item_limit = account.list_limit, account.list_item_limit
    user.trakt_vip = account.vip
    user.limits_checked_at = timezone.now()
    user.save(update_fields=["list_limit", "list_item_limit", "trakt_vip", "limits_checked_at", "updated_at"])


@dataclass(frozen=True)
class ListDiff:
    """The titles one write takes off a Trakt list and puts on it (in this order: Trakt appends adds)."""

    remove: tuple[str, ...]
    add: tuple[str, ...]


def list_diff(*, current: Sequence[ListItem], wanted: Sequence[str]) -> ListDiff:
    """Pure: what to remove and add so the list holds ``wanted``, in the fewest writes. Items without a
    TMDB id are not ours.

    Trakt allows one write per second per account, so writes, not titles, are what a list update
    costs. Two ways to get there: take off only what left and append what is new, then reorder if
    the order is wrong (up to 3 writes: the usual nightly change, new picks at the top, needs the
    reorder); or keep the part of the list that already starts like ``wanted``, take off everything
    after it and append the rest in order (at most 2 writes, no reorder, since Trakt appends an
    add's titles in the order given). The cheaper one wins; on a tie, the one that moves fewer titles.
    """
    current_ids = list(dict.fromkeys(item.item_id for item in current if item.item_id is not None))
    wanted_set, current_set = set(wanted), set(current_ids)
    by_difference = ListDiff(
        remove=tuple(item_id for item_id in current_ids if item_id not in wanted_set),
        add=tuple(item_id for item_id in wanted if item_id not in current_set),
    )
    kept = [item_id for item_id in current_ids if item_id in wanted_set]
    reorder_needed = [*kept, *by_difference.add] != list(wanted)
    prefix = 0
    while prefix < min(len(current_ids), len(wanted)) and current_ids[prefix] == wanted[prefix]:
        prefix += 1
    by_tail = ListDiff(remove=tuple(current_ids[prefix:]), add=tuple(wanted[prefix:]))
    if _writes(by_tail) < _writes(by_difference) + reorder_needed:
        return by_tail
    return by_difference


def _writes(diff: ListDiff) -> int:
    return bool(diff.remove) + bool(diff.add)


@dataclass(frozen=True)
class ListOrder:
    item_ids: tuple[str, ...]  # what the list holds afterwards, in our order
    ranks: tuple[int, ...] | None  # list-item ids for /items/reorder; None when already in order


def list_order(*, items: Sequence[ListItem], target: Sequence[str]) -> ListOrder:
    """Pure: whether the list as it now stands needs a reorder to follow ``target``, and the ranks.

    Trakt reorders by the full list of list-item ids: ours in order, anything else (items without a
    TMDB id) after, as they were.
    """
    ours = [item for item in items if item.item_id is not None]
    foreign = tuple(item.list_item_id for item in items if item.item_id is None)
    by_id = {item.item_id: item.list_item_id for item in ours}
    held = tuple(item_id for item_id in target if item_id in by_id)
    if [item.item_id for item in ours] == list(target):
        return ListOrder(item_ids=held, ranks=None)
    return ListOrder(item_ids=held, ranks=tuple(by_id[item_id] for item_id in held) + foreign)


def _wanted(run: _Run, spec: ManagedListSpec) -> tuple[list[str], tuple[str, ...]]:
    """The ids to write (deduped, capped at the account's per-list limit) and the ids skipped."""
    wanted, skipped = _dedupe(spec.item_ids)
    if skipped:
        logger.info(
            "trakt_list_items_skipped user_id=%s key=%s count=%s reason=no_positive_tmdb_id items=%s",
            run.user.pk,
            spec.key,
            len(skipped),
            ",".join(skipped[:10]),
        )
    return wanted[: run.user.list_item_limit or DEFAULT_LIST_ITEM_LIMIT], skipped


def _list_read(run: _Run, row: ManagedList) -> list[ListItem] | None:
    """The items of the row's Trakt list; None when it has none (never made, or deleted on Trakt)."""
    if row.trakt_list_id is None:
        return None
    try:
        return client.list_items(run.session, list_id=row.trakt_list_id)
    except UpstreamError as exc:
        if exc.status != 404:
            raise
        logger.info("trakt_list_vanished user_id=%s key=%s list=%s", run.user.pk, row.key, row.trakt_list_id)
        row.trakt_list_id = None
        return None


def _list_adopt(run: _Run, row: ManagedList, spec: ManagedListSpec) -> list[ListItem] | None:
    """Take over the account's list of this name, if any: re-creating it would waste the list quota."""
    match = next((lst for lst in run.mine() if lst.name == spec.name), None)
    if match is None:
        return None
    row.trakt_list_id, row.trakt_slug, row.description = match.trakt_id, match.slug, match.description
    return client.list_items(run.session, list_id=match.trakt_id)


def _list_create(run: _Run, row: ManagedList, spec: ManagedListSpec) -> None:
    if run.create_blocked:
        raise TraktAccountLimitError(run.create_blocked)
    try:
        new = client.list_create(run.session, name=spec.name, description=spec.description)
    except TraktAccountLimitError as exc:
        run.create_blocked = str(exc)
        raise
    run.mine().append(new)
    row.trakt_list_id, row.trakt_slug = new.trakt_id, new.slug
    row.name, row.description = spec.name, spec.description


def _list_describe(run: _Run, row: ManagedList, spec: ManagedListSpec, *, list_id: int) -> None:
    if (row.name, row.description) != (spec.name, spec.description):
        client.list_update(run.session, list_id=list_id, name=spec.name, description=spec.description)
        row.name, row.description = spec.name, spec.description


def _list_items_write(
    run: _Run, items: list[ListItem], diff: ListDiff, *, list_id: int
) -> tuple[list[ListItem], tuple[str, ...]]:
    """Remove, then add: the list's items afterwards and the added ids Trakt did not find."""
    if diff.remove:
        client.list_items_remove(run.session, list_id=list_id, item_ids=diff.remove)
    if not diff.add:
        return [item for item in items if item.item_id not in diff.remove], ()
    not_found = client.list_items_add(run.session, list_id=list_id, item_ids=diff.add).not_found
    # New items are appended; read their list-item ids (needed by reorder) and real ranks.
    return client.list_items(run.session, list_id=list_id), not_found


def _write_one(run: _Run, row: ManagedList, spec: ManagedListSpec) -> ListWriteResult:
    writes_before = run.session.write_count
    wanted, skipped = _wanted(run, spec)
    adopted = created = False
    items = _list_read(run, row)
    if items is None:
        items = _list_adopt(run, row, spec)
        adopted = items is not None
    if items is None:
        _list_create(run, row, spec)
        items, created = [], True
    list_id = row.trakt_list_id
    if list_id is None:  # cannot happen: the list was read, adopted or created just above
        raise RuntimeError(f"managed list {row.key!r} has no Trakt list id")
    _list_describe(run, row, spec, list_id=list_id)
    diff = list_diff(current=items, wanted=wanted)
    items, not_found = _list_items_write(run, items, diff, list_id=list_id)
    order = list_order(items=items, target=[item_id for item_id in wanted if item_id not in set(not_found)])
    if order.ranks is not None:
        client.list_items_reorder(run.session, list_id=list_id, list_item_ids=order.ranks)
    row.item_ids = list(order.item_ids)
    # Stamped on every successful run, writes or not: an unchanged list that was just verified is as
    # fresh as a rewritten one (feeds serves a list only while this is recent).
    row.last_written_at = timezone.now()
    # Never saves ``wanted``: a request that arrived during this run must survive it.
    row.save(update_fields=[*_WRITTEN_FIELDS, "item_ids", "last_written_at"])
    # "ok" only if nobody asked for other titles meanwhile; a newer request keeps the list pending
    # (its own task message is queued and writes it next).
    current = ManagedList.objects.filter(pk=row.pk, wanted_at=row.wanted_at).update(state=ListState.OK, detail="")
    row.state, row.detail = (ListState.OK if current else ListState.PENDING), ""
    return ListWriteResult(
        key=row.key,
        trakt_list_id=row.trakt_list_id,
        state=row.state,
        created=created,
        adopted=adopted,
        added=len(diff.add) - len(not_found),
        removed=len(diff.remove),
        reordered=order.ranks is not None,
        writes=run.session.write_count - writes_before,
        not_found=not_found,
        skipped=skipped,
    )


def _wanted_of(spec: ManagedListSpec) -> dict[str, object]:
    return {"name": spec.name, "description": spec.description, "item_ids": list(spec.item_ids)}


def _spec_of(row: ManagedList) -> ManagedListSpec:
    wanted = row.wanted or {}
    return ManagedListSpec(
        key=row.key,
        name=str(wanted.get("name") or row.name),
        description=str(wanted.get("description") or ""),
        item_ids=tuple(wanted.get("item_ids") or ()),
    )


def _wanted_store(*, user: User, lists: Sequence[ManagedListSpec]) -> None:
    """Remember what each list must hold; a list whose content changes is pending until written."""
    now = timezone.now()
    for spec in lists:
        wanted = _wanted_of(spec)
        row, created = ManagedList.objects.get_or_create(
            user=user,
            key=spec.key,
            defaults={"name": spec.name, "description": spec.description, "wanted": wanted, "wanted_at": now},
        )
        if created or row.wanted == wanted:
            continue
        ManagedList.objects.filter(pk=row.pk).update(
            wanted=wanted, wanted_at=now, state=ListState.PENDING, detail="", updated_at=now
        )


def user_lists_request(*, user_id: uuid.UUID | str, lists: Sequence[ManagedListSpec]) -> dict[str, ManagedListState]:
    """Ask for these lists (feeds, after composing rows) and queue the writer after commit.

    Returns every managed list's state after the request: a list whose titles, name or description
    changed is "pending" (serve its fallback), an unchanged one keeps its state (a written list stays
    "ok"). The writer task runs either way: for unchanged lists it verifies them with one read each and
    keeps them fresh. Nothing is queued for a viewer who is not connected (their lists stay as they are).
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None or not lists:
        return {}
    with transaction.atomic():
        _wanted_store(user=user, lists=lists)
        if user.connection_state == ConnectionState.CONNECTED:
            _write_enqueue(user=user)
    return user_managed_lists(user_id=user.pk)


def user_lists_write_queue(*, user: User, now: dt.datetime | None = None) -> str:
    """``trakt_lists`` for a viewer who was active on Trakt lately, ``trakt_lists_bulk`` otherwise."""
    now = now or timezone.now()
    recent = user.last_trakt_activity_at is not None and user.last_trakt_activity_at >= now - INTERACTIVE_WINDOW
    return Queue.TRAKT_LISTS.value if recent else Queue.TRAKT_LISTS_BULK.value


def _write_enqueue(*, user: User) -> None:
    """Queue ``users.user_lists_write`` after commit on the viewer's queue (a retry stays on it)."""
    from users.tasks import user_lists_write_task

    queue = user_lists_write_queue(user=user)
    enqueue_each_on_commit(
        lambda user_id: user_lists_write_task.apply_async(args=(user_id,), queue=queue),
        [str(user.pk)],
        what="user_lists_write",
    )


def user_lists_write(
    *, user_id: uuid.UUID | str, lists: Sequence[ManagedListSpec] | None = None, owner: str | None = None
) -> ListWriteReport:
    """Make each managed list hold what was asked of it, in order. Idempotent, diff-based.

    ``lists`` are first stored as the request (then only those are written); without them every
    list with a stored request is written (the task's path). ``owner`` is the lock owner, the task id
    (``reclio.locks``): a redelivery of the same task takes its own lock over.

    Transient failures (5xx, timeouts after retries) are recorded on the list as ``error`` and the
    report says ``retryable``; nothing else is half-done because every step is re-derived from
    Trakt's current list on the next run. When something was attempted, feeds is told
    (``FEEDS_USER_LISTS_WRITTEN``) so it serves each written list, or its fallback.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return ListWriteReport(user_id=str(user_id), skipped_reason="unknown user")
    if lists:
        _wanted_store(user=user, lists=lists)
    if user.connection_state != ConnectionState.CONNECTED:
        return ListWriteReport(user_id=str(user.pk), skipped_reason=f"not connected ({user.connection_state})")
    keys = [spec.key for spec in lists] if lists else None
    with held(f"users:lists_write:{user.pk}", owner=owner or task_owner(None), ttl_seconds=WRITE_LOCK_SECONDS) as mine:
        if not mine:
            return ListWriteReport(user_id=str(user.pk), skipped_reason=WRITE_BUSY)
        report = _lists_write_locked(user=user, keys=keys)
    if report.lists:
        send_on_commit(FEEDS_USER_LISTS_WRITTEN, user_id=str(user.pk))
    return report


def _lists_write_locked(*, user: User, keys: Sequence[str] | None) -> ListWriteReport:
    sessions: list[TraktSession] = []
    results: list[ListWriteResult] = []
    retryable = False
    retry_after: float | None = None

    def work(session: TraktSession) -> None:
        nonlocal retryable, retry_after
        run = _Run(session, user)
        _limits_refresh(run)
        results.clear()
        rows = {row.key: row for row in ManagedList.objects.filter(user=user, wanted__isnull=False)}
        for key in keys if keys is not None else sorted(rows):
            row = rows.get(key)
            if row is None:
                continue
            try:
                results.append(_write_one(run, row, _spec_of(row)))
            except TraktAuthError:
                raise
            except TraktAccountLimitError as exc:
                results.append(_record_failure(row, ListState.LIMIT_REACHED, f"Trakt account limit reached: {exc}"))
            except UpstreamError as exc:
                if not exc.permanent:
                    retryable = True
                    if exc.retry_after is not None:
                        retry_after = max(retry_after or 0.0, exc.retry_after)
                results.append(_record_failure(row, ListState.ERROR, str(exc)))

    with_user_session(user=user, work=work, sessions=sessions)
    report = ListWriteReport(
        user_id=str(user.pk),
        lists=tuple(results),
        requests=sum(s.request_count for s in sessions),
        writes=sum(s.write_count for s in sessions),
        retryable=retryable,
        retry_after=retry_after,
    )
    logger.info(
        "trakt_lists_written user_id=%s lists=%s requests=%s writes=%s states=%s",
        user.pk,
        len(results),
        report.requests,
        report.writes,
        ",".join(r.state for r in results),
    )
    return report


def _record_failure(row: ManagedList, state: str, detail: str) -> ListWriteResult:
    row.state, row.detail = state, detail[:300]
    row.save(update_fields=["state", "detail", *_WRITTEN_FIELDS])
    logger.warning("trakt_list_write_failed user_id=%s key=%s state=%s detail=%s", row.user_id, row.key, state, detail)
    return ListWriteResult(key=row.key, trakt_list_id=row.trakt_list_id, state=state, detail=row.detail)
