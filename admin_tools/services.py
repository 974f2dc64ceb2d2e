"""Health checks: run probes, store a snapshot, log what degraded or recovered."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from admin_tools.models import HealthSnapshot
from admin_tools.probes import LIVENESS_PROBES, scheduled_probes
from reclio.health import ProbeResult, probe_guarded

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthReport:
    results: tuple[ProbeResult, ...]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def degraded(self) -> list[str]:
        return [result.name for result in self.results if not result.ok]

    def result(self, name: str) -> ProbeResult | None:
        return next((r for r in self.results if r.name == name), None)


def health_report_build(*, probes: Mapping[str, Callable[[], ProbeResult]] = LIVENESS_PROBES) -> HealthReport:
    return HealthReport(results=tuple(probe_guarded(name, probe) for name, probe in probes.items()))


def health_check_run(*, probes: Mapping[str, Callable[[], ProbeResult]] | None = None) -> HealthSnapshot:
    """Run the given probes (default: every scheduled one), store a snapshot, and log transitions.

    One WARNING names everything that degraded since the last snapshot (so a persistent outage is not
    re-announced every hour); one INFO names what recovered.
    """
    report = health_report_build(probes=scheduled_probes() if probes is None else probes)
    previous = HealthSnapshot.objects.order_by("-created_at").first()
    previously_degraded = set(previous.degraded) if previous else set()
    snapshot = HealthSnapshot.objects.create(
        ok=report.ok,
        checks=[result.as_dict() for result in report.results],
        degraded=report.degraded,
    )
    newly_degraded = [name for name in report.degraded if name not in previously_degraded]
    recovered = sorted(previously_degraded - set(report.degraded))
    if newly_degraded:
        details = "; ".join(f"{name}: {report.result(name).detail}" for name in newly_degraded)  # type: ignore[union-attr]
        logger.warning("health_degraded checks=%s details=%s", ",".join(newly_degraded), details)
    if recovered:
        logger.info("health_recovered checks=%s", ",".join(recovered))
    return snapshot
