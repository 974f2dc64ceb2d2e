from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest
from django.core.cache import cache

from catalog.embedding import registry
from catalog.embedding.providers.base import EmbeddingBatch, EmbeddingProvider, ProviderError
from reclio.health import ProbeResult
from tests.fakes.embedding_server import FakeEmbeddingServer


@pytest.fixture(autouse=True)
def embed_calls():
    """Overrides tests/catalog's recorder: these tests exercise the real embedding hand-off."""
    return None


class FakeProvider(EmbeddingProvider):
    """An in-memory provider: deterministic vectors, counted calls, scriptable failures.

    ``vectors`` pins the vector of a text (by its first line, the title) for similarity tests.
    """

    name = "fake"

    def __init__(self, *, model: str = "fake:model-a", dim: int = 8) -> None:
        self._model = model
        self._dim = dim
        self.calls: list[list[str]] = []
        self.failures: list[ProviderError] = []
        self.vectors: dict[str, Sequence[float]] = {}

    @property
    def model(self) -> str:
        return self._model

    @property
    def dim(self) -> int:
        return self._dim

    def vector_for(self, text: str) -> list[float]:
        title = text.split("\n", 1)[0]
        if title in self.vectors:
            return list(self.vectors[title])
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
        return np.random.default_rng(seed).standard_normal(self._dim).tolist()

    def embed(self, texts: Sequence[str]) -> EmbeddingBatch:
        self.calls.append(list(texts))
        if self.failures:
            raise self.failures.pop(0)
        return self._batch([self.vector_for(t) for t in texts], expected=len(texts))

    def probe(self) -> ProbeResult:
        return ProbeResult("embeddings", True, "fake provider ready", facts={"provider": "fake"})


@pytest.fixture(autouse=True)
def _fresh_embedding_state():
    # The similarity dimension and the last-failure marker live in the (locmem) cache.
    cache.clear()
    registry.get_embedding_provider_forget()
    yield
    cache.clear()
    registry.get_embedding_provider_forget()


@pytest.fixture
def use_provider(monkeypatch):
    """Make ``registry.get_embedding_provider()`` return the given provider."""

    def install(provider: EmbeddingProvider) -> EmbeddingProvider:
        monkeypatch.setattr(registry, "get_embedding_provider", lambda: provider)
        cache.clear()
        return provider

    return install


@pytest.fixture
def fake_provider(use_provider) -> FakeProvider:
    return use_provider(FakeProvider())


@pytest.fixture
def embedding_server():
    server = FakeEmbeddingServer().start()
    yield server
    server.stop()
