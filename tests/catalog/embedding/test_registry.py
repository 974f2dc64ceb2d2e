from __future__ import annotations

import pytest

from catalog.embedding import registry
from catalog.embedding.providers.local import LocalProvider
from catalog.embedding.providers.none import NoneProvider
from catalog.embedding.providers.ollama import OllamaProvider
from catalog.embedding.providers.openai import OpenAIProvider
from reclio.settings.providers import EmbeddingProviderName as E
from reclio.settings.providers import LLMProviderName as L
from reclio.settings.providers import embedding_provider_resolve


@pytest.mark.parametrize(
    ("requested", "llm", "resolved"),
    [
        (E.AUTO, L.OLLAMA, E.OLLAMA),
        (E.AUTO, L.OPENAI, E.OPENAI),
        (E.AUTO, L.CLAUDE, E.LOCAL),
        (E.AUTO, L.OPENROUTER, E.LOCAL),
        (E.AUTO, L.NONE, E.NONE),
        # An explicit value wins: chat on Claude with embeddings on OpenAI is supported.
        (E.OPENAI, L.CLAUDE, E.OPENAI),
        (E.LOCAL, L.OPENAI, E.LOCAL),
        (E.OLLAMA, L.NONE, E.OLLAMA),
        (E.NONE, L.OPENAI, E.NONE),
    ],
)
def test_auto_resolution_table(requested, llm, resolved):
    assert embedding_provider_resolve(requested=requested, llm=llm) is resolved


@pytest.mark.parametrize(
    ("name", "cls", "model", "dim"),
    [
        (E.OPENAI, OpenAIProvider, "openai:text-embedding-3-small", 1536),
        (E.OLLAMA, OllamaProvider, "ollama:nomic-embed-text", 768),
        (E.LOCAL, LocalProvider, "local:all-MiniLM-L6-v2", 384),
        (E.NONE, NoneProvider, "", 0),
    ],
)
def test_registry_builds_each_provider_from_settings(settings, name, cls, model, dim):
    # given
    settings.EMBEDDING_PROVIDER_RESOLVED = name

    # when
    provider = registry.get_embedding_provider()

    # then
    assert type(provider) is cls
    assert (provider.model, provider.dim) == (model, dim)
    assert provider.produces_vectors is (name is not E.NONE)
    assert registry.get_embedding_provider() is provider  # built once


def test_registry_passes_vendor_settings(settings):
    settings.EMBEDDING_PROVIDER_RESOLVED = E.OPENAI
    settings.OPENAI_API_KEY = "sk-abc"
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    settings.OPENAI_EMBEDDING_MODEL = "text-embedding-3-large"
    settings.OPENAI_EMBEDDING_DIMENSIONS = 1024

    provider = registry.get_embedding_provider()

    assert isinstance(provider, OpenAIProvider)
    assert (provider.api_key, provider.base_url, provider.model, provider.dim) == (
        "sk-abc",
        "http://127.0.0.1:9/v1",
        "openai:text-embedding-3-large@1024",
        1024,
    )


def test_auto_cannot_be_built_unresolved():
    with pytest.raises(ValueError, match="resolve"):
        registry.embedding_provider_build(E.AUTO)


def test_none_provider_is_a_null_object():
    provider = NoneProvider()

    batch = provider.embed(["anything"])

    assert (batch.vectors, provider.produces_vectors, provider.probe().ok) == ((), False, True)
