"""Viewer ids never reach the access log: the one place that redacts them.

A viewer's UUID is their credential (the addon URL ``{BASE_URL}/?user_id=<uuid>``; admin pages such
as ``/staff/users/user/<uuid>/change/`` carry it too), so a request line that holds one must not be
written verbatim to a log file, a terminal scrollback or a log shipper. The redaction works on the
formatted line, so it holds whatever ``access_log_format`` says:

- gunicorn: ``RedactingGunicornLogger``, selected by ``gunicorn.conf.py`` at the repository root
  (gunicorn reads ``./gunicorn.conf.py`` by default, so ``serve``, the image and compose all get it);
- ``runserver`` (``DEBUG``): the same filter on the ``django.server`` logger (``ReclioConfig.ready``).

Application logs (``user_id=…`` key-value fields) are operator diagnostics and keep the id.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from reclio.accesslog import AccessLogger

REDACTED = "<viewer>"
# Any UUID spelling uuid.UUID() accepts (with or without dashes), not inside a longer hex run.
_UUID = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}(?:-?[0-9A-Fa-f]{4}){3}-?[0-9A-Fa-f]{12}(?![0-9A-Fa-f])")
# The parameter itself, however its value is spelled (percent-encoded dashes, braces, garbage).
_USER_ID_PARAM = re.compile(r"(?i)(user_id(?:%5B%5D|\[\])?=)[^&\s\"']*")


def viewer_ids_redacted(text: str) -> str:
    return _UUID.sub(REDACTED, _USER_ID_PARAM.sub(rf"\g<1>{REDACTED}", text))


class ViewerIdRedactingFilter(logging.Filter):
    """Formats the record once and keeps only the redacted line (the handler then formats nothing)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = viewer_ids_redacted(record.getMessage())
        record.args = None
        return True


class RedactingGunicornLogger(AccessLogger):
    """The cheap access line (reclio/accesslog.py) with viewer ids redacted."""

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
