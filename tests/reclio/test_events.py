from __future__ import annotations

import logging
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache

from reclio import events
from reclio.celery import app
from reclio.events import TaskRef, send_on_commit
from reclio.queues import BULK_PRIORITY

pytestmark = pytest.mark.django_db

DECLARED = [value for value in vars(events).values() if isinstance(value, TaskRef)]


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every publish as (name, kwargs, options): the options carry the queue and retry=False."""
    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def send_task(name: str, args: Any = None, kwargs: dict[str, Any] | None = None, **options: Any) -> None:
        calls.append((name, dict(kwargs or {}), options))

    cache.clear()
    monkeypatch.setattr(app, "send_task", send_task)
    return calls


def test_every_declared_task_is_registered_under_its_name_on_its_queue():
    # given: what a worker imports at start
    app.loader.import_default_modules()

    # then: a sender by name and the owning task agree on name and queue
    assert {ref.name for ref in DECLARED} >= {
        "recsys.catalog_changed",
        "recsys.user_interactions_changed",
        "feeds.user_rows_refresh",
    }
    for ref in DECLARED:
        assert app.tasks[ref.name].queue == ref.queue, ref.name  # type: ignore[attr-defined]  # celery-stubs omit Task.queue (set by queue= on the decorator)


def test_every_beat_entry_runs_a_declared_task_on_its_queue():
    declared = {ref.name: ref.queue for ref in DECLARED}
    for key, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert declared.get(entry["task"]) == entry["options"]["queue"], key


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"user_id": "u1"},
        {"user_id": "u1", "last_watched": None, "reason": "x"},
        {"user": "u1", "last_watched": None},
    ],
)
def test_arguments_the_event_does_not_declare_are_refused(published, kwargs, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(TypeError, match="user_id"):
        send_on_commit(events.FEEDS_USER_ROWS_REFRESH, **kwargs)

    # then
    assert callbacks == []
    assert published == []


def test_nothing_is_sent_before_commit(published, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = send_on_commit(events.RECSYS_USER_INTERACTIONS_CHANGED, user_id="u1")

    # then: registered, not published
    assert queued is True
    assert published == []

    # when the transaction commits
    for callback in callbacks:
        callback()

    # then: by name, on the declared queue, failing fast when the broker is down
    assert published == [
        ("recsys.user_interactions_changed", {"user_id": "u1"}, {"queue": "recsys", "retry": False}),
    ]


def test_a_deduplicated_event_is_queued_once_per_window_and_arguments(published, django_capture_on_commit_callbacks):
    # when: a burst of identical sends, and one with another anchor
    with django_capture_on_commit_callbacks(execute=True):
        results = [send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None) for _ in range(3)]
        other = send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched="movie:1")

    # then
    assert results == [True, False, False]
    assert other is True
    assert [kwargs for _, kwargs, _ in published] == [
        {"user_id": "u1", "last_watched": None},
        {"user_id": "u1", "last_watched": "movie:1"},
    ]


def test_a_bulk_send_goes_at_bulk_priority_and_never_swallows_an_urgent_one(
    published, django_capture_on_commit_callbacks
):
    # when: the nightly fan-out asks for a viewer's rows, then the viewer acts before it ran
    with django_capture_on_commit_callbacks(execute=True):
        bulk = [send_on_commit(events.FEEDS_USER_ROWS_REFRESH, bulk=True, user_id="u1", last_watched=None)] * 2
        urgent = send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None)
        again = send_on_commit(events.FEEDS_USER_ROWS_REFRESH, bulk=True, user_id="u1", last_watched=None)

    # then: one bulk message at BULK_PRIORITY, and the urgent one at the default (served first)
    assert (bulk[0], urgent, again) == (True, True, False)
    assert [options.get("priority") for _, _, options in published] == [BULK_PRIORITY, None]

    # when: the refresh starts running, both windows open again
    events.event_pending_clear(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None)
    with django_capture_on_commit_callbacks(execute=True):
        reopened = [
            send_on_commit(events.FEEDS_USER_ROWS_REFRESH, bulk=flag, user_id="u1", last_watched=None)
            for flag in (True, False)
        ]
    assert reopened == [True, True]


def test_the_window_is_the_declared_setting(published, settings, django_capture_on_commit_callbacks):
    # given
    settings.FEEDS_REFRESH_LOCK_SECONDS = 123

    # when
    with mock.patch("reclio.events.cache.add", return_value=True) as add:
        send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None)

    # then
    assert add.call_args.args[2] == 123


def test_an_event_without_a_window_is_never_deduplicated(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        results = [send_on_commit(events.RECSYS_CATALOG_CHANGED, item_ids=["movie_1"]) for _ in range(2)]

    assert results == [True, True]
    assert len(published) == 2


def test_redis_down_skips_a_deduplicated_event_silently(published, django_capture_on_commit_callbacks):
    # when
    with (
        mock.patch("reclio.events.cache.add", side_effect=ConnectionError("redis down")),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        queued = send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None)

    # then
    assert queued is False
    assert callbacks == []
    assert published == []


def test_one_failing_publish_does_not_stop_the_next(monkeypatch, caplog, django_capture_on_commit_callbacks):
    # given: the broker refuses the first message only
    attempts: list[list[str]] = []

    def send_task(name: str, *, kwargs: dict[str, Any], **options: Any) -> None:
        attempts.append(kwargs["item_ids"])
        if len(attempts) == 1:
            raise OSError("broker down")

    monkeypatch.setattr(app, "send_task", send_task)
    caplog.set_level(logging.WARNING, logger="reclio.events")

    # when: a fan-out of two sends commits
    with django_capture_on_commit_callbacks(execute=True):
        send_on_commit(events.RECSYS_CATALOG_CHANGED, item_ids=["movie_1"])
        send_on_commit(events.RECSYS_CATALOG_CHANGED, item_ids=["movie_2"])

    # then: the second was still published, and the failure is logged (ids by count)
    assert attempts == [["movie_1"], ["movie_2"]]
    assert [r.getMessage() for r in caplog.records] == [
        "event_send_failed name=recsys.catalog_changed item_ids_count=1"
    ]


def test_a_send_after_the_task_started_is_queued_again(published, django_capture_on_commit_callbacks):
    # given: a refresh is waiting in the queue
    with django_capture_on_commit_callbacks(execute=True):
        assert send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None) is True
        assert send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None) is False

    # when: the owning task starts (what it computes may already be stale for a later change)
    events.event_pending_clear(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None)
    with django_capture_on_commit_callbacks(execute=True):
        again = send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None)

    # then: the change that arrived during the run gets a run of its own
    assert again is True
    assert len(published) == 2


def test_a_failed_publish_does_not_hold_the_window(monkeypatch, django_capture_on_commit_callbacks):
    # given: the broker refuses the first message
    attempts: list[str] = []

    def send_task(name: str, *, kwargs: dict[str, Any], **options: Any) -> None:
        attempts.append(kwargs["user_id"])
        if len(attempts) == 1:
            raise OSError("broker down")

    cache.clear()
    monkeypatch.setattr(app, "send_task", send_task)

    # when: the same refresh is asked for again
    with django_capture_on_commit_callbacks(execute=True):
        send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None)
    with django_capture_on_commit_callbacks(execute=True):
        second = send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="u1", last_watched=None)

    # then: nothing was pending, so it is published
    assert second is True
    assert attempts == ["u1", "u1"]
