"""The Trakt list writer: make each managed list hold exactly the given titles, in order.

Reference: https://trakt.docs.apiary.io/#reference/users/lists (create, items, items/remove,
items/reorder) and /users/settings (``limits.list.count``, ``limits.list.item_count``).
Diff-based: an unchanged pick list costs one read and no write; a changed one costs a remove, an
add, a re-read and a reorder at most. Writes are paced at one per second per account
(``users.trakt.write_limiter``); 429 waits ``Retry-After`` (reclio.http); 420 records
"Trakt account limit reached" on the list, which feeds reads to fall back to tmdb_query rows.
It writes what it is given: feeds decides the titles.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence

from django.core.cache import cache
from django.utils import timezone

from catalog.contracts import item_id_parse
from reclio.http import UpstreamError
from users.contracts import ConnectionState, ListState, ListWriteReport, ListWriteResult, ManagedListSpec
from users.models import ManagedList, User
from users.services.tokens import with_user_session
from users.trakt import client
from users.trakt.client import TraktAccountLimitError, TraktAuthError, TraktSession
from users.trakt.types import TraktList

logger = logging.getLogger(__name__)

LIMITS_MAX_AGE = dt.timedelta(hours=24)
WRITE_LOCK_SECONDS = 15 * 60
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


def _write_one(run: _Run, row: ManagedList, spec: ManagedListSpec) -> ListWriteResult:
    session = run.session
    writes_before = session.write_count
    created = adopted = False
    desired, skipped = _dedupe(spec.item_ids)
    desired = desired[: run.user.list_item_limit or DEFAULT_LIST_ITEM_LIMIT]
    if skipped:
        logger.info(
            "trakt_list_items_skipped user_id=%s key=%s count=%s reason=no_positive_tmdb_id items=%s",
            run.user.pk,
            spec.key,
            len(skipped),
            ",".join(skipped[:10]),
        )

    items = None
    if row.trakt_list_id is not None:
        try:
            items = client.list_items(session, list_id=row.trakt_list_id)
        except UpstreamError as exc:
            if exc.status != 404:
                raise
            logger.info("trakt_list_vanished user_id=%s key=%s list=%s", run.user.pk, row.key, row.trakt_list_id)
            row.trakt_list_id = None
    if row.trakt_list_id is None:
        # Adopt before creating: re-creating a list that exists wastes the account's list quota.
        match = next((lst for lst in run.mine() if lst.name == spec.name), None)
        if match is not None:
            row.trakt_list_id, row.trakt_slug, adopted = match.trakt_id, match.slug, True
            row.description = match.description
            items = client.list_items(session, list_id=match.trakt_id)
        else:
            if run.create_blocked:
                raise TraktAccountLimitError(run.create_blocked)
            try:
                new = client.list_create(session, name=spec.name, description=spec.description)
            except TraktAccountLimitError as exc:
                run.create_blocked = str(exc)
                raise
            run.mine().append(new)
            row.trakt_list_id, row.trakt_slug, created = new.trakt_id, new.slug, True
            row.name, row.description = spec.name, spec.description
            items = []
    if (row.name, row.description) != (spec.name, spec.description):
        client.list_update(session, list_id=row.trakt_list_id, name=spec.name, description=spec.description)
        row.name, row.description = spec.name, spec.description

    current = [item for item in items or [] if item.item_id is not None]
    current_ids = [item.item_id for item in current]
    desired_set, current_set = set(desired), set(current_ids)
    to_remove = [item_id for item_id in dict.fromkeys(current_ids) if item_id not in desired_set]
    to_add = [item_id for item_id in desired if item_id not in current_set]
    not_found: tuple[str, ...] = ()
    if to_remove:
        client.list_items_remove(session, list_id=row.trakt_list_id, item_ids=to_remove)
    foreign = [item.list_item_id for item in items or [] if item.item_id is None]  # no TMDB id: left alone
    if to_add:
        change = client.list_items_add(session, list_id=row.trakt_list_id, item_ids=to_add)
        not_found = change.not_found
        # New items are appended; read their list-item ids (needed by reorder) and real ranks.
        fresh = client.list_items(session, list_id=row.trakt_list_id)
        current = [item for item in fresh if item.item_id is not None]
        foreign = [item.list_item_id for item in fresh if item.item_id is None]
    else:
        current = [item for item in current if item.item_id in desired_set]
    target = [item_id for item_id in desired if item_id not in set(not_found)]
    by_id = {item.item_id: item.list_item_id for item in current}
    reordered = False
    if [item.item_id for item in current] != target:
        # Trakt reorders by the full list of list-item ids: ours in order, anything else after.
        ranks = [by_id[i] for i in target if i in by_id] + foreign
        client.list_items_reorder(session, list_id=row.trakt_list_id, list_item_ids=ranks)
        reordered = True

    writes = session.write_count - writes_before
    row.item_ids = [item_id for item_id in target if item_id in by_id]
    row.state, row.detail = ListState.OK, ""
    # Stamped on every successful run, writes or not: an unchanged list that was just verified is as
    # fresh as a rewritten one (feeds serves a list only while this is recent).
    row.last_written_at = timezone.now()
    row.save()
    return ListWriteResult(
        key=row.key,
        trakt_list_id=row.trakt_list_id,
        state=row.state,
        created=created,
        adopted=adopted,
        added=len(to_add) - len(not_found),
        removed=len(to_remove),
        reordered=reordered,
        writes=writes,
        not_found=not_found,
        skipped=skipped,
    )


def user_lists_write(*, user_id: uuid.UUID | str, lists: Sequence[ManagedListSpec]) -> ListWriteReport:
    """Make each managed list hold exactly ``spec.item_ids`` in order. Idempotent, diff-based.

    Transient failures (5xx, timeouts after retries) are recorded on the list as ``error`` and the
    report says ``retryable``; nothing else is half-done because every step is re-derived from
    Trakt's current list on the next run.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return ListWriteReport(user_id=str(user_id), skipped_reason="unknown user")
    if user.connection_state != ConnectionState.CONNECTED:
        return ListWriteReport(user_id=str(user.pk), skipped_reason=f"not connected ({user.connection_state})")
    lock = f"users:lists_write:{user.pk}"
    if not cache.add(lock, 1, timeout=WRITE_LOCK_SECONDS):
        return ListWriteReport(user_id=str(user.pk), skipped_reason="another list write is running")
    sessions: list[TraktSession] = []
    results: list[ListWriteResult] = []
    retryable = False
    try:

        def work(session: TraktSession) -> None:
            nonlocal retryable
            run = _Run(session, user)
            _limits_refresh(run)
            results.clear()
            for spec in lists:
                row, _ = ManagedList.objects.get_or_create(
                    user=user, key=spec.key, defaults={"name": spec.name, "description": spec.description}
                )
                try:
                    results.append(_write_one(run, row, spec))
                except TraktAuthError:
                    raise
                except TraktAccountLimitError as exc:
                    results.append(_record_failure(row, ListState.LIMIT_REACHED, f"Trakt account limit reached: {exc}"))
                except UpstreamError as exc:
                    retryable = retryable or not exc.permanent
                    results.append(_record_failure(row, ListState.ERROR, str(exc)))

        with_user_session(user=user, work=work, sessions=sessions)
    finally:
        cache.delete(lock)
    report = ListWriteReport(
        user_id=str(user.pk),
        lists=tuple(results),
        requests=sum(s.request_count for s in sessions),
        writes=sum(s.write_count for s in sessions),
        retryable=retryable,
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
    row.save(update_fields=["state", "detail", "trakt_list_id", "trakt_slug", "name", "description", "updated_at"])
    logger.warning("trakt_list_write_failed user_id=%s key=%s state=%s detail=%s", row.user_id, row.key, state, detail)
    return ListWriteResult(key=row.key, trakt_list_id=row.trakt_list_id, state=state, detail=row.detail)
