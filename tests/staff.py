"""Staff members for admin tests: view access to every model, plus the given action families (reclio.staff)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import Permission
from django.contrib.auth.models import User as StaffUser


def staff_member(*codenames: str) -> StaffUser:
    user = StaffUser.objects.create_user(username=f"staff-{uuid.uuid4().hex[:8]}", password="x", is_staff=True)
    view = Permission.objects.filter(codename__startswith="view_")
    families = Permission.objects.filter(content_type__app_label="reclio", codename__in=codenames)
    user.user_permissions.add(*view, *families)
    return user
