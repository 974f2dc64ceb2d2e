from __future__ import annotations

from django.apps import AppConfig


class RecsysConfig(AppConfig):
    name = "recsys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reclio.health import probe_register
        from recsys import probes

        # Recombee mode only ("not selected" is ok otherwise); the verdict leads the detail, so the
        # health check's one WARNING on degradation names it.
        probe_register("recombee", probes.recombee_probe)
        probe_register("recsys_engine", probes.local_engine_probe)
