from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.users.factories import UserFactory
from users.probes import trakt_probe

pytestmark = pytest.mark.django_db


def test_not_configured_is_reported_not_failed(settings):
    settings.TRAKT_CLIENT_ID = None
    result = trakt_probe()
    assert (result.ok, result.detail) == (True, "not configured: viewers cannot connect Trakt (tmdb_query rows only)")


def test_reachable_trakt_and_facts(fake_trakt):
    UserFactory.create(connection_state="needs_reauth")
    result = trakt_probe()
    assert result.ok is True
    assert result.facts == {
        "connected": 0,
        "needs_reauth": 1,
        "sync_overdue": 0,
        "sync_errors": 0,
        "lists_limit_reached": 0,
        "api_status": 200,
    }


def test_overdue_syncs_fail_the_probe(fake_trakt):
    UserFactory.create(next_sync_at=timezone.now() - dt.timedelta(hours=5))
    result = trakt_probe()
    assert result.ok is False and "overdue" in result.detail


def test_unreachable_trakt_fails_without_raising(settings):
    settings.TRAKT_API_URL = "http://127.0.0.1:9"  # nothing listens on discard
    result = trakt_probe()
    assert result.ok is False and result.detail.startswith("Trakt unreachable")
