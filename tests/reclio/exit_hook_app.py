"""A trivial WSGI app for tests/reclio/test_background.py: registers an exit hook as
users/services/cadence.py does, then a real granian worker is stopped."""

from __future__ import annotations

import os
from pathlib import Path

from reclio.background import at_process_exit

_MARK = Path(os.environ["EXIT_HOOK_MARK"])


def _exited() -> None:
    _MARK.write_text(str(os.getpid()))


at_process_exit(_exited)


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
