"""OpenAI embeddings through the official ``openai`` SDK (text-embedding-3-small, 1536 d, by default).

Reference: https://platform.openai.com/docs/api-reference/embeddings/create
``POST {base_url}/embeddings {model, input: [texts], dimensions?}`` →
``{data: [{index, embedding: [floats]}], model, usage}``. The SDK honours ``OPENAI_BASE_URL``
(proxies, Azure-compatible gateways, the fake server in tests) and retries 408/409/429/5xx and
connection errors itself, honouring ``Retry-After``; whatever is left becomes a ``ProviderError``.
Error codes: https://platform.openai.com/docs/guides/error-codes
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import openai

from catalog.embedding.providers.base import EmbeddingBatch, EmbeddingProvider, ProviderError
from reclio.health import ProbeResult

# Native output sizes (https://platform.openai.com/docs/guides/embeddings#embedding-models).
KNOWN_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
PROBE_TIMEOUT_SECONDS = 5.0


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_code(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    return str(error.get("code") or "") if isinstance(error, dict) else ""


def provider_error_from(exc: openai.OpenAIError, *, model: str) -> ProviderError:
    """Map an SDK exception to our one error type (permanent = asking again cannot help)."""
    if isinstance(exc, openai.AuthenticationError):
        return ProviderError("OpenAI rejected OPENAI_API_KEY (HTTP 401): check the key", permanent=True)
    if isinstance(exc, openai.PermissionDeniedError):
        return ProviderError("OpenAI refused this key access (HTTP 403): check the project/org", permanent=True)
    if isinstance(exc, openai.BadRequestError):
        return ProviderError(f"OpenAI rejected the input (HTTP 400): {exc.message}", bad_input=True)
    if isinstance(exc, openai.NotFoundError):
        return ProviderError(
            f"OpenAI does not know model {model!r} (HTTP 404): check OPENAI_EMBEDDING_MODEL", permanent=True
        )
    if isinstance(exc, openai.RateLimitError):
        if _error_code(exc) == "insufficient_quota":
            # A billing problem, not a burst: retrying burns worker time until someone pays.
            return ProviderError("OpenAI quota exhausted (HTTP 429 insufficient_quota): check billing", permanent=True)
        return ProviderError("OpenAI rate limit (HTTP 429)", permanent=False, retry_after=_retry_after(exc))
    if isinstance(exc, openai.APITimeoutError):
        return ProviderError("OpenAI embeddings request timed out", permanent=False)
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(f"cannot reach OpenAI: {exc}", permanent=False)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        permanent = 400 <= status < 500 and status not in (408, 409, 429)
        return ProviderError(f"OpenAI answered HTTP {status}", permanent=permanent, retry_after=_retry_after(exc))
    return ProviderError(f"OpenAI call failed: {type(exc).__name__}: {exc}", permanent=False)


class OpenAIProvider(EmbeddingProvider):
    name = "openai"

    def __init__(
        self,
        *,
        api_key: str | None,
        model_name: str = "text-embedding-3-small",
        base_url: str | None = None,
        dimensions: int = 0,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        self.api_key = api_key
        self.model_name = model_name
        self.base_url = base_url
        # 0 → the model's native size, not sent; otherwise sent as `dimensions` (text-embedding-3-*).
        self.requested_dimensions = dimensions
        self.timeout = timeout
        self.max_retries = max_retries
        self._client: openai.OpenAI | None = None

    @property
    def model(self) -> str:
        suffix = f"@{self.requested_dimensions}" if self.requested_dimensions else ""
        return f"openai:{self.model_name}{suffix}"

    @property
    def dim(self) -> int:
        return self.requested_dimensions or KNOWN_DIMENSIONS.get(self.model_name, 1536)

    def _get_client(self) -> openai.OpenAI:
        if not self.api_key:
            raise ProviderError("OPENAI_API_KEY is not set", permanent=True)
        if self._client is None:
            self._client = openai.OpenAI(
                api_key=self.api_key, base_url=self.base_url, timeout=self.timeout, max_retries=self.max_retries
            )
        return self._client

    def embed(self, texts: Sequence[str]) -> EmbeddingBatch:
        if not texts:
            return EmbeddingBatch(model=self.model, dim=self.dim, vectors=())
        client = self._get_client()
        kwargs: dict[str, Any] = {"model": self.model_name, "input": list(texts), "encoding_format": "float"}
        if self.requested_dimensions:
            kwargs["dimensions"] = self.requested_dimensions
        try:
            response = client.embeddings.create(**kwargs)
        except openai.OpenAIError as exc:
            raise provider_error_from(exc, model=self.model_name) from exc
        try:
            ordered = sorted(response.data, key=lambda item: item.index)
            raw = [item.embedding for item in ordered]
        except (AttributeError, TypeError) as exc:
            raise ProviderError("OpenAI answered with an unexpected embeddings shape", permanent=False) from exc
        if [item.index for item in ordered] != list(range(len(texts))):
            raise ProviderError("OpenAI answered with missing or duplicate indexes", permanent=False)
        return self._batch(raw, expected=len(texts))

    def probe(self) -> ProbeResult:
        started = time.perf_counter()
        facts = {"provider": self.name, "model": self.model, "base_url": self.base_url or "https://api.openai.com/v1"}
        try:
            client = self._get_client().with_options(timeout=PROBE_TIMEOUT_SECONDS, max_retries=0)
            client.models.retrieve(self.model_name)
        except ProviderError as exc:
            return ProbeResult("embeddings", False, exc.message, (time.perf_counter() - started) * 1000, facts)
        except openai.OpenAIError as exc:
            error = provider_error_from(exc, model=self.model_name)
            return ProbeResult("embeddings", False, error.message, (time.perf_counter() - started) * 1000, facts)
        return ProbeResult(
            "embeddings",
            True,
            f"OpenAI answers; model {self.model_name} available",
            (time.perf_counter() - started) * 1000,
            facts,
        )
