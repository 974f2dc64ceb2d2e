"""ALERT_WEBHOOK_URL: the health check's degradation WARNING and recovery INFO, also POSTed as JSON."""

from __future__ import annotations

import json

import pytest
import responses

from admin_tools.services import health_check_run
from reclio.health import ProbeResult

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.example.test/reclio"


def _probes(**states: bool):
    return {
        name: (lambda name=name, ok=ok: ProbeResult(name, ok, "fine" if ok else f"{name} is down"))
        for name, ok in states.items()
    }


@responses.activate
def test_a_degradation_and_its_recovery_are_posted_once_each(settings, no_sleep):
    # given
    settings.ALERT_WEBHOOK_URL = HOOK
    responses.post(HOOK, status=200)

    # when: down, still down (no new alert), then back
    health_check_run(probes=_probes(database=True, redis=False))
    health_check_run(probes=_probes(database=True, redis=False))
    health_check_run(probes=_probes(database=True, redis=True))

    # then
    bodies = [json.loads(call.request.body or b"") for call in responses.calls]
    assert [(b["event"], [c["name"] for c in b["checks"]]) for b in bodies] == [
        ("health_degraded", ["redis"]),
        ("health_recovered", ["redis"]),
    ]
    assert bodies[0]["text"] == "Reclio degraded: redis: redis is down"
    assert bodies[0]["checks"][0]["ok"] is False


@responses.activate
def test_a_failing_webhook_is_retried_a_bounded_number_of_times_and_never_fails_the_check(settings, no_sleep):
    # given
    settings.ALERT_WEBHOOK_URL = HOOK
    responses.post(HOOK, status=503)

    # when
    snapshot = health_check_run(probes=_probes(redis=False))

    # then
    assert snapshot.degraded == ["redis"]
    assert len(responses.calls) == 4  # one try and three retries


@responses.activate
def test_without_a_webhook_nothing_is_sent(settings):
    settings.ALERT_WEBHOOK_URL = None
    health_check_run(probes=_probes(redis=False))
    assert len(responses.calls) == 0
