"""One loopback HTTP server for every fake upstream (TMDB, Trakt, and the tests' Recombee and embeddings).

A ``FakeHttpServer`` owns the socket and the thread; the fake behind it is one function,
``respond(request) -> FakeReply``. The server adds what every fake needs: HTTP/1.1 keep-alive
without Nagle stalls, JSON bodies in and out, a request log (``requests``), and per-route failure
injection (``inject``) ahead of the fake's own answer. Fakes either pass ``respond`` or subclass.

    with FakeHttpServer(my_fake.respond) as server:
        settings.SOME_BASE_URL = server.url
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

# The fakes' own control routes (sandbox Trakt, fake TMDB): never answered by an injected failure.
CONTROL_PREFIXES = ("/_sandbox/", "/__fake/")


@dataclass(frozen=True)
class FakeReply:
    status: int = 200
    body: Any = None  # dict/list → JSON; str/bytes → sent raw (malformed JSON tests); None → empty
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    timeout: bool = False  # stall past any client timeout (the server's ``stall_seconds``)
    drop: bool = False  # close the connection without an answer (DNS / firewall / crash)


@dataclass
class Recorded:
    """One request as the server saw it, and what it answered."""

    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    query_string: str  # as sent (signatures are computed over it)
    headers: dict[str, str]  # names lower-cased
    body: Any  # decoded JSON, or None when empty or not JSON
    raw_body: bytes = b""
    status: int = 0
    tag: str = ""  # set by the fake (Trakt: the account whose token made the call)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def arg(self, name: str, default: str = "") -> str:
        """The last value of a query parameter."""
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class _Failure:
    method: str
    path_prefix: str
    reply: FakeReply
    times: int


def encode_body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


class FakeHttpServer:
    """``respond`` behind a threaded HTTP/1.1 server on ``host:port`` (0 = any free port)."""

    def __init__(
        self,
        respond: Callable[[Recorded], FakeReply],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "fake-http",
        stall_seconds: float = 30.0,
        log: bool = True,
    ) -> None:
        self.respond = respond
        self.stall_seconds = stall_seconds
        self.log = log  # off for long-running servers (the sandbox): the log would grow without end
        self.requests: list[Recorded] = []
        self._failures: list[_Failure] = []
        self._log_lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown (test teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def host(self) -> str:
        """``host:port``, as clients send it in ``Host``."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- failure injection and the log -----------------------------------------------------------
    def inject(self, method: str | None, path_prefix: str, reply: FakeReply, *, times: int = 1) -> None:
        """Answer the next ``times`` requests of ``method`` (None = any) under ``path_prefix`` with ``reply``."""
        with self._log_lock:
            self._failures.append(_Failure((method or "").upper(), path_prefix, reply, times))

    def inject_from_json(self, body: Any) -> tuple[int, dict[str, Any]]:
        """The drills' control endpoint: ``{"path_prefix", "status", "method"?, "headers"?, "times"?,
        "delay"?}`` → the next ``times`` matching requests get that answer (e.g. a 429 storm);
        ``status`` 0 answers normally after ``delay`` seconds (a slow upstream)."""
        try:
            reply = FakeReply(
                int(body["status"]),
                body.get("body", {"error": "injected"}),
                {str(k): str(v) for k, v in (body.get("headers") or {}).items()},
                delay=float(body.get("delay", 0.0)),
            )
            times = int(body.get("times", 1))
            self.inject(body.get("method"), str(body["path_prefix"]), reply, times=times)
        except (KeyError, TypeError, ValueError):
            return 422, {"error": "path_prefix and status expected; method, headers, times, delay optional"}
        return 201, {"injected": times, "path_prefix": body["path_prefix"], "status": reply.status}

    def injections_clear(self) -> None:
        with self._log_lock:
            self._failures.clear()

    def reset_log(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def _injected(self, request: Recorded) -> FakeReply | None:
        if request.path.startswith(CONTROL_PREFIXES):  # a drill's storm must not lock the drill out
            return None
        with self._log_lock:
            for failure in self._failures:
                if (
                    failure.times > 0
                    and failure.method in ("", request.method)
                    and request.path.startswith(failure.path_prefix)
                ):
                    failure.times -= 1
                    return failure.reply
        return None

    def _loggable(self, request: Recorded) -> bool:
        return self.log

    def _serve(self, request: Recorded) -> FakeReply:
        reply = self._injected(request) or self.respond(request)
        if reply.status == 0:  # an injected slowdown: the fake's own answer, late
            reply = replace(self.respond(request), delay=reply.delay)
        request.status = reply.status
        if self._loggable(request):
            with self._log_lock:
                self.requests.append(request)
        return reply

    # --- HTTP -----------------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes; with Nagle plus the client's delayed ACK
            # every keep-alive response would stall ~40 ms.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                request = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    query_string=parts.query,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=body,
                    raw_body=raw,
                )
                reply = server._serve(request)
                if reply.drop:
                    self.close_connection = True
                    return
                if reply.timeout:
                    time.sleep(server.stall_seconds)
                elif reply.delay:
                    time.sleep(reply.delay)
                data = encode_body(reply.body)
                try:
                    self.send_response(reply.status)
                    if "content-type" not in {name.lower() for name in reply.headers}:
                        self.send_header("Content-Type", "application/json")
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        return Handler
