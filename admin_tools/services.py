"""Health checks: run probes, store a snapshot, log what degraded or recovered."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from admin_tools.models import HealthSnapshot
from admin_tools.probes import LIVENESS_PROBES, database_probe, redis_probe, scheduled_probes
from reclio.health import ProbeResult, probe_guarded
from reclio.http import OutgoingSession
from reclio.queues import ALL_QUEUES

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
        alert_send(
            event="health_degraded",
            checks=[report.result(name).as_dict() for name in newly_degraded],  # type: ignore[union-attr]
        )
    if recovered:
        logger.info("health_recovered checks=%s", ",".join(recovered))
        alert_send(event="health_recovered", checks=[{"name": name, "ok": True} for name in recovered])
    return snapshot


class AlertWebhookSession(OutgoingSession):
    service = "alert_webhook"
    # A repeated alert is better than a lost one: POSTs are retried (a bounded number of times).
    retry_unsafe_methods = True


ALERT_WEBHOOK_RETRIES = 3
ALERT_WEBHOOK_TIMEOUT_SECONDS = 5.0


def alert_send(*, event: str, checks: list[dict[str, Any]]) -> bool:
    """POST the same news the health check logs to ``ALERT_WEBHOOK_URL`` (when set); True when delivered.

    JSON body: ``{"event", "text", "checks": [{"name", "ok", "detail", …}], "install", "at"}``; ``text``
    is a one-line summary, so chat webhooks (Slack, Discord via /slack, Mattermost) show it as is.
    Never raises: an unreachable webhook is logged and the health check goes on.
    """
    url = settings.ALERT_WEBHOOK_URL
    if not url:
        return False
    names = ", ".join(str(check.get("name")) for check in checks)
    if event == "health_degraded":
        text = "Reclio degraded: " + "; ".join(f"{check.get('name')}: {check.get('detail')}" for check in checks)
    else:
        text = f"Reclio recovered: {names}"
    payload = {
        "event": event,
        "text": text[:1000],
        "checks": checks,
        "install": settings.BASE_URL,
        "at": timezone.now().isoformat(),
    }
    session = AlertWebhookSession(timeout=ALERT_WEBHOOK_TIMEOUT_SECONDS, max_retries=ALERT_WEBHOOK_RETRIES)
    try:
        response = session.post(url, json=payload)
    except Exception as exc:  # noqa: BLE001 - UpstreamError after the retries, or anything else
        logger.warning("alert_webhook_failed event=%s error=%s", event, exc)
        return False
    if response.status_code >= 300:
        logger.warning("alert_webhook_failed event=%s status=%s", event, response.status_code)
        return False
    logger.info("alert_webhook_sent event=%s checks=%s", event, names)
    return True


def health_check_enqueue() -> int:
    """Queue one health check now (``POST /admin/health/run``) on the queue beat uses; returns 1."""
    from admin_tools.tasks import health_check_task

    transaction.on_commit(lambda: health_check_task.delay())
    return 1


@dataclass(frozen=True)
class SelftestCheck:
    name: str
    ok: bool
    detail: str
    ms: float


def _timed(name: str, check: Callable[[], tuple[bool, str]]) -> SelftestCheck:
    started = time.perf_counter()
    try:
        ok, detail = check()
    except Exception as exc:  # noqa: BLE001 - the self-test reports, never raises
        ok, detail = False, f"{type(exc).__name__}: {exc}"[:300]
    return SelftestCheck(name, ok, detail, round((time.perf_counter() - started) * 1000, 1))


def _probe(probe: Callable[[], ProbeResult]) -> Callable[[], tuple[bool, str]]:
    def check() -> tuple[bool, str]:
        result = probe()
        return result.ok, result.detail

    return check


def selftest_run(*, ping_timeout: float = 3.0) -> list[SelftestCheck]:
    """A quick end-to-end check of the live install (``GET /admin/selftest``), a few seconds at most.

    Database, broker, a worker on every queue answering ``reclio.echo`` (all pings sent at once,
    ``ping_timeout`` seconds in total; an unanswered ping expires instead of running late), the
    embedding provider embedding one string, and ``/feeds`` for the viewer prepared last.
    """
    from catalog import selectors as catalog_selectors
    from feeds import selectors as feeds_selectors
    from reclio.tasks import echo_task

    checks = [_timed("database", _probe(database_probe)), _timed("broker", _probe(redis_probe))]
    if checks[1].ok:
        started = time.perf_counter()
        sent = {
            queue: echo_task.apply_async(args=("selftest",), queue=queue, expires=max(ping_timeout, 1) * 10)
            for queue in ALL_QUEUES
        }
        for queue, result in sent.items():

            def answered(result: Any = result) -> tuple[bool, str]:
                left = max(0.05, ping_timeout - (time.perf_counter() - started))
                reply = result.get(timeout=left)
                return True, f"answered by {reply.get('hostname', '?')}"

            check = _timed(f"worker:{queue}", answered)
            if not check.ok and "Timeout" in check.detail:
                check = SelftestCheck(check.name, False, f"no worker answered within {ping_timeout:g}s", check.ms)
            checks.append(check)
    else:
        checks += [SelftestCheck(f"worker:{queue}", False, "broker unreachable", 0.0) for queue in ALL_QUEUES]
    checks.append(_timed("embeddings", catalog_selectors.embedding_provider_selftest))
    checks.append(_timed("feeds", feeds_selectors.feed_document_selftest))
    return checks
