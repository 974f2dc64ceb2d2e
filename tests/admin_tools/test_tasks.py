from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from admin_tools.tasks import health_check_task
from catalog.models import ContentSyncRun

pytestmark = pytest.mark.django_db


def test_the_hourly_health_check_reaps_a_content_sync_left_running_by_a_killed_worker(monkeypatch):
    # given: a run left "running" and no content sync holding its lock
    monkeypatch.setattr("admin_tools.services.scheduled_probes", lambda: {})
    dead = ContentSyncRun.objects.create(mode="incremental", started_at=timezone.now() - dt.timedelta(hours=2))
    # when
    health_check_task.delay().get()
    # then: the admin shows it failed, with the reason
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.detail.startswith("interrupted:")
