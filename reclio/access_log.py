"""Viewer ids never reach the access log: the one place that redacts them.

A viewer's UUID is their credential (the addon URL ``{BASE_URL}/?user_id=<uuid>``; admin pages such
as ``/staff/users/user/<uuid>/change/`` carry it too), so a request line that holds one must not be
written verbatim to a log file, a terminal scrollback or a log shipper. The redaction works on the
formatted line, so it holds whatever ``access_log_format`` says:

- gunicorn: ``RedactingGunicornLogger``, selected by ``gunicorn.conf.py`` at the repository root
  (gunicorn reads ``./gunicorn.conf.py`` by default, so ``serve``, the image and compose all get it);
- ``runserver`` (``DEBUG``): the same filter on the ``django.server`` logger (``ReclioConfig.ready``).

Application logs (``user_id=…`` key-value fields) are operator diagnostics and keep the id.

The line itself is cheap (``AccessLogger``): gunicorn's default logger builds a dict of every header
and environ entry per request and formats the time each time (~5% of a /feeds request's CPU,
docs/perf/feeds.md); this one writes the common log format plus the duration from the few values it
needs, with the timestamp formatted once per second. When the access log goes where gunicorn puts it
(a file or a stream, formatted ``%(message)s``), the redacted line is written to that stream under
the handler's lock, without a ``LogRecord`` per request (another ~8%); any other logging setup (a
syslog handler, a dictConfig) gets the line through ``logging`` as usual.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "<viewer>"
# Any UUID spelling uuid.UUID() accepts (with or without dashes), not inside a longer hex run.
_UUID = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}(?:-?[0-9A-Fa-f]{4}){3}-?[0-9A-Fa-f]{12}(?![0-9A-Fa-f])")
# The parameter itself, however its value is spelled (percent-encoded dashes, braces, garbage).
_USER_ID_PARAM = re.compile(r"(?i)(user_id(?:%5B%5D|\[\])?=)[^&\s\"']*")


_NO_LOCK = contextlib.nullcontext()


def viewer_ids_redacted(text: str) -> str:
    return _UUID.sub(REDACTED, _USER_ID_PARAM.sub(rf"\g<1>{REDACTED}", text))


class ViewerIdRedactingFilter(logging.Filter):
    """Formats the record once and keeps only the redacted line (the handler then formats nothing)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = viewer_ids_redacted(record.getMessage())
        record.args = None
        return True


def request_line(environ: dict[str, Any]) -> str:
    """Method, target and protocol as logged."""
    return f"{environ.get('REQUEST_METHOD', '-')} {environ.get('RAW_URI', '-')} {environ.get('SERVER_PROTOCOL', '-')}"


def _plain_stream_handlers(log: logging.Logger) -> list[logging.StreamHandler[Any]] | None:
    """The handlers of ``log`` when each is a plain stream or file handler writing the bare message
    (what gunicorn sets up for ``--access-logfile``); None when anything else would see the record."""
    handlers = log.handlers
    if not handlers or log.propagate or any(not isinstance(f, ViewerIdRedactingFilter) for f in log.filters):
        return None
    plain: list[logging.StreamHandler[Any]] = []
    for handler in handlers:
        if type(handler) not in (logging.StreamHandler, logging.FileHandler):
            return None
        assert isinstance(handler, logging.StreamHandler)  # noqa: S101 - narrowed by the type check above
        formatter = handler.formatter
        if handler.filters or (formatter is not None and formatter._fmt != "%(message)s"):
            return None
        if handler.stream is None:  # a FileHandler opened lazily: its first line through logging opens it
            return None
        plain.append(handler)
    return plain


class AccessLogger(Logger):
    _stamp_second = -1
    _stamp = ""

    def _now(self) -> str:
        second = int(time.time())
        if second != self._stamp_second:
            # Racing threads at worst both format the same second.
            self._stamp, self._stamp_second = time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(second)), second
        return self._stamp

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        try:
            status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
            sent = getattr(resp, "sent", None)
            milliseconds = request_time.seconds * 1000 + request_time.microseconds / 1000
            line = '%s - - %s "%s" %s %s %.1fms "%s"' % (  # noqa: UP031 - one format, no per-field calls
                environ.get("REMOTE_ADDR", "-"),
                self._now(),
                request_line(environ),
                status,
                "-" if sent is None else sent,
                milliseconds,
                environ.get("HTTP_USER_AGENT", "-"),
            )
            handlers = _plain_stream_handlers(self.access_log)
            if handlers is None or not self.access_log.isEnabledFor(logging.INFO):
                self.access_log.info("%s", line)
                return
            line = viewer_ids_redacted(line)
            for handler in handlers:
                with handler.lock or _NO_LOCK:  # the lock gunicorn's reopen_files (USR1) also takes
                    handler.stream.write(line + handler.terminator)
                    handler.flush()
        except Exception:  # noqa: BLE001 - an access-log line must never fail a request
            self.exception("access_log_failed")


class RedactingGunicornLogger(AccessLogger):
    """The cheap access line (``AccessLogger``) with viewer ids redacted: what gunicorn.conf.py selects."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # setup() runs again on a config reload (HUP): add the filter once.
        if not any(isinstance(f, ViewerIdRedactingFilter) for f in self.access_log.filters):
            self.access_log.addFilter(ViewerIdRedactingFilter())


def runserver_log_redact() -> None:
    """The development server logs request lines on ``django.server``: redact them there too."""
    server_log = logging.getLogger("django.server")
    if not any(isinstance(f, ViewerIdRedactingFilter) for f in server_log.filters):
        server_log.addFilter(ViewerIdRedactingFilter())
