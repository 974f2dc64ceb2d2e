from __future__ import annotations

import logging

from reclio.throttled_log import ThrottledLog


def test_a_failure_is_logged_when_it_starts_then_once_per_period_with_a_count(monkeypatch, caplog):
    # given: a moving clock
    clock = [0.0]
    monkeypatch.setattr("reclio.throttled_log.time.monotonic", lambda: clock[0])
    log = ThrottledLog(logging.getLogger("test.throttled"), "thing_down", period_seconds=60)
    caplog.set_level(logging.WARNING, logger="test.throttled")

    # when: 200 failures a second for 45 s, then 30 s more, then recovery
    for _ in range(75 * 200):
        log.failure("refused")
        clock[0] += 1 / 200
    log.recovered()
    log.recovered()

    # then: three lines, not 15,000
    assert [r.getMessage() for r in caplog.records] == [
        "thing_down_started reason=refused",
        "thing_down_ongoing reason=refused count=12000 total=12001 seconds=60",
        "thing_down_recovered total=15000 seconds=75",
    ]


def test_recovered_without_a_failure_logs_nothing(caplog):
    ThrottledLog(logging.getLogger("test.throttled"), "thing_down").recovered()

    assert caplog.records == []
