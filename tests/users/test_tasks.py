from __future__ import annotations

import pytest
from django.core.cache import cache

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
    cache.add(f"users:lock:user_sync:{trakt_user.pk}", 1)
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
    cache.add("users:lock:user_sync_sweep", 1)
    assert tasks.user_sync_sweep_task.delay().get() == 0


def test_sync_user_command_prints_the_summary(trakt_user, trakt_account, catalog_ensure, sent_tasks, capsys):
    from django.core.management import call_command

    trakt_account.watch_movie(603, "2026-01-01T20:00:00.000Z")
    call_command("sync_user", str(trakt_user.pk), "--full")
    assert "views_added=1" in capsys.readouterr().out
