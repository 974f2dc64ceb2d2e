from __future__ import annotations

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from catalog import probes
        from catalog.embedding import checks  # noqa: F401 - registers reclio.W002 (size without an HNSW index)
        from reclio.health import probe_register

        probe_register("tmdb", probes.tmdb_probe)
        probe_register("catalog_sync", probes.catalog_sync_probe)
        probe_register("embeddings", probes.embedding_provider_probe)
