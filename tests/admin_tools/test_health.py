from __future__ import annotations

import logging

import pytest

from admin_tools.models import HealthSnapshot
from admin_tools.services import health_check_run
from reclio.health import ProbeResult

pytestmark = pytest.mark.django_db


def _probes(**states: bool):
    return {
        name: (lambda name=name, ok=ok: ProbeResult(name, ok, "fine" if ok else f"{name} is down"))
        for name, ok in states.items()
    }


def test_health_endpoint_is_200_when_database_answers(api_client):
    response = api_client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body["checks"]) == {"database", "redis", "workers", "beat"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["facts"]["pgvector"]


def test_health_endpoint_is_503_when_database_is_down(api_client, monkeypatch):
    monkeypatch.setitem(
        __import__("admin_tools.probes", fromlist=["LIVENESS_PROBES"]).LIVENESS_PROBES,
        "database",
        lambda: ProbeResult("database", False, "database unreachable: OperationalError"),
    )
    response = api_client.get("/health")
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
