from __future__ import annotations

from admin_tools.models import HealthSnapshot


def health_snapshot_list(*, limit: int = 48) -> list[HealthSnapshot]:
    return list(HealthSnapshot.objects.order_by("-created_at")[:limit])
