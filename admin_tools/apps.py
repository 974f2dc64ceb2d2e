from __future__ import annotations

from django.apps import AppConfig


class AdminToolsConfig(AppConfig):
    name = "admin_tools"
    verbose_name = "Admin Tools"
    default_auto_field = "django.db.models.BigAutoField"
