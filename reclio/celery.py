"""The Celery application. Settings come from Django settings with the CELERY_ prefix."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reclio.settings.base")

# Every task derives from ReclioTask: it counts broker deliveries and parks a message that keeps
# killing its worker (reclio/deliveries.py).
app = Celery("reclio", task_cls="reclio.deliveries:ReclioTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Sub-packages with their own tasks module (autodiscovery only looks at <app>.tasks by default).
app.autodiscover_tasks(["catalog.embedding"])
