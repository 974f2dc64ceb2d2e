from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import ProgrammingError
from django.utils import timezone

from admin_tools.probes import scheduled_probes
from feeds.probes import feeds_probe
from tests.feeds.factories import PreparedFeedsFactory

pytestmark = pytest.mark.django_db


def test_probe_is_scheduled():
    assert scheduled_probes()["feeds"] is feeds_probe


def test_probe_counts_users_and_stale_rows():
    # given
    PreparedFeedsFactory.create()
    PreparedFeedsFactory.create(computed_at=timezone.now() - timedelta(days=10))

    # when
    result = feeds_probe()

    # then
    assert result.ok is True
    assert result.facts == {
        "users": 2,
        "stale": 1,
        "with_problems": 0,
        "refused_requests_last_hour": 0,
        "refused_by_reason": {},
    }
    assert result.detail == "2 users with prepared rows, 1 older than 72 h"


def test_probe_fails_when_most_refreshes_had_problems():
    PreparedFeedsFactory.create(problems={"lists_write": "x"})

    result = feeds_probe()

    assert (result.ok, result.detail) == (False, "1 of 1 users' last refresh had problems")


def test_probe_reports_an_unreadable_table_without_raising():
    with mock.patch("feeds.probes.PreparedFeeds.objects.aggregate", side_effect=ProgrammingError("no table")):
        result = feeds_probe()

    assert (result.ok, result.detail) == (False, "prepared rows unreadable: ProgrammingError")
