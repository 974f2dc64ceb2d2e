"""Health probe of the platform: tasks parked as poison messages (reclio/deliveries.py)."""

from __future__ import annotations

from reclio.health import ProbeResult


def parked_tasks_probe() -> ProbeResult:
    """Degraded while a parked task waits for someone to look at it (re-queue or delete it)."""
    from reclio.models import ParkedTask

    waiting = ParkedTask.objects.filter(requeued_at__isnull=True)
    count = waiting.count()
    if not count:
        return ProbeResult("parked_tasks", True, "no parked tasks")
    names = sorted(set(waiting.values_list("name", flat=True)[:20]))
    return ProbeResult(
        "parked_tasks",
        False,
        f"{count} task(s) parked after killing their worker repeatedly: {', '.join(names)} (admin: Parked tasks)",
        facts={"parked": count, "names": names},
    )
