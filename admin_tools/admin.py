from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from admin_tools.models import HealthSnapshot
from reclio.beat import task_result_get
from reclio.staff import StaffAction, StaffActionsMixin, staff_may


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(admin.ModelAdmin):
    list_display = ("created_at", "ok", "degraded")
    list_filter = ("ok",)
    readonly_fields = ("created_at", "ok", "checks", "degraded")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


# Beat in the admin: every periodic task with its queue, last run and last result, and "run now".
admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(StaffActionsMixin, BeatPeriodicTaskAdmin):
    list_display = ("name", "enabled", "task", "queue", "crontab", "last_run_at", "last_result", "run_now")
    actions = ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks")

    @admin.display(description="Last result")
    def last_result(self, obj: PeriodicTask) -> str:
        # Recorded by the worker when the task finishes (reclio.celery), whoever started it.
        result = task_result_get(name=obj.task)
        if result is None:
            return "–"
        at = dt.datetime.fromtimestamp(float(str(result["at"])), tz=dt.UTC)
        return f"{result['state']} at {at:%Y-%m-%d %H:%M} UTC: {result['result']}"[:200]

    @admin.display(description="")
    def run_now(self, obj: PeriodicTask) -> str:
        return format_html(
            '<a class="button" href="{}">Run now</a>', reverse("admin:admin_tools_periodictask_run", args=[obj.pk])
        )

    @admin.action(description="Run the selected tasks now (on their queues)", permissions=("operate",))
    def run_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        # django-celery-beat's own action sends each task on its row's queue; only the permission is ours.
        super().run_tasks(request, queryset)

    def get_urls(self) -> list:
        return [
            path("<int:pk>/run/", self.admin_site.admin_view(self.run_now_view), name="admin_tools_periodictask_run"),
            *super().get_urls(),
        ]

    def run_now_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """One row's "Run now": a GET shows a confirmation form, the POST runs the same action as the changelist."""
        if not staff_may(request, StaffAction.OPERATE):
            return HttpResponseForbidden("Running a periodic task needs the reclio.operate permission.")
        task = get_object_or_404(PeriodicTask, pk=pk)
        if request.method == "GET":
            return HttpResponse(
                format_html(
                    '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                    '<p>Run "{}" ({}) now on the {} queue?</p><button type="submit">Run now</button></form>',
                    get_token(request),
                    task.name,
                    task.task,
                    task.queue or "default",
                )
            )
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        super().run_tasks(request, PeriodicTask.objects.filter(pk=pk))
        messages.info(request, f"{task.name}: queued on {task.queue or 'the default queue'}.")
        return HttpResponseRedirect(reverse("admin:django_celery_beat_periodictask_changelist"))
