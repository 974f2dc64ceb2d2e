"""The web access log: one cheap line per request, its format kept here and nowhere else.

gunicorn's default access logger builds a dict of every request header, response header and WSGI
environ entry for each request before formatting the configured pattern (``Logger.atoms``), and
formats the time with ``strftime`` each time: ~5% of a /feeds request's CPU (docs/perf/feeds.md).
``AccessLogger`` writes the same facts as the common log format plus the duration, straight from
the few values it needs, with the timestamp formatted once per second. gunicorn loads it through
``logger_class`` in ``gunicorn.conf.py`` (read from the working directory of every web command).

    127.0.0.1 - - [02/Dec/2026:10:46:32 +0000] "GET /feeds?user_id=… HTTP/1.1" 200 1874 1.2ms "Chillio/1.4"

``request_line`` is the one place that decides what of the URL is written (query values that
identify a viewer are redacted there).
"""

from __future__ import annotations

import time
from typing import Any

from gunicorn.glogging import Logger


def request_line(environ: dict[str, Any]) -> str:
    """Method, target and protocol as logged."""
    return f"{environ.get('REQUEST_METHOD', '-')} {environ.get('RAW_URI', '-')} {environ.get('SERVER_PROTOCOL', '-')}"


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
            self.access_log.info(
                '%s - - %s "%s" %s %s %.1fms "%s"',
                environ.get("REMOTE_ADDR", "-"),
                self._now(),
                request_line(environ),
                status,
                "-" if sent is None else sent,
                milliseconds,
                environ.get("HTTP_USER_AGENT", "-"),
            )
        except Exception:  # noqa: BLE001 - an access-log line must never fail a request
            self.exception("access_log_failed")
