"""The access log, written by the application, with viewer ids redacted: the one place that does both.

A viewer's UUID is their credential (the addon URL ``{BASE_URL}/?user_id=<uuid>``; admin pages such
as ``/staff/users/user/<uuid>/change/`` carry it too), so a request line that holds one must not be
written verbatim to a log file, a terminal scrollback or a log shipper:

- production (granian): ``AccessLog`` wraps the WSGI application granian runs (``reclio.wsgi.served``)
  and writes one redacted line per request to standard output; ``ACCESS_LOG=false`` leaves it out.
  granian's own access log stays off (it would write the raw query string);
- ``runserver`` (``DEBUG``): the same redaction as a filter on the ``django.server`` logger
  (``ReclioConfig.ready``).

Application logs (``user_id=…`` key-value fields) are operator diagnostics and keep the id.

The line is cheap on purpose (/feeds is a fraction of a millisecond of CPU, docs/perf/feeds.md): the
common log format plus the duration, from the few environ values it needs, the timestamp formatted
once per second, written to the stream under a lock without a ``LogRecord``.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO, Any

logger = logging.getLogger(__name__)

REDACTED = "<viewer>"
# Any UUID spelling uuid.UUID() accepts (with or without dashes), not inside a longer hex run.
_UUID = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}(?:-?[0-9A-Fa-f]{4}){3}-?[0-9A-Fa-f]{12}(?![0-9A-Fa-f])")
# The parameter itself, however its value is spelled (percent-encoded dashes, braces, garbage).
_USER_ID_PARAM = re.compile(r"(?i)(user_id(?:%5B%5D|\[\])?=)[^&\s\"']*")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def viewer_ids_redacted(text: str) -> str:
    return _UUID.sub(REDACTED, _USER_ID_PARAM.sub(rf"\g<1>{REDACTED}", text))


class ViewerIdRedactingFilter(logging.Filter):
    """Formats the record once and keeps only the redacted line (the handler then formats nothing)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = viewer_ids_redacted(record.getMessage())
        record.args = None
        return True


def request_line(environ: dict[str, Any]) -> str:
    """Method, target and protocol as logged (the target as the client sent it, query included)."""
    target = environ.get("RAW_URI")  # gunicorn's; granian gives the path and the query string apart
    if target is None:
        query = environ.get("QUERY_STRING")
        target = f"{environ.get('PATH_INFO', '-')}?{query}" if query else environ.get("PATH_INFO", "-")
    return f"{environ.get('REQUEST_METHOD', '-')} {target} {environ.get('SERVER_PROTOCOL', '-')}"


def _bytes_sent(body: Iterable[bytes], headers: list[tuple[str, str]]) -> str:
    if isinstance(body, list):
        return str(sum(len(chunk) for chunk in body))
    for name, value in headers:
        if name.lower() == "content-length":
            return value
    return "-"  # a streamed body of unknown length


class AccessLog:
    """A WSGI application: ``app`` plus one redacted access-log line per request on ``stream``.

    The duration is the application's, up to the return of its body (a streamed body's sending is
    not in it). ``stream`` None means whatever ``sys.stdout`` is when the line is written.
    """

    def __init__(self, app: WsgiApp, stream: IO[str] | None = None) -> None:
        self.app = app
        self.stream = stream
        self._lock = threading.Lock()  # whole lines from concurrent request threads
        self._stamp_second = -1
        self._stamp = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        sent: list[Any] = ["500", []]  # what the application started: status, headers

        def start_response_seen(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            sent[0], sent[1] = status, headers
            return start_response(status, headers, exc_info)

        body: Iterable[bytes] = []
        try:
            body = self.app(environ, start_response_seen)
            return body
        finally:
            self._write(environ, sent[0], _bytes_sent(body, sent[1]), time.perf_counter() - started)

    def _now(self) -> str:
        second = int(time.time())
        if second != self._stamp_second:
            # Racing threads at worst both format the same second.
            self._stamp, self._stamp_second = time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(second)), second
        return self._stamp

    def _write(self, environ: dict[str, Any], status: str, sent: str, seconds: float) -> None:
        try:
            line = '%s - - %s "%s" %s %s %.1fms "%s"\n' % (  # noqa: UP031 - one format, no per-field calls
                environ.get("REMOTE_ADDR", "-"),
                self._now(),
                request_line(environ),
                status.split(None, 1)[0],
                sent,
                seconds * 1000,
                environ.get("HTTP_USER_AGENT", "-"),
            )
            line = viewer_ids_redacted(line)
            stream = self.stream or sys.stdout
            with self._lock:
                stream.write(line)
                stream.flush()
        except Exception:  # an access-log line must never fail a request
            logger.exception("access_log_failed")


def runserver_log_redact() -> None:
    """The development server logs request lines on ``django.server``: redact them there too."""
    server_log = logging.getLogger("django.server")
    if not any(isinstance(f, ViewerIdRedactingFilter) for f in server_log.filters):
        server_log.addFilter(ViewerIdRedactingFilter())
