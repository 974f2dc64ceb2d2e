"""Health probes of recsys (registered in RecsysConfig.ready for the hourly health check). Never raise."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from reclio.health import ProbeResult
from reclio.settings.providers import RecommenderName
from recsys.recombee.diagnosis import recombee_diagnose
from recsys.selectors import engine_state_get


def local_engine_probe() -> ProbeResult:
    """Is there a trained model on disk, and is it fresh (≤ 2 × RECSYS_RETRAIN_HOURS)?"""
    started = time.perf_counter()

    def result(ok: bool, detail: str, facts: dict | None = None) -> ProbeResult:
        return ProbeResult("recsys_engine", ok, detail, (time.perf_counter() - started) * 1000, facts or {})

    selected = getattr(settings.RECOMMENDER, "value", settings.RECOMMENDER)
    if selected != "local":
        return result(True, f"local engine not selected (RECOMMENDER={selected})")
    try:
        state = engine_state_get()
    except Exception as exc:  # noqa: BLE001 - a probe reports, it never raises
        return result(False, f"cannot read engine state: {type(exc).__name__}")
    if not state.get("path"):
        return result(False, "never trained: the nightly job or `manage.py train_engine` trains it")
    # "tuning": the weights this instance chose for itself and their validation score (issue 16).
    facts = {k: state.get(k) for k in ("version", "trained_at", "users", "items", "interactions", "seconds", "tuning")}
    if not Path(state["path"]).exists():
        return result(False, f"model file missing: {state['path']}", facts)
    age_hours = (timezone.now() - datetime.fromisoformat(state["trained_at"])).total_seconds() / 3600
    facts["age_hours"] = round(age_hours, 1)
    if age_hours > 2 * settings.RECSYS_RETRAIN_HOURS:
        return result(False, f"model is {age_hours:.0f} h old: is the recsys worker running?", facts)
    return result(True, "ok", facts)


def recombee_probe() -> ProbeResult:
    """The hourly health check's Recombee probe: the same diagnosis, bounded by short timeouts."""
    if settings.RECOMMENDER is not RecommenderName.RECOMBEE:
        return ProbeResult("recombee", True, f"not selected (RECOMMENDER={settings.RECOMMENDER.value})")
    diagnosis = recombee_diagnose()
    return ProbeResult(
        "recombee",
        diagnosis.ok,
        f"{diagnosis.verdict}: {diagnosis.summary}",
        diagnosis.latency_ms,
        {"verdict": diagnosis.verdict, "next_steps": list(diagnosis.next_steps), **diagnosis.facts},
    )
