"""Models of the platform app: what every app shares (staff permissions, parked poison messages)."""

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


class ParkedTask(models.Model):
    """A task message that killed its worker ``TASK_MAX_DELIVERIES`` times and was set aside.

    Written by the task base class (``reclio.deliveries``) instead of running the task again; shown
    in the admin, where it can be re-queued (a new message, same name/arguments/queue).
    """

    name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, db_index=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=64, blank=True)
    retries = models.PositiveIntegerField(default=0)  # the task's own retry count when it was parked
    deliveries = models.PositiveIntegerField()  # deliveries counted, the parked one included
    parked_at = models.DateTimeField()
    requeued_at = models.DateTimeField(null=True, blank=True)
    requeued_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-parked_at"]

    def __str__(self) -> str:
        return f"{self.name} {self.task_id} ({self.deliveries} deliveries)"
