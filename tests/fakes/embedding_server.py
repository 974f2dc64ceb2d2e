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
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

OPENAI_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
OLLAMA_DIMENSIONS = {"nomic-embed-text": 768, "all-minilm": 384}


def fake_vector(text: str, dim: int) -> list[float]:
    """Deterministic, deliberately not unit length (clients must normalise)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    return (np.random.default_rng(seed).standard_normal(dim) * 3.0).round(6).tolist()


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeEmbeddingServer:
    def __init__(self, *, pulled_ollama_models: tuple[str, ...] = ("nomic-embed-text", "all-minilm")) -> None:
        self.requests: list[Recorded] = []
        self.pulled_ollama_models = set(pulled_ollama_models)
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown (test teardown) fast.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeEmbeddingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

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
        with self._lock:
            for _ in range(times):
                self._scripts[route].append(Reply(status, body, headers or {}, delay))

    def calls(self, route: str) -> list[Recorded]:
        method, path = route.split(" ", 1)
        return [r for r in self.requests if r.method == method and r.path.split("?")[0] == path]

    def _scripted(self, route: str) -> Reply | None:
        with self._lock:
            queue = self._scripts.get(route)
            return queue.popleft() if queue else None

    # --- default behaviour ----------------------------------------------------------------------
    def _default(self, method: str, path: str, body: Any) -> Reply:
        if method == "POST" and path == "/v1/embeddings":
            model = body.get("model")
            dim = body.get("dimensions") or OPENAI_DIMENSIONS.get(model)
            if dim is None:
                return Reply(
                    404,
                    {
                        "error": {
                            "message": f"The model `{model}` does not exist",
                            "type": "invalid_request_error",
                            "param": None,
                            "code": "model_not_found",
                        }
                    },
                )
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [{"object": "embedding", "index": i, "embedding": fake_vector(t, dim)} for i, t in enumerate(texts)]
            data.reverse()  # the API does not promise order; clients must sort by index
            tokens = sum(len(t.split()) for t in texts)
            return Reply(
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
                return Reply(
                    404,
                    {
                        "error": {
                            "message": f"The model `{model}` does not exist",
                            "type": "invalid_request_error",
                            "param": None,
                            "code": "model_not_found",
                        }
                    },
                )
            return Reply(200, {"id": model, "object": "model", "created": 1705948997, "owned_by": "system"})
        if method == "POST" and path in ("/api/embed", "/api/show"):
            model = body.get("model", "")
            if model.split(":")[0] not in self.pulled_ollama_models:
                return Reply(404, {"error": f'model "{model}" not found, try pulling it first'})
            if path == "/api/show":
                dim = OLLAMA_DIMENSIONS[model.split(":")[0]]
                return Reply(
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
            return Reply(
                200,
                {
                    "model": model,
                    "embeddings": [fake_vector(t, dim) for t in texts],
                    "total_duration": 1000,
                    "load_duration": 10,
                    "prompt_eval_count": len(texts),
                },
            )
        return Reply(404, {"error": "not found"})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
                return

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                path = self.path.split("?")[0]
                server.requests.append(Recorded(method, path, {k.lower(): v for k, v in self.headers.items()}, body))
                reply = server._scripted(f"{method} {path}") or server._default(method, path, body)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = (
                    b""
                    if reply.body is None
                    else (reply.body.encode() if isinstance(reply.body, str) else json.dumps(reply.body).encode())
                )
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

            def do_GET(self) -> None:  # noqa: N802
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

        return Handler
