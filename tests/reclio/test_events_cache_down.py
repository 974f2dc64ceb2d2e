"""Redis down: refresh requests are dropped (the request must not fail or wait), but counted and
logged once per period instead of silently (issue 12)."""

from __future__ import annotations

import logging
from unittest import mock

import pytest

from reclio import events
from reclio.events import send_on_commit

pytestmark = pytest.mark.django_db


def test_sends_skipped_while_redis_is_down_are_counted_and_logged_once(monkeypatch, caplog):
    # given: a still clock and a cache that refuses every call
    clock = [1000.0]
    monkeypatch.setattr("reclio.throttled_log.time.monotonic", lambda: clock[0])
    caplog.set_level(logging.INFO, logger="reclio.events")

    # when: 500 refresh requests in the outage, a minute later one more, then Redis is back
    with mock.patch("reclio.events.cache.add", side_effect=ConnectionError("redis down")):
        results = [
            send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id=f"u{n}", last_watched=None) for n in range(500)
        ]
        clock[0] += 61
        send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="late", last_watched=None)
    send_on_commit(events.FEEDS_USER_ROWS_REFRESH, user_id="back", last_watched=None)

    # then: none queued, and three lines instead of 501
    assert not any(results)
    assert [r.getMessage() for r in caplog.records if r.name == "reclio.events"][:3] == [
        "event_sends_skipped_cache_unavailable_started reason=feeds.user_rows_refresh ConnectionError",
        "event_sends_skipped_cache_unavailable_ongoing reason=feeds.user_rows_refresh ConnectionError "
        "count=500 total=501 seconds=61",
        "event_sends_skipped_cache_unavailable_recovered total=501 seconds=61",
    ]
