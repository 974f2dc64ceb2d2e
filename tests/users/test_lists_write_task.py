"""Asking for lists and writing them are apart: ``user_lists_request`` (feeds, fast queue) stores what
each list must hold and queues ``users.user_lists_write`` (trakt_lists), which writes the newest
request, retries Trakt's transient failures with backoff (bounded) and then tells feeds.

Retries are driven the way a worker would: each ``apply`` is one delivery, with ``retries`` as the
broker would count them; the countdown each retry asks for is read from the Retry it raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from celery.exceptions import Retry

from reclio.locks import lock_acquire
from users.contracts import ListState, ManagedListSpec
from users.models import ManagedList
from users.selectors import user_managed_lists
from users.services import user_lists_request
from users.tasks import LISTS_WRITE_MAX_RETRIES, user_lists_write_task

pytestmark = pytest.mark.django_db

WRITTEN = ("feeds.user_lists_written", "feeds")


def _spec(*item_ids: str, key: str = "recommended_movies") -> ManagedListSpec:
    return ManagedListSpec(
        key=key, name=f"Reclio • {key}", description="Picked for you by Reclio", item_ids=tuple(item_ids)
    )


def _sent(sent_tasks) -> list[tuple[str, str | None]]:
    return [(name, queue) for name, _, queue in sent_tasks]


@dataclass
class Delivery:
    state: str  # SUCCESS or RETRY
    result: Any  # the task's return value, or the Retry it raised (``.when``: its countdown)


def _deliver(user_id, *, retries: int = 0, task_id: str | None = None, hooks=None) -> Delivery:
    """One delivery of the task, as a worker runs it (commit hooks run as they would after commit).

    The test settings propagate eager exceptions, so a retry surfaces as the Retry it raises.
    """
    with hooks(execute=True):
        try:
            result = user_lists_write_task.apply(args=(str(user_id),), retries=retries, task_id=task_id)
        except Retry as retry:
            return Delivery("RETRY", retry)
    return Delivery(result.state, result.result)


def test_a_request_is_pending_until_the_writer_task_runs_after_commit(
    trakt_user, trakt_account, fake_trakt, sent_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    # given
    queued: list[tuple[str, str]] = []
    monkeypatch.setattr(
        "users.tasks.user_lists_write_task.apply_async", lambda args, queue: queued.append((args[0], queue))
    )
    # when
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        states = user_lists_request(user_id=trakt_user.pk, lists=[_spec("movie_603", "movie_604")])
    # then the list is pending, nothing was written to Trakt, and the writer is queued only after commit
    assert states["recommended_movies"].state == ListState.PENDING
    assert states["recommended_movies"].wanted_item_ids == ("movie_603", "movie_604")
    assert fake_trakt.requests == [] and queued == []
    for hook in hooks:
        hook()
    assert queued == [(str(trakt_user.pk), "trakt_lists_bulk")]  # no recent Trakt activity: the bulk path
    # when the task runs, the list is written and feeds is told
    result = _deliver(trakt_user.pk, hooks=django_capture_on_commit_callbacks)
    assert result.state == "SUCCESS"
    assert user_managed_lists(user_id=trakt_user.pk)["recommended_movies"].state == ListState.OK
    list_id = ManagedList.objects.get().trakt_list_id
    assert trakt_account.list_tmdb(list_id) == [("movie", 603), ("movie", 604)]
    assert _sent(sent_tasks) == [WRITTEN]


def test_an_unchanged_request_keeps_a_written_list_ok(
    trakt_user, trakt_account, fake_trakt, sent_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("users.tasks.user_lists_write_task.apply_async", lambda args, queue: None)
    user_lists_request(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    _deliver(trakt_user.pk, hooks=django_capture_on_commit_callbacks)
    # when the same titles are asked again, and then other ones
    same = user_lists_request(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    other = user_lists_request(user_id=trakt_user.pk, lists=[_spec("movie_604")])
    # then
    assert same["recommended_movies"].state == ListState.OK
    assert other["recommended_movies"].state == ListState.PENDING


def test_a_trakt_5xx_is_retried_with_backoff_until_the_list_is_written(
    trakt_user, trakt_account, fake_trakt, sent_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    # given a request, and Trakt failing the list creation twice (503; a POST is not retried in-process)
    monkeypatch.setattr("users.tasks.user_lists_write_task.apply_async", lambda args, queue: None)
    user_lists_request(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    fake_trakt.fail("POST", "/users/me/lists", 503, times=2)
    # when the task is delivered, and redelivered for each retry it asks for
    first = _deliver(trakt_user.pk, hooks=django_capture_on_commit_callbacks)
    assert user_managed_lists(user_id=trakt_user.pk)["recommended_movies"].state == ListState.ERROR
    second = _deliver(trakt_user.pk, retries=1, hooks=django_capture_on_commit_callbacks)
    third = _deliver(trakt_user.pk, retries=2, hooks=django_capture_on_commit_callbacks)
    # then each failure asked for a retry, with exponential backoff, and the third delivery wrote the list
    assert (first.state, second.state, third.state) == ("RETRY", "RETRY", "SUCCESS")
    assert (first.result.when, second.result.when) == (60.0, 120.0)
    state = user_managed_lists(user_id=trakt_user.pk)["recommended_movies"]
    assert (state.state, state.item_count) == (ListState.OK, 1)
    assert trakt_account.list_tmdb(ManagedList.objects.get().trakt_list_id) == [("movie", 603)]
    # feeds was told after every run: it serves the fallback while the list is in error, then the list
    assert _sent(sent_tasks) == [WRITTEN] * 3


def test_retries_are_bounded(
    trakt_user, trakt_account, fake_trakt, sent_tasks, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    # given a Trakt that keeps failing, and a task on its last allowed retry
    monkeypatch.setattr("users.tasks.user_lists_write_task.apply_async", lambda args, queue: None)
    user_lists_request(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    fake_trakt.fail("POST", "/users/me/lists", 503, times=1)
    # when
    result = _deliver(trakt_user.pk, retries=LISTS_WRITE_MAX_RETRIES, hooks=django_capture_on_commit_callbacks)
    # then it gives up (no further retry), the list stays in error and the rows keep their fallback
    assert result.state == "SUCCESS"
    assert result.result["states"] == {"recommended_movies": "error"}
    assert "user_lists_write_gave_up" in caplog.text


def test_a_write_held_by_another_task_is_retried_and_a_redelivery_takes_its_own_lock_over(
    trakt_user, trakt_account, fake_trakt, sent_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    # given another task's write lock on this account
    monkeypatch.setattr("users.tasks.user_lists_write_task.apply_async", lambda args, queue: None)
    user_lists_request(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    assert lock_acquire(f"users:lists_write:{trakt_user.pk}", owner="task-1", ttl_seconds=900)
    # when a different task runs: it waits its turn (retry in 30 s), writing nothing
    other = _deliver(trakt_user.pk, task_id="task-2", hooks=django_capture_on_commit_callbacks)
    assert (other.state, other.result.when) == ("RETRY", 30)
    assert fake_trakt.writes() == []
    # when task-1 itself is redelivered (its worker died holding the lock): it takes the lock over
    again = _deliver(trakt_user.pk, task_id="task-1", hooks=django_capture_on_commit_callbacks)
    assert again.state == "SUCCESS"
    assert user_managed_lists(user_id=trakt_user.pk)["recommended_movies"].state == ListState.OK


def test_a_request_arriving_during_a_write_keeps_the_list_pending(
    trakt_user, trakt_account, fake_trakt, sent_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    # given a write of [603] during which feeds asks for [604]
    from users.services import lists

    monkeypatch.setattr("users.tasks.user_lists_write_task.apply_async", lambda args, queue: None)
    user_lists_request(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    describe = lists._list_describe

    def describe_then_new_request(run, row, spec, *, list_id):
        describe(run, row, spec, list_id=list_id)
        user_lists_request(user_id=trakt_user.pk, lists=[_spec("movie_604")])

    monkeypatch.setattr(lists, "_list_describe", describe_then_new_request)
    # when
    _deliver(trakt_user.pk, hooks=django_capture_on_commit_callbacks)
    # then the list holds [603] but is not "ok" for [604]: its rows keep the fallback until the next run
    state = user_managed_lists(user_id=trakt_user.pk)["recommended_movies"]
    assert (state.state, state.wanted_item_ids) == (ListState.PENDING, ("movie_604",))
    monkeypatch.setattr(lists, "_list_describe", describe)
    _deliver(trakt_user.pk, hooks=django_capture_on_commit_callbacks)
    state = user_managed_lists(user_id=trakt_user.pk)["recommended_movies"]
    assert (state.state, state.wanted_item_ids) == (ListState.OK, ("movie_604",))
    assert trakt_account.list_tmdb(ManagedList.objects.get().trakt_list_id) == [("movie", 604)]


@pytest.mark.parametrize(
    ("active_hours_ago", "queue"),
    [(0.5, "trakt_lists"), (1.9, "trakt_lists"), (3, "trakt_lists_bulk"), (None, "trakt_lists_bulk")],
)
def test_a_viewer_who_just_watched_is_written_before_the_nightly_bulk(
    trakt_user, monkeypatch, django_capture_on_commit_callbacks, active_hours_ago, queue
):
    # given a viewer whose newest Trakt activity (as their last sync saw it) is this old
    import datetime as dt

    from django.utils import timezone

    trakt_user.last_trakt_activity_at = (
        None if active_hours_ago is None else timezone.now() - dt.timedelta(hours=active_hours_ago)
    )
    trakt_user.save()
    queued: list[str] = []
    monkeypatch.setattr("users.tasks.user_lists_write_task.apply_async", lambda args, queue: queued.append(queue))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        user_lists_request(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    # then: the interactive queue has workers of its own, so this write never waits behind the bulk
    assert queued == [queue]
