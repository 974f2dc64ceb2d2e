from __future__ import annotations

import pytest
from django.core.cache import cache

from reclio.locks import lock_acquire, lock_owner
from users import tasks
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("task", "name", "queue"),
    [
        (tasks.user_sync_sweep_task, "users.user_sync_sweep", "sync"),
        (tasks.token_refresh_sweep_task, "users.token_refresh_sweep", "sync"),
        (tasks.token_refresh_task, "users.token_refresh", "sync"),
        (tasks.user_sync_task, "users.user_sync", "sync"),
    ],
)
def test_task_names_and_queues_are_stable(task, name, queue):
    assert (task.name, task.queue) == (name, queue)


def test_sync_task_runs_the_sync_and_skips_when_one_is_running(trakt_user, trakt_account, catalog_ensure, sent_tasks):
    trakt_account.watch_movie(603, "2026-01-01T20:00:00.000Z")
    assert tasks.user_sync_task.delay(str(trakt_user.pk)).get()["changed"] is True
    lock_acquire(f"users.user_sync:{trakt_user.pk}", owner="another-task", ttl_seconds=60)
    assert tasks.user_sync_task.delay(str(trakt_user.pk)).get() == {
        "user_id": str(trakt_user.pk),
        "skipped_reason": "already running",
    }


def test_sync_task_records_a_permanent_failure_and_moves_on(trakt_user, fake_trakt):
    fake_trakt.fail("GET", "/sync/last_activities", 403)
    result = tasks.user_sync_task.delay(str(trakt_user.pk)).get()
    assert "HTTP 403" in result["error"]
    user = User.objects.get(pk=trakt_user.pk)
    assert "HTTP 403" in user.last_sync_error
    assert user.next_sync_at is not None  # the cadence keeps moving


def test_token_refresh_task_does_not_retry_a_refused_client(trakt_user, fake_trakt):
    from django.utils import timezone

    User.objects.filter(pk=trakt_user.pk).update(token_expires_at=timezone.now())
    fake_trakt.fail("POST", "/oauth/token", 403)
    assert tasks.token_refresh_task.delay(str(trakt_user.pk)).get() is False
    assert len(fake_trakt.calls("POST", "/oauth/token")) == 1
    assert User.objects.get(pk=trakt_user.pk).connection_state == "connected"


def test_sweep_task_is_a_singleton(trakt_user, monkeypatch):
    lock_acquire("users.user_sync_sweep", owner="another-task", ttl_seconds=60)
    assert tasks.user_sync_sweep_task.delay().get() == 0


def test_a_redelivered_sync_takes_its_own_lock_over_and_syncs(trakt_user, trakt_account, catalog_ensure, sent_tasks):
    # given: the first delivery of this task died holding the viewer's lock (task id = lock owner)
    cache.clear()
    trakt_account.watch_movie(603, "2026-01-01T20:00:00.000Z")
    lock = f"users.user_sync:{trakt_user.pk}"
    lock_acquire(lock, owner="task-1", ttl_seconds=60)
    # when: the broker delivers the same task again
    result = tasks.user_sync_task.apply(args=(str(trakt_user.pk),), task_id="task-1").get()
    # then: it syncs (not "already running") and releases the lock
    assert result["changed"] is True
    assert lock_owner(lock) is None


def test_user_sync_lock_outlives_the_task_hard_limit():
    from reclio.locks import task_lock_seconds

    assert task_lock_seconds(tasks.user_sync_task) > (tasks.user_sync_task.time_limit or 0) > 0
    assert task_lock_seconds(tasks.user_sync_sweep_task) < 60 * 60  # the next hourly sweep is never locked out


def test_sync_user_command_prints_the_summary(trakt_user, trakt_account, catalog_ensure, sent_tasks, capsys):
    from django.core.management import call_command

    trakt_account.watch_movie(603, "2026-01-01T20:00:00.000Z")
    call_command("sync_user", str(trakt_user.pk), "--full")
    assert "views_added=1" in capsys.readouterr().out


def test_sync_task_retries_a_transient_failure_with_a_finite_countdown(trakt_user, monkeypatch):
    # given: Trakt asked for an absurd wait (the client keeps a finite retry_after; a bad one is None)
    from unittest import mock

    from celery.exceptions import Retry

    from reclio.http import MAX_RETRY_COUNTDOWN_SECONDS, UpstreamError

    def failing_sync(**kwargs):
        raise UpstreamError("trakt: HTTP 429", service="trakt", status=429, retry_after=float("inf"))

    monkeypatch.setattr("users.services.user_sync_run", failing_sync)

    # when
    with mock.patch.object(tasks.user_sync_task, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
        tasks.user_sync_task.run(str(trakt_user.pk))

    # then: a countdown Celery can schedule, inside the broker's visibility timeout
    countdown = retry.call_args.kwargs["countdown"]
    assert 0 < countdown <= MAX_RETRY_COUNTDOWN_SECONDS


def test_sync_task_outlasts_a_429_storm_longer_than_its_retry_budget(trakt_user, monkeypatch):
    # given Trakt answers 429 (Retry-After: 2) to the first twelve tries, twice the usual budget of five
    from types import SimpleNamespace

    from reclio.http import UpstreamError

    tries: list[int] = []

    def sync(**kwargs):
        tries.append(1)
        if len(tries) <= 12:
            raise UpstreamError("trakt: HTTP 429", service="trakt", status=429, retry_after=2.0)
        return SimpleNamespace(user_id=kwargs["user_id"], changed=True, requests=1)

    monkeypatch.setattr("users.services.user_sync_run", sync)
    # Eager apply follows each retry as a worker would (without the countdowns) only when not propagating.
    monkeypatch.setitem(tasks.user_sync_task.app.conf, "task_eager_propagates", False)

    # when
    result = tasks.user_sync_task.apply(args=(str(trakt_user.pk),), throw=False)

    # then a rate limit is "later", not "broken": the sync got through
    assert result.successful(), result.result
    assert (len(tries), result.get()["changed"]) == (13, True)


def test_sync_task_still_gives_up_on_a_server_error_after_its_budget(trakt_user, monkeypatch):
    from reclio.http import UpstreamError

    tries: list[int] = []

    def sync(**kwargs):
        tries.append(1)
        raise UpstreamError("trakt: HTTP 503", service="trakt", status=503)

    monkeypatch.setattr("users.services.user_sync_run", sync)
    monkeypatch.setitem(tasks.user_sync_task.app.conf, "task_eager_propagates", False)
    result = tasks.user_sync_task.apply(args=(str(trakt_user.pk),), throw=False)
    assert (result.failed(), len(tries)) == (True, 1 + (tasks.user_sync_task.max_retries or 0))


def test_token_refresh_sweep_sends_every_refresh_even_when_one_send_fails(monkeypatch):
    # given three viewers whose tokens expire soon, and a broker that refuses the second send
    import datetime as dt

    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from tests.users.factories import UserFactory

    users = UserFactory.create_batch(3, token_expires_at=timezone.now() + dt.timedelta(minutes=5))
    attempts: list[str] = []

    def delay(user_id):
        attempts.append(user_id)
        if len(attempts) == 2:
            raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.token_refresh_task, "delay", delay)
    # when
    assert tasks.token_refresh_sweep_task() == 3
    # then
    assert sorted(attempts) == sorted(str(u.pk) for u in users)
