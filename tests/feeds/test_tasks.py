from __future__ import annotations

from unittest import mock

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded

from feeds.tasks import user_lists_written_task, user_rows_refresh_task
from reclio.locks import lock_acquire, lock_owner
from tests.feeds.conftest import USER_ID


def test_task_name_and_queue_are_the_contract():
    assert user_rows_refresh_task.name == "feeds.user_rows_refresh"
    assert user_rows_refresh_task.queue == "feeds"


def test_task_calls_the_service_once_and_releases_its_lock():
    with mock.patch("feeds.services.user_feed_rows_refresh") as service:
        user_rows_refresh_task.apply(kwargs={"user_id": USER_ID, "last_watched": "movie:1"}).get()

    service.assert_called_once_with(user_id=USER_ID, last_watched="movie:1")
    assert lock_owner(f"feeds.user_rows_refresh:{USER_ID}") is None


@pytest.mark.django_db
def test_a_refresh_asked_for_while_the_task_runs_is_queued_again(sent_tasks, django_capture_on_commit_callbacks):
    # given: a refresh is pending, so an identical request is folded into it
    from reclio import events

    with django_capture_on_commit_callbacks(execute=True):
        events.send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id=USER_ID, last_watched=None)
        events.send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id=USER_ID, last_watched=None)
    assert len(sent_tasks) == 1

    # when: the task starts, and new picks ask for another refresh during its run
    with (
        mock.patch("feeds.services.user_feed_rows_refresh"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        user_rows_refresh_task.apply(kwargs={"user_id": USER_ID, "last_watched": None}).get()
        events.send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id=USER_ID, last_watched=None)

    # then: the later change is not lost in the first run's window
    assert len(sent_tasks) == 2


def test_a_second_run_for_the_same_user_waits_instead_of_running_concurrently():
    # given: another worker holds the user's lock
    lock_acquire(f"feeds.user_rows_refresh:{USER_ID}", owner="another-task", ttl_seconds=60)

    # when / then
    with (
        mock.patch("feeds.services.user_feed_rows_refresh") as service,
        mock.patch.object(user_rows_refresh_task, "retry", side_effect=Retry()) as retry,
    ):
        with pytest.raises(Retry):
            user_rows_refresh_task.run(user_id=USER_ID, last_watched=None)

    service.assert_not_called()
    retry.assert_called_once_with(countdown=30)


def test_the_task_is_registered_under_the_name_other_apps_send():
    # given: users and recsys notify feeds by name (reclio.events), never importing it
    from celery import current_app

    with mock.patch("feeds.services.user_feed_rows_refresh") as service:
        # when
        current_app.tasks["feeds.user_rows_refresh"].apply(kwargs={"user_id": USER_ID, "last_watched": None})

    # then
    service.assert_called_once_with(user_id=USER_ID, last_watched=None)


def test_a_redelivered_refresh_takes_its_own_lock_over_instead_of_waiting_out_its_retries():
    # given: this task's first delivery died holding the user's lock (task id = lock owner)
    lock_acquire(f"feeds.user_rows_refresh:{USER_ID}", owner="refresh-1", ttl_seconds=600)

    # when: the broker delivers it again
    with mock.patch("feeds.services.user_feed_rows_refresh") as service:
        user_rows_refresh_task.apply(kwargs={"user_id": USER_ID, "last_watched": None}, task_id="refresh-1").get()

    # then: it refreshed and freed the lock
    service.assert_called_once_with(user_id=USER_ID, last_watched=None)
    assert lock_owner(f"feeds.user_rows_refresh:{USER_ID}") is None


def test_switching_to_written_lists_is_retried_when_a_run_hits_its_soft_time_limit():
    # given: the first run is cut by its soft time limit (the machine was paused), the next one works
    with mock.patch("feeds.services.user_feed_lists_apply", side_effect=[SoftTimeLimitExceeded(), True]) as apply:
        # when (throw=False: apply() then runs the retry itself instead of raising the first run's error)
        result = user_lists_written_task.apply(kwargs={"user_id": USER_ID}, throw=False)

    # then: the second run switched the rows to the lists
    assert (result.state, result.result) == ("SUCCESS", True)
    assert apply.call_count == 2
