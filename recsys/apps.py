from __future__ import annotations

from django.apps import AppConfig


class RecsysConfig(AppConfig):
    name = "recsys"
    verbose_name = "Recsys"
    default_auto_field = "django.db.models.BigAutoField"
