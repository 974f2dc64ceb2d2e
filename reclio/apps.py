from __future__ import annotations

from django.apps import AppConfig


class ReclioConfig(AppConfig):
    """The project package as an app: system checks and platform management commands."""

    name = "reclio"
    verbose_name = "Reclio platform"

    def ready(self) -> None:
        from reclio import checks  # noqa: F401 - registers the system checks
        from reclio.access_log import runserver_log_redact
        from reclio.health import probe_register
        from reclio.probes import parked_tasks_probe

        runserver_log_redact()
        probe_register("parked_tasks", parked_tasks_probe)
