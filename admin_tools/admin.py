from __future__ import annotations

from django.contrib import admin

from admin_tools.models import HealthSnapshot


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(admin.ModelAdmin):
    list_display = ("created_at", "ok", "degraded")
    list_filter = ("ok",)
    readonly_fields = ("created_at", "ok", "checks", "degraded")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
