"""A protocol-faithful fake of the OpenAI and Ollama embedding APIs on 127.0.0.1.

Both SDKs speak httpx, which ``responses`` cannot intercept, so tests (and later end-to-end runs)
point ``OPENAI_BASE_URL`` / ``OLLAMA_HOST`` here. By default every text gets a deterministic vector
of the model's size; ``reply()`` queues scripted answers (status, body, headers, delay) per route.

OpenAI: ``POST /v1/embeddings``, ``GET /v1/models/{id}``
(https://platform.openai.com/docs/api-reference/embeddings/create, errors as ``{"error": {...}}``).
Ollama: ``POST /api/embed``, ``POST /api/show``
(https://github.com/ollama/ollama/blob/main/docs/api.md#generate-embeddings).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from sandbox.http import FakeHttpServer, FakeReply, Recorded

OPENAI_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
OLLAMA_DIMENSIONS = {"nomic-embed-text": 768, "all-minilm": 384}


def fake_vector(text: str, dim: int) -> list[float]:
    """Deterministic, deliberately not unit length (clients must normalise)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    return (np.random.default_rng(seed).standard_normal(dim) * 3.0).round(6).tolist()


def _model_not_found(model: str | None) -> FakeReply:
    error = {
        "message": f"The model `{model}` does not exist",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }
    return FakeReply(404, {"error": error})


class FakeEmbeddingServer(FakeHttpServer):
    def __init__(self, *, pulled_ollama_models: tuple[str, ...] = ("nomic-embed-text", "all-minilm")) -> None:
        self.pulled_ollama_models = set(pulled_ollama_models)
        super().__init__(
            lambda request: self._default(request.method, request.path, request.body or {}), name="fake-embeddings"
        )

    # --- scripting ------------------------------------------------------------------------------
    def reply(
        self,
        route: str,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Queue the next ``times`` answers of ``route`` ("POST /v1/embeddings", "POST /api/embed", …)."""
        method, path = route.split(" ", 1)
        self.inject(method, path, FakeReply(status, body, headers or {}, delay), times=times)

    def calls(self, route: str) -> list[Recorded]:
        method, path = route.split(" ", 1)
        return [r for r in self.requests if r.method == method and r.path == path]

    # --- default behaviour ----------------------------------------------------------------------
    def _default(self, method: str, path: str, body: Any) -> FakeReply:
        if method == "POST" and path == "/v1/embeddings":
            model = body.get("model")
            dim = body.get("dimensions") or OPENAI_DIMENSIONS.get(model)
            if dim is None:
                return _model_not_found(model)
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [{"object": "embedding", "index": i, "embedding": fake_vector(t, dim)} for i, t in enumerate(texts)]
            data.reverse()  # the API does not promise order; clients must sort by index
            tokens = sum(len(t.split()) for t in texts)
            return FakeReply(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": model,
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                },
            )
        if method == "GET" and path.startswith("/v1/models/"):
            model = path.rsplit("/", 1)[1]
            if model not in OPENAI_DIMENSIONS:
                return _model_not_found(model)
            return FakeReply(200, {"id": model, "object": "model", "created": 1705948997, "owned_by": "system"})
        if method == "POST" and path in ("/api/embed", "/api/show"):
            model = body.get("model", "")
            if model.split(":")[0] not in self.pulled_ollama_models:
                return FakeReply(404, {"error": f'model "{model}" not found, try pulling it first'})
            if path == "/api/show":
                dim = OLLAMA_DIMENSIONS[model.split(":")[0]]
                return FakeReply(
                    200,
                    {
                        "modelfile": "",
                        "parameters": "",
                        "template": "",
                        "details": {"format": "gguf", "family": "nomic-bert", "parameter_size": "137M"},
                        "model_info": {"general.architecture": "nomic-bert", "nomic-bert.embedding_length": dim},
                        "capabilities": ["embedding"],
                    },
                )
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            dim = OLLAMA_DIMENSIONS[model.split(":")[0]]
            return FakeReply(
                200,
                {
                    "model": model,
                    "embeddings": [fake_vector(t, dim) for t in texts],
                    "total_duration": 1000,
                    "load_duration": 10,
                    "prompt_eval_count": len(texts),
                },
            )
        return FakeReply(404, {"error": "not found"})
