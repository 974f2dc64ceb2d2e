from __future__ import annotations

import datetime as dt

import pytest
import responses
from django.utils import timezone

from catalog.models import ContentSyncRun
from catalog.probes import catalog_sync_probe, tmdb_probe

pytestmark = pytest.mark.django_db


@responses.activate
def test_tmdb_probe_reports_reachability(settings):
    responses.get(f"{settings.TMDB_BASE_URL}/configuration", json={"images": {}})
    assert tmdb_probe().ok is True
    responses.replace(responses.GET, f"{settings.TMDB_BASE_URL}/configuration", status=401, json={"status_code": 7})
    result = tmdb_probe()
    assert (result.ok, result.facts) == (False, {"status": 401})


def test_tmdb_probe_without_credentials(settings):
    settings.TMDB_API_KEY = None
    assert "not set" in tmdb_probe().detail


@pytest.mark.parametrize(("hours_ago", "ok"), [(None, False), (2, True), (48, False)])
def test_catalog_sync_probe_checks_freshness(hours_ago, ok):
    if hours_ago is not None:
        ContentSyncRun.objects.create(
            mode="incremental", status="ok", started_at=timezone.now() - dt.timedelta(hours=hours_ago)
        )
    assert catalog_sync_probe().ok is ok
