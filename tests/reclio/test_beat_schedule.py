from __future__ import annotations

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from reclio.celery import app
from reclio.queues import ALL_QUEUES
from reclio.services import beat_schedule_mirror

pytestmark = pytest.mark.django_db

EXPECTED = {
    "daily-0300-content-sync": ("catalog.content_sync", "sync", "0 3 * * *"),
    "hourly-user-sync-sweep": ("users.user_sync_sweep", "sync", "5 * * * *"),
    "every-6h-token-refresh": ("users.token_refresh_sweep", "sync", "20 */6 * * *"),
    "hourly-health-check": ("admin_tools.health_check", "default", "30 * * * *"),
}


def test_schedule_is_mirrored_into_beat_tables_idempotently():
    beat_schedule_mirror()
    beat_schedule_mirror()
    for key, (task, queue, cron) in EXPECTED.items():
        row = PeriodicTask.objects.get(name=key)
        assert row.task == task
        assert row.queue == queue
        crontab = row.crontab
        assert (
            f"{crontab.minute} {crontab.hour} {crontab.day_of_month} {crontab.month_of_year} {crontab.day_of_week}"
            == cron
        )
    assert PeriodicTask.objects.filter(name__in=EXPECTED).count() == len(EXPECTED)


def test_every_scheduled_task_is_registered_and_routed_to_its_queue():
    app.loader.import_default_modules()
    for key, entry in settings.CELERY_BEAT_SCHEDULE.items():
        task = app.tasks[entry["task"]]
        assert task.queue == entry["options"]["queue"], key  # type: ignore[attr-defined]
        assert task.queue in ALL_QUEUES  # type: ignore[attr-defined]


def test_every_project_task_declares_a_known_queue():
    app.loader.import_default_modules()
    ours = [task for name, task in app.tasks.items() if not name.startswith("celery.")]
    assert ours
    for task in ours:
        assert getattr(task, "queue", None) in ALL_QUEUES, task.name


def test_celery_reliability_settings():
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_beat_schedules_show_in_admin(admin_client):
    beat_schedule_mirror()
    response = admin_client.get("/staff/django_celery_beat/periodictask/")
    assert response.status_code == 200
    assert b"daily-0300-content-sync" in response.content
