"""The public ``/health`` answer: cheap, cached, and never a reason to take the web tier away.

``/health`` is polled by load balancers and compose on the same web-server threads that serve
``/feeds``. It used to run every liveness probe per call, a Celery broadcast included (≥ 1 s), for
anyone who asked. Now it says whether this process serves and whether the database answered a
trivial ``SELECT 1`` in the last ``LIVENESS_CACHE_SECONDS``; at most one request per process runs
that query at a time (others answer from the cached result), so a frozen database cannot hold more
than one thread here. The deep checks (workers, broker, beat, dependencies) are behind the admin
token at ``/admin/health`` and ``/admin/status``.

A database outage answers 200 with ``"status": "degraded"``, not 503: ``/feeds`` keeps serving
personal rows from its copies while the database is away (docs/design/feeds.md), so an orchestrator
must not pull or restart this process for it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db import connection

LIVENESS_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Liveness:
    database_ok: bool
    detail: str
    checked_at: float  # time.monotonic()

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ok" if self.database_ok else "degraded",
            "database": {"ok": self.database_ok, "detail": self.detail},
            "age_seconds": round(max(time.monotonic() - self.checked_at, 0.0), 1),
        }


_cached: Liveness | None = None
_checking = threading.Lock()


def liveness_get() -> Liveness:
    """This process's liveness, re-checked at most every ``LIVENESS_CACHE_SECONDS``; never raises."""
    global _cached
    cached = _cached
    if cached is not None and time.monotonic() - cached.checked_at < LIVENESS_CACHE_SECONDS:
        return cached
    if not _checking.acquire(blocking=False):
        # Another thread is checking: answer with what we knew rather than queue behind it.
        return cached or Liveness(database_ok=True, detail="first check in progress", checked_at=time.monotonic())
    try:
        _cached = _database_check()
        return _cached
    finally:
        _checking.release()


def _database_check() -> Liveness:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - liveness reports, it never raises
        return Liveness(
            database_ok=False, detail=f"database unreachable: {type(exc).__name__}", checked_at=time.monotonic()
        )
    return Liveness(database_ok=True, detail="ok", checked_at=time.monotonic())


def liveness_reset() -> None:
    """Forget the cached result (tests)."""
    global _cached
    _cached = None
