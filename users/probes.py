"""Health probe for Trakt and the viewers' sync (run hourly by admin_tools' health check)."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.utils import timezone

from reclio.health import ProbeResult
from users.contracts import ConnectionState, ListState
from users.models import ManagedList, User

PROBE_TIMEOUT_SECONDS = 3.0
# Syncs this far behind schedule mean the hourly sweep or the `sync` worker is not running.
OVERDUE_AFTER = dt.timedelta(hours=3)


def trakt_probe() -> ProbeResult:
    started = time.perf_counter()
    elapsed = lambda: (time.perf_counter() - started) * 1000  # noqa: E731
    if not (settings.TRAKT_CLIENT_ID and settings.TRAKT_CLIENT_SECRET):
        return ProbeResult(
            "trakt", True, "not configured: viewers cannot connect Trakt (tmdb_query rows only)", elapsed()
        )
    now = timezone.now()
    users = User.objects.all()
    facts = {
        "connected": users.filter(connection_state=ConnectionState.CONNECTED).count(),
        "needs_reauth": users.filter(connection_state=ConnectionState.NEEDS_REAUTH).count(),
        "sync_overdue": users.filter(
            connection_state=ConnectionState.CONNECTED, next_sync_at__lt=now - OVERDUE_AFTER
        ).count(),
        "sync_errors": users.filter(connection_state=ConnectionState.CONNECTED).exclude(last_sync_error="").count(),
        "lists_limit_reached": ManagedList.objects.filter(state=ListState.LIMIT_REACHED).count(),
    }
    from users.trakt.client import TraktSession

    try:
        # A public endpoint (API key only): proves DNS, TLS and the key without spending user quota.
        response = TraktSession(max_retries=0).get("/genres/movies", timeout=PROBE_TIMEOUT_SECONDS)
        facts["api_status"] = response.status_code
    except Exception as exc:  # noqa: BLE001 - a probe reports, never raises
        return ProbeResult("trakt", False, f"Trakt unreachable: {type(exc).__name__}", elapsed(), facts)
    if response.status_code in (401, 403):
        return ProbeResult("trakt", False, f"Trakt refused the API key (HTTP {response.status_code})", elapsed(), facts)
    if response.status_code >= 500:
        return ProbeResult("trakt", False, f"Trakt answered HTTP {response.status_code}", elapsed(), facts)
    if facts["sync_overdue"]:
        return ProbeResult(
            "trakt",
            False,
            f"{facts['sync_overdue']} user sync(s) overdue: is the sync worker/beat running?",
            elapsed(),
            facts,
        )
    return ProbeResult("trakt", True, "ok", elapsed(), facts)
