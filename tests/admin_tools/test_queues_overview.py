"""Queue depths and the oldest waiting task, read from the (embedded, real) Redis broker."""

from __future__ import annotations

import time
from typing import Any, cast

import pytest
from celery import current_app

from admin_tools.models import HealthSnapshot
from admin_tools.selectors import queues_overview
from reclio.queues import BULK_PRIORITY
from reclio.tasks import echo_task

pytestmark = pytest.mark.django_db

QUEUE = "trakt_lists"
MARK = "ops-queues-overview-test"


def _drop_our_messages() -> None:
    with current_app.connection_for_write() as conn:
        channel = cast(Any, conn.default_channel)
        for key in [QUEUE, *(f"{QUEUE}{channel.sep}{step}" for step in channel.priority_steps if step)]:
            for raw in channel.client.lrange(key, 0, -1):
                if MARK.encode() in raw:
                    channel.client.lrem(key, 0, raw)


def test_a_published_task_is_counted_and_shown_as_oldest_with_its_age():
    # given: a real publish (not eager) to a queue nobody consumes in the test run
    HealthSnapshot.objects.create(
        ok=True, checks=[{"name": "workers", "ok": True, "facts": {"consumers": {QUEUE: ["w@h"]}}}]
    )
    _drop_our_messages()
    before = {row["queue"]: row for row in queues_overview()}
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    try:
        echo_task.apply_async(args=(MARK,), queue=QUEUE, expires=120)

        # when
        after = {row["queue"]: row for row in queues_overview()}
    finally:
        current_app.conf.task_always_eager = eager
        _drop_our_messages()

    # then
    row = after[QUEUE]
    assert row["depth"] == before[QUEUE]["depth"] + 1
    assert row["workers"] == ["w@h"]
    if before[QUEUE]["depth"] == 0:
        assert row["oldest"]["task"] == "reclio.echo"
        assert 0 <= row["oldest"]["age_seconds"] < 60  # from the published_at header reclio.celery stamps


def test_a_fan_out_message_waiting_at_bulk_priority_is_counted_and_can_be_the_oldest():
    # given: kombu keeps a bulk-priority message in a list of its own, next to the queue's list
    _drop_our_messages()
    before = {row["queue"]: row for row in queues_overview()}
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    try:
        echo_task.apply_async(args=(MARK,), queue=QUEUE, expires=120, priority=BULK_PRIORITY)
        time.sleep(0.05)
        echo_task.apply_async(args=(MARK,), queue=QUEUE, expires=120)

        # when
        after = {row["queue"]: row for row in queues_overview()}
    finally:
        current_app.conf.task_always_eager = eager
        _drop_our_messages()

    # then: both are waiting; the bulk one, sent first, is the oldest
    assert after[QUEUE]["depth"] == before[QUEUE]["depth"] + 2
    if before[QUEUE]["depth"] == 0:
        assert after[QUEUE]["oldest"]["age_seconds"] >= 0.05


def test_an_unreachable_broker_is_reported_not_raised(settings, monkeypatch):
    # given
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("refused")

    monkeypatch.setattr(current_app, "connection_for_write", refuse)

    # when
    rows = queues_overview()

    # then
    assert {row["depth"] for row in rows} == {None}
    assert all("refused" in row["error"] for row in rows)
