"""What staff may do in the Django admin beyond looking: one permission per family of actions.

Viewing a changelist must never be enough to start work that costs money (TMDB, embeddings,
Recombee), takes hours (training, a full sync) or cannot be undone (disconnecting a viewer revokes
their Trakt tokens). Each family below is a Django permission (declared on
``reclio.models.StaffPermission``), granted to users or groups in the admin like any other.

Admin actions name a family with ``@admin.action(permissions=("sync_viewers",))``; Django then asks
the model admin's ``has_sync_viewers_permission``, which ``StaffActionsMixin`` provides. Buttons and
custom admin views call ``staff_may(request, StaffAction.X)``.
"""

from __future__ import annotations

import enum
from typing import Any

from django.http import HttpRequest


class StaffAction(enum.Enum):
    """(codename, description). The codename is the permission's; the app label is always ``reclio``."""

    RUN_CATALOG_JOBS = ("run_catalog_jobs", "Can start content syncs, TMDB refreshes and re-embeds")
    SYNC_VIEWERS = ("sync_viewers", "Can start viewers' Trakt syncs and Trakt list rewrites")
    DISCONNECT_VIEWERS = ("disconnect_viewers", "Can disconnect viewers from Trakt (revokes their tokens)")
    RUN_ENGINE = ("run_engine", "Can train the engine and rescore viewers")
    REFRESH_FEEDS = ("refresh_feeds", "Can recompute viewers' rows")
    OPERATE = ("operate", "Can use the Operations page and its buttons")

    @property
    def codename(self) -> str:
        return self.value[0]

    @property
    def description(self) -> str:
        return self.value[1]

    @property
    def permission(self) -> str:
        """The ``app_label.codename`` string ``user.has_perm`` takes."""
        return f"reclio.{self.codename}"


STAFF_PERMISSIONS: tuple[tuple[str, str], ...] = tuple((action.codename, action.description) for action in StaffAction)


def staff_may(request: HttpRequest, action: StaffAction) -> bool:
    """True if the signed-in staff member holds ``action``'s permission (superusers hold all)."""
    user: Any = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff and user.has_perm(action.permission))


class StaffActionsMixin:
    """Gives a ModelAdmin one ``has_<codename>_permission`` per family, for ``@admin.action(permissions=…)``."""

    def has_run_catalog_jobs_permission(self, request: HttpRequest) -> bool:
        return staff_may(request, StaffAction.RUN_CATALOG_JOBS)

    def has_sync_viewers_permission(self, request: HttpRequest) -> bool:
        return staff_may(request, StaffAction.SYNC_VIEWERS)

    def has_disconnect_viewers_permission(self, request: HttpRequest) -> bool:
        return staff_may(request, StaffAction.DISCONNECT_VIEWERS)

    def has_run_engine_permission(self, request: HttpRequest) -> bool:
        return staff_may(request, StaffAction.RUN_ENGINE)

    def has_refresh_feeds_permission(self, request: HttpRequest) -> bool:
        return staff_may(request, StaffAction.REFRESH_FEEDS)

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return staff_may(request, StaffAction.OPERATE)
