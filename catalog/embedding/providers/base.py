"""The embedding provider contract.

A provider turns a batch of texts into unit-length vectors of a fixed size. Callers branch on the
capability attribute ``produces_vectors`` (the ``none`` provider says False), never on the vendor.
Only frozen dataclasses and plain lists of floats cross this boundary, never SDK objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reclio.health import ProbeResult


class ProviderError(Exception):
    """An embedding call failed. ``permanent`` errors (bad key, unknown model, wrong dimension) are
    not retried and are shown in diagnostics; transient ones (429, 5xx, timeout) are retried by the task."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None, bad_input: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent or bad_input
        self.retry_after = retry_after
        # The request was refused for its content (HTTP 400): one text may be at fault, so the
        # service splits the batch to embed the others and skip (and report) the culprit.
        self.bad_input = bad_input


@dataclass(frozen=True)
class EmbeddingBatch:
    """Vectors for a batch of texts, in input order; every vector has ``dim`` floats and unit length."""

    model: str
    dim: int
    vectors: tuple[tuple[float, ...], ...]
    facts: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.vectors)


class EmbeddingProvider:
    name = "base"
    # False only for the null provider: no vectors are produced and similarity rows stay empty.
    produces_vectors = True

    @property
    def model(self) -> str:
        """Identity stored in ``ContentItem.embedding_model`` (``<provider>:<model>[@<dim>]``).

        A row whose stored identity differs from this is re-embedded, so the string must change
        whenever vectors from the new setup are not comparable with the old ones.
        """
        raise NotImplementedError

    @property
    def dim(self) -> int:
        """Length of every vector this provider returns."""
        raise NotImplementedError

    def embed(self, texts: Sequence[str]) -> EmbeddingBatch:
        """Embed ``texts`` (one call's worth; the caller batches) and return unit-length vectors.

        Raises ``ProviderError``: ``permanent=True`` when asking again cannot help (credentials,
        unknown model, a vector of the wrong size), ``permanent=False`` otherwise.
        """
        raise NotImplementedError

    def probe(self) -> ProbeResult:
        """A cheap, bounded check that the provider can serve (never raises; says how to fix it)."""
        raise NotImplementedError

    # --- helpers for vendor modules -------------------------------------------------------------
    def _batch(self, raw: Sequence[Sequence[float]] | Any, *, expected: int) -> EmbeddingBatch:
        """Validate a vendor answer strictly and normalise it (cosine search assumes unit vectors)."""
        if len(raw) != expected:
            raise ProviderError(f"{self.name} returned {len(raw)} vectors for {expected} texts", permanent=False)
        if expected == 0:
            return EmbeddingBatch(model=self.model, dim=self.dim, vectors=())
        wrong = next((len(vector) for vector in raw if len(vector) != self.dim), None)
        if wrong is not None:
            raise ProviderError(
                f"{self.name} model {self.model} returned {wrong}-dimensional vectors, expected {self.dim}; "
                "check the model name and its *_EMBEDDING_DIMENSIONS setting",
                permanent=True,
            )
        try:
            matrix = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ProviderError(f"{self.name} returned non-numeric vectors", permanent=False) from exc
        norms = np.linalg.norm(matrix, axis=1)
        if not np.all(np.isfinite(norms)) or np.any(norms == 0.0):
            raise ProviderError(f"{self.name} returned a zero or non-finite vector", permanent=False)
        unit = (matrix / norms[:, None]).astype(np.float32)
        return EmbeddingBatch(model=self.model, dim=self.dim, vectors=tuple(map(tuple, unit.tolist())))
