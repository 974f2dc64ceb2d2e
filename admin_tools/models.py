from __future__ import annotations

from django.db import models


class HealthSnapshot(models.Model):
    """One run of the health check: every probe's result, kept for history and for change detection."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    ok = models.BooleanField()
    # [{"name": "database", "ok": true, "detail": "...", "latency_ms": 1.2, "facts": {...}}, …]
    checks = models.JSONField(default=list)
    degraded = models.JSONField(default=list)  # names of the failing probes, for quick filtering

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        state = "ok" if self.ok else f"degraded: {', '.join(self.degraded)}"
        return f"{self.created_at:%Y-%m-%d %H:%M} {state}"
