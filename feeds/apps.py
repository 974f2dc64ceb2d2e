from __future__ import annotations

from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "feeds"
    verbose_name = "Feeds"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from feeds.probes import feeds_probe
        from reclio.health import probe_register

        probe_register("feeds", feeds_probe)
