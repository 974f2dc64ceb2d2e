from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.db import OperationalError

from admin_tools import liveness
from admin_tools.liveness import liveness_reset
from admin_tools.models import HealthSnapshot
from admin_tools.services import health_check_run
from reclio.health import ProbeResult

pytestmark = pytest.mark.django_db


def _probes(**states: bool):
    return {
        name: (lambda name=name, ok=ok: ProbeResult(name, ok, "fine" if ok else f"{name} is down"))
        for name, ok in states.items()
    }


@pytest.fixture(autouse=True)
def _fresh_liveness():
    liveness_reset()
    yield
    liveness_reset()


def test_health_is_cheap_public_and_says_the_database_answers(api_client, django_assert_num_queries):
    # when: no token, and no Celery broadcast may happen
    with mock.patch("celery.app.control.Control.inspect", side_effect=AssertionError("broadcast")):
        with django_assert_num_queries(1):
            response = api_client.get("/health")

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == {"ok": True, "detail": "ok"}


def test_health_is_cached_for_a_few_seconds(api_client, django_assert_num_queries, monkeypatch):
    # given: one answer already checked
    clock = [1000.0]
    monkeypatch.setattr(liveness.time, "monotonic", lambda: clock[0])
    api_client.get("/health")

    # when: many polls within the window, then one after it
    with django_assert_num_queries(0):
        for _ in range(20):
            assert api_client.get("/health").status_code == 200
    clock[0] += liveness.LIVENESS_CACHE_SECONDS + 0.1
    with django_assert_num_queries(1):
        api_client.get("/health")


def test_health_is_200_degraded_when_the_database_is_down(api_client):
    # /feeds still serves its copies: an orchestrator must not pull or restart the web tier for it.
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        response = api_client.get("/health")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["database"] == {"ok": False, "detail": "database unreachable: OperationalError"}


def test_health_does_not_queue_behind_a_check_in_progress(django_assert_num_queries):
    # given: another thread is checking (a frozen database)
    assert liveness._checking.acquire(blocking=False)
    try:
        # when / then: answers at once, without a query
        with django_assert_num_queries(0):
            assert liveness.liveness_get().database_ok is True
    finally:
        liveness._checking.release()


def test_deep_health_needs_the_admin_token(api_client):
    assert api_client.get("/admin/health").status_code == 401


def test_deep_health_runs_every_liveness_probe(admin_api_client):
    response = admin_api_client.get("/admin/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body["checks"]) == {"database", "redis", "workers", "beat"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["facts"]["pgvector"]


def test_deep_health_is_503_when_database_is_down(admin_api_client, monkeypatch):
    monkeypatch.setitem(
        __import__("admin_tools.probes", fromlist=["LIVENESS_PROBES"]).LIVENESS_PROBES,
        "database",
        lambda: ProbeResult("database", False, "database unreachable: OperationalError"),
    )
    response = admin_api_client.get("/admin/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down"


def test_crashing_probe_is_reported_not_raised():
    def broken() -> ProbeResult:
        raise RuntimeError("boom")

    snapshot = health_check_run(probes={"broken": broken})
    assert snapshot.ok is False
    assert snapshot.checks[0]["detail"] == "probe crashed: RuntimeError: boom"


def test_health_check_stores_snapshot_and_logs_transitions_once(caplog):
    caplog.set_level(logging.INFO, logger="admin_tools.services")

    health_check_run(probes=_probes(database=True, redis=True))
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []

    caplog.clear()
    snapshot = health_check_run(probes=_probes(database=True, redis=False))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "checks=redis" in warnings[0].getMessage()
    assert "redis is down" in warnings[0].getMessage()
    assert snapshot.degraded == ["redis"]

    caplog.clear()
    health_check_run(probes=_probes(database=True, redis=False))  # still down: no new warning
    assert [r for r in caplog.records if r.levelno == logging.WARNING] == []

    caplog.clear()
    health_check_run(probes=_probes(database=True, redis=True))
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos == ["health_recovered checks=redis"]
    assert HealthSnapshot.objects.count() == 4


def test_health_snapshot_admin_changelist(admin_client):
    health_check_run(probes=_probes(database=True))
    assert admin_client.get("/staff/admin_tools/healthsnapshot/").status_code == 200
