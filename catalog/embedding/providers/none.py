"""The null provider: embeddings are off, so no vectors are made and similarity rows stay empty."""

from __future__ import annotations

from collections.abc import Sequence

from catalog.embedding.providers.base import EmbeddingBatch, EmbeddingProvider
from reclio.health import ProbeResult


class NoneProvider(EmbeddingProvider):
    name = "none"
    produces_vectors = False

    @property
    def model(self) -> str:
        return ""

    @property
    def dim(self) -> int:
        return 0

    def embed(self, texts: Sequence[str]) -> EmbeddingBatch:
        # Callers check produces_vectors first; answering "no vectors" keeps a stray call harmless.
        return EmbeddingBatch(model="", dim=0, vectors=())

    def probe(self) -> ProbeResult:
        return ProbeResult(
            "embeddings", True, "embeddings are off (EMBEDDING_PROVIDER resolves to none)", facts={"provider": "none"}
        )
