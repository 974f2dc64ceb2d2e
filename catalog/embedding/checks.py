"""System check reclio.W002 (see reclio/checks.py): the configured vectors have no HNSW index.

The vector column has no fixed size; what can go wrong is a provider whose vectors have a size
migration 0004 does not index (e.g. text-embedding-3-large, 3072 d, or mxbai-embed-large, 1024 d):
similarity then scans every row, which is slow past some tens of thousands of titles.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register

from catalog.embedding import registry
from catalog.embedding.selectors import INDEXED_DIMENSIONS


@register(Tags.compatibility)
def embedding_dimension_indexed_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        provider = registry.get_embedding_provider()
    except Exception as exc:  # noqa: BLE001 - a check reports, it never breaks `manage.py check`
        return [Warning(f"embedding provider cannot be built: {exc}", id="reclio.W002")]
    if not provider.produces_vectors or provider.dim in INDEXED_DIMENSIONS:
        return []
    return [
        Warning(
            f"{provider.model} makes {provider.dim}-dimensional vectors; only "
            f"{', '.join(map(str, INDEXED_DIMENSIONS))} have an HNSW index, so similarity scans every row.",
            hint="Pick a model of an indexed size, set OPENAI_EMBEDDING_DIMENSIONS (text-embedding-3-*) to 1536 "
            "or 768, or add a partial HNSW index for this size "
            "per media type (see catalog/migrations/0006_embedding_hnsw_per_media_type.py).",
            id="reclio.W002",
        )
    ]
