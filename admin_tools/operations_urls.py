"""/staff/operations/: mounted before the admin site's catch-all; ``admin_view`` makes it staff-only."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from admin_tools.operations import operations_view

urlpatterns = [
    path("", admin.site.admin_view(operations_view), name="admin-operations"),
]
