"""Models of the platform app. It owns no data of its own, only what every app shares."""

from __future__ import annotations

from django.db import models

from reclio.staff import STAFF_PERMISSIONS


class StaffPermission(models.Model):
    """No table: the holder of the staff action permissions (reclio/staff.py), so they live in one place.

    A permission needs a content type; a lower app's admin cannot name a higher app's model, and every
    app's admin can name this one.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = STAFF_PERMISSIONS

    def __str__(self) -> str:
        return "staff permissions"
