"""Ollama embeddings through the official ``ollama`` SDK (nomic-embed-text, 768 d, by default).

Reference: https://github.com/ollama/ollama/blob/main/docs/api.md#generate-embeddings
``POST {OLLAMA_HOST}/api/embed {model, input: [texts]}`` → ``{model, embeddings: [[floats]]}``.
A model that was never pulled answers 404 ``{"error": "model \\"…\\" not found, try pulling it first"}``.
The SDK (httpx) does not retry; transient failures become ``ProviderError(permanent=False)`` and
the Celery task retries the batch with backoff.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx
import ollama

from catalog.embedding.providers.base import EmbeddingBatch, EmbeddingProvider, ProviderError
from reclio.health import ProbeResult

# Output sizes of common Ollama embedding models (https://ollama.com/search?c=embedding).
KNOWN_DIMENSIONS = {
    "nomic-embed-text": 768,
    "mxbai-embed-large": 1024,
    "all-minilm": 384,
    "snowflake-arctic-embed": 1024,
    "bge-m3": 1024,
}
PROBE_TIMEOUT_SECONDS = 5.0


def _base_name(model: str) -> str:
    return model.split(":", 1)[0]  # "nomic-embed-text:latest" → "nomic-embed-text"


def provider_error_from(exc: Exception, *, model: str, host: str) -> ProviderError:
    if isinstance(exc, ollama.ResponseError):
        status = exc.status_code
        if status == 404:
            return ProviderError(
                f"Ollama model {model} is not pulled at {host}; run: ollama pull {model}", permanent=True
            )
        if status in (401, 403):
            return ProviderError(
                f"Ollama at {host} refused the request (HTTP {status}): check OLLAMA_API_KEY", permanent=True
            )
        if status == 400:
            return ProviderError(f"Ollama rejected the input (HTTP 400): {exc.error}", bad_input=True)
        return ProviderError(f"Ollama answered HTTP {status}: {exc.error}", permanent=False)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(f"Ollama at {host} timed out", permanent=False)
    if isinstance(exc, (ConnectionError, httpx.TransportError)):
        return ProviderError(f"cannot reach Ollama at {host}: is it running?", permanent=False)
    return ProviderError(f"Ollama call failed: {type(exc).__name__}: {exc}", permanent=False)


class OllamaProvider(EmbeddingProvider):
    name = "ollama"

    def __init__(
        self, *, host: str, model_name: str = "nomic-embed-text", dimensions: int = 0, timeout: float = 60.0
    ) -> None:
        self.host = host
        self.model_name = model_name
        self._dim = dimensions or KNOWN_DIMENSIONS.get(_base_name(model_name), 768)
        self.timeout = timeout
        self._client: ollama.Client | None = None

    @property
    def model(self) -> str:
        return f"ollama:{self.model_name}"

    @property
    def dim(self) -> int:
        return self._dim

    def _get_client(self, *, timeout: float | None = None) -> ollama.Client:
        if timeout is not None:
            return ollama.Client(host=self.host, timeout=timeout)
        if self._client is None:
            self._client = ollama.Client(host=self.host, timeout=self.timeout)
        return self._client

    def embed(self, texts: Sequence[str]) -> EmbeddingBatch:
        if not texts:
            return EmbeddingBatch(model=self.model, dim=self.dim, vectors=())
        try:
            response = self._get_client().embed(model=self.model_name, input=list(texts))
        except (ollama.ResponseError, ConnectionError, httpx.HTTPError) as exc:
            raise provider_error_from(exc, model=self.model_name, host=self.host) from exc
        except ValueError as exc:  # pydantic validation of a malformed body
            raise ProviderError(f"Ollama answered with an unexpected body: {exc}", permanent=False) from exc
        return self._batch(list(response.embeddings or []), expected=len(texts))

    def probe(self) -> ProbeResult:
        started = time.perf_counter()
        facts = {"provider": self.name, "model": self.model, "host": self.host}
        try:
            shown = self._get_client(timeout=PROBE_TIMEOUT_SECONDS).show(self.model_name)
        except (ollama.ResponseError, ConnectionError, httpx.HTTPError) as exc:
            error = provider_error_from(exc, model=self.model_name, host=self.host)
            return ProbeResult("embeddings", False, error.message, (time.perf_counter() - started) * 1000, facts)
        except ValueError as exc:  # malformed /api/show body
            return ProbeResult(
                "embeddings",
                False,
                f"Ollama answered /api/show oddly: {exc}",
                (time.perf_counter() - started) * 1000,
                facts,
            )
        # /api/show reports "<architecture>.embedding_length"; a mismatch would fail every batch.
        info = dict(shown.modelinfo or {})
        architecture = info.get("general.architecture")
        length = info.get(f"{architecture}.embedding_length") if architecture else None
        if isinstance(length, int) and length != self.dim:
            return ProbeResult(
                "embeddings",
                False,
                f"Ollama model {self.model_name} makes {length}-d vectors, expected {self.dim}; "
                "set OLLAMA_EMBEDDING_DIMENSIONS",
                (time.perf_counter() - started) * 1000,
                facts,
            )
        return ProbeResult(
            "embeddings",
            True,
            f"Ollama answers; model {self.model_name} is pulled",
            (time.perf_counter() - started) * 1000,
            facts,
        )
