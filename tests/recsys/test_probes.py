from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from admin_tools.probes import scheduled_probes
from reclio.settings.providers import RecommenderName
from recsys.models import EngineState
from recsys.probes import local_engine_probe

pytestmark = pytest.mark.django_db


def test_probe_is_scheduled():
    assert scheduled_probes()["recsys_engine"] is local_engine_probe


def test_never_trained_is_not_ok():
    result = local_engine_probe()
    assert (result.ok, result.detail.split(":")[0]) == (False, "never trained")


@pytest.mark.parametrize(("age_hours", "ok"), [(1, True), (49, False)])
def test_model_age_decides(tmp_path, settings, age_hours, ok):
    settings.RECSYS_RETRAIN_HOURS = 24
    model = tmp_path / "engine-v1.npz"
    model.write_bytes(b"x")
    trained_at = (timezone.now() - timedelta(hours=age_hours)).isoformat()
    EngineState.objects.create(
        key="local_engine", value={"path": str(model), "trained_at": trained_at, "version": "v1"}
    )
    result = local_engine_probe()
    assert result.ok is ok
    assert result.facts["age_hours"] == pytest.approx(age_hours, abs=0.1)


def test_missing_model_file_is_not_ok(tmp_path):
    EngineState.objects.create(
        key="local_engine", value={"path": str(tmp_path / "gone.npz"), "trained_at": timezone.now().isoformat()}
    )
    assert local_engine_probe().detail.startswith("model file missing")


def test_other_backend_selected_is_ok(settings):
    settings.RECOMMENDER = RecommenderName.RECOMBEE
    assert local_engine_probe().ok is True
