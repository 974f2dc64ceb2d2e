"""The configured embedding provider: ``EMBEDDING_PROVIDER_RESOLVED`` → a class, imported lazily.

Importing a vendor module pulls in its SDK (torch for ``local``), so only the selected one is imported.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from django.conf import settings

from catalog.embedding.providers.base import EmbeddingProvider
from reclio.settings.providers import EmbeddingProviderName

PROVIDERS: dict[EmbeddingProviderName, str] = {
    EmbeddingProviderName.OPENAI: "catalog.embedding.providers.openai.OpenAIProvider",
    EmbeddingProviderName.OLLAMA: "catalog.embedding.providers.ollama.OllamaProvider",
    EmbeddingProviderName.LOCAL: "catalog.embedding.providers.local.LocalProvider",
    EmbeddingProviderName.NONE: "catalog.embedding.providers.none.NoneProvider",
}


def _provider_kwargs(name: EmbeddingProviderName) -> dict[str, Any]:
    if name is EmbeddingProviderName.OPENAI:
        return {
            "api_key": settings.OPENAI_API_KEY,
            "model_name": settings.OPENAI_EMBEDDING_MODEL,
            "base_url": settings.OPENAI_BASE_URL,
            "dimensions": settings.OPENAI_EMBEDDING_DIMENSIONS,
            "timeout": settings.EMBEDDING_REQUEST_TIMEOUT_SECONDS,
            "max_retries": settings.HTTP_MAX_RETRIES,
        }
    if name is EmbeddingProviderName.OLLAMA:
        return {
            "host": settings.OLLAMA_HOST,
            "model_name": settings.OLLAMA_EMBEDDING_MODEL,
            "dimensions": settings.OLLAMA_EMBEDDING_DIMENSIONS,
            "timeout": settings.EMBEDDING_REQUEST_TIMEOUT_SECONDS,
        }
    if name is EmbeddingProviderName.LOCAL:
        return {
            "model_dir": settings.EMBEDDING_LOCAL_MODEL_DIR or None,
            "model_name": settings.EMBEDDING_LOCAL_MODEL_NAME,
            "dim": settings.EMBEDDING_LOCAL_DIMENSIONS,
            "device": settings.EMBEDDING_DEVICE.value,
            "precision": settings.EMBEDDING_LOCAL_PRECISION.value,
            "encode_batch_size": settings.EMBEDDING_LOCAL_ENCODE_BATCH_SIZE,
            "threads": settings.EMBEDDING_LOCAL_THREADS,
        }
    return {}


def embedding_provider_build(name: EmbeddingProviderName) -> EmbeddingProvider:
    if name is EmbeddingProviderName.AUTO:
        raise ValueError("resolve EMBEDDING_PROVIDER=auto first (reclio.settings.providers)")
    module_path, class_name = PROVIDERS[name].rsplit(".", 1)
    provider_class = getattr(importlib.import_module(module_path), class_name)
    return provider_class(**_provider_kwargs(name))


@functools.cache
def _cached_provider(name: EmbeddingProviderName) -> EmbeddingProvider:
    return embedding_provider_build(name)


def get_embedding_provider() -> EmbeddingProvider:
    """The provider selected by settings, built once per process (per selected name)."""
    return _cached_provider(settings.EMBEDDING_PROVIDER_RESOLVED)


def get_embedding_provider_forget() -> None:
    """Forget the cached instance (tests that change settings)."""
    _cached_provider.cache_clear()
