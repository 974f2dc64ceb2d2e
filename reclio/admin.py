"""Admin of the platform table: parked (poison) tasks, with a re-queue action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from reclio.deliveries import parked_tasks_requeue
from reclio.models import ParkedTask


@admin.register(ParkedTask)
class ParkedTaskAdmin(admin.ModelAdmin):
    list_display = ("name", "task_id", "queue", "deliveries", "retries", "parked_at", "requeued_at")
    list_filter = ("name", "queue", ("requeued_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "task_id")
    readonly_fields = [field.name for field in ParkedTask._meta.fields]
    actions = ("requeue",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows are written by the task base class only

    @admin.action(description="Re-queue the selected tasks (a new message each)")
    def requeue(self, request: HttpRequest, queryset: QuerySet[ParkedTask]) -> None:
        sent = parked_tasks_requeue(parked_ids=list(queryset.values_list("pk", flat=True)))
        if sent:
            self.message_user(request, f"Re-queued {sent} task(s).", messages.SUCCESS)
        else:
            self.message_user(request, "Nothing re-queued (already re-queued?).", messages.ERROR)
