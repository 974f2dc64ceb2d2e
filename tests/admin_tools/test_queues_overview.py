"""Queue depths and the oldest waiting task, read from the (embedded, real) Redis broker."""

from __future__ import annotations

from typing import Any, cast

import pytest
from celery import current_app

from admin_tools.models import HealthSnapshot
from admin_tools.selectors import queues_overview
from reclio.tasks import echo_task

pytestmark = pytest.mark.django_db

QUEUE = "trakt_lists"
MARK = "ops-queues-overview-test"


def _drop_our_messages() -> None:
    with current_app.connection_for_write() as conn:
        client = cast(Any, conn.default_channel).client
        for raw in client.lrange(QUEUE, 0, -1):
            if MARK.encode() in raw:
                client.lrem(QUEUE, 0, raw)


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
