"""Fan-outs that survive a broker error: every message is sent on its own, after commit.

A service that queues one task per viewer / chunk used to register one ``on_commit`` hook per
message. Django runs commit hooks in order and stops at the first one that raises, so one broker
error (a connection reset, Redis restarting) silently dropped every later message, after the
caller had already recorded the work as queued (a sweep had advanced ``next_sync_at``).

``enqueue_each_on_commit`` sends each message independently, logs the failures once with a count,
and hands the items whose send failed to ``on_failed`` so the caller can undo its bookkeeping for
exactly those (the cadence sweep makes them due again; a chunk of stale embeddings simply stays
stale for the next sweep). It never raises for a failed send: the caller's transaction has already
committed, and an exception here would turn a stored result (an OAuth connection) into an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")


def enqueue_each(
    send: Callable[[T], object],
    items: Sequence[T],
    *,
    what: str,
    on_failed: Callable[[list[T]], None] | None = None,
) -> list[T]:
    """Call ``send(item)`` for every item, each on its own; the items whose send raised.

    ``what`` names the fan-out in the log line (``enqueue_failed what=user_sync failed=1 total=3``).
    """
    failed: list[T] = []
    first_error: BaseException | None = None
    for item in items:
        try:
            send(item)
        except Exception as exc:  # noqa: BLE001 - one broker error must not drop the other messages
            failed.append(item)
            first_error = first_error or exc
    if not failed:
        return failed
    logger.warning(
        "enqueue_failed what=%s failed=%s total=%s error=%s",
        what,
        len(failed),
        len(items),
        f"{type(first_error).__name__}: {first_error}"[:300],
    )
    if on_failed is not None:
        try:
            on_failed(failed)
        except Exception:
            logger.warning("enqueue_failed_followup_failed what=%s", what, exc_info=True)
    return failed


def enqueue_each_on_commit(
    send: Callable[[T], object],
    items: Sequence[T],
    *,
    what: str,
    on_failed: Callable[[list[T]], None] | None = None,
) -> int:
    """``enqueue_each`` once the current transaction commits (at once outside one); returns ``len(items)``."""
    batch = list(items)
    if batch:
        transaction.on_commit(lambda: enqueue_each(send, batch, what=what, on_failed=on_failed))
    return len(batch)
