"""The contract for health probes.

Any app may offer a probe: a zero-argument function returning ``ProbeResult``, declared once with
``probe_register`` from its ``AppConfig.ready()`` (the way Django system checks are registered), so
admin_tools runs every app's probes in the hourly health check without importing any of them.
Probes must be bounded in time (short timeouts) and must not raise; ``probe_guarded`` enforces the latter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeResult:
    name: str
    ok: bool
    detail: str = ""
    latency_ms: float | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "facts": self.facts,
        }


Probe = Callable[[], ProbeResult]
_registered: dict[str, Probe] = {}


def probe_guarded(name: str, probe: Callable[[], ProbeResult]) -> ProbeResult:
    """Run a probe; a probe that raises is reported as failed instead of breaking the check."""
    started = time.perf_counter()
    try:
        return probe()
    except Exception as exc:  # a health check reports failures, it never raises
        logger.exception("health_probe_crashed probe=%s", name)
        return ProbeResult(
            name=name,
            ok=False,
            detail=f"probe crashed: {type(exc).__name__}: {exc}",
            latency_ms=(time.perf_counter() - started) * 1000,
        )


def probe_register(name: str, probe: Probe) -> None:
    """Declare a dependency probe for the hourly health check (call from ``AppConfig.ready()``)."""
    _registered[name] = probe


def probes_registered() -> dict[str, Probe]:
    """Every declared probe by name, in registration (``INSTALLED_APPS``) order."""
    return dict(_registered)
