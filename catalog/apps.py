from __future__ import annotations

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers system check reclio.W002 (embedding size without an HNSW index).
        from catalog.embedding import checks  # noqa: F401
