"""One daemon thread per process for work a request must not wait for.

The /feeds request thread answers from memory; what follows from a request (asking for a refresh,
checking a copy against the database, writing copies to Redis) is handed to a ``ProcessThread``,
which runs its ``step`` every ``interval`` seconds or as soon as it is woken. A database or Redis
that hangs then holds this thread, never a viewer's request.

Started on first use, and again in a forked child (a process forked after the thread started, e.g.
a Celery prefork child; threads do not survive fork). ``step`` must not raise; if it does, the error is logged and the
thread goes on.

Under the test suite (``ProcessThread.inline``, set by tests/conftest.py) ``wake`` runs ``step`` in
the caller's thread instead, so a test sees its effects at once and in its own database
transaction; tests/reclio/test_background.py runs the real thread.
"""

from __future__ import annotations

import logging
import multiprocessing.util
import os
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


def at_process_exit(hook: Callable[[], object]) -> None:
    """Run ``hook`` when this process exits normally, in a multiprocessing child too.

    granian runs each web worker as a ``multiprocessing`` child, which leaves through ``os._exit``
    after its SIGTERM/SIGINT shutdown: ``atexit`` hooks never run there. multiprocessing's own exit
    function does, in its children and (as an ``atexit`` hook) in any other process. A forked child
    does not run its parent's hooks (they hold the parent's state).
    """
    multiprocessing.util.Finalize(None, hook, exitpriority=10)


class ProcessThread:
    inline = False  # tests: run each step in the waking thread

    def __init__(self, name: str, step: Callable[[], object], *, interval: float) -> None:
        self.name = name
        self.step = step
        self.interval = interval
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pid = 0

    def wake(self) -> None:
        """Ask for a step now (in this thread, under ``inline``)."""
        if self.inline:
            self._step_safely()
            return
        self.ensure_started()
        self._wake.set()

    def soon(self) -> None:
        """Ask for a step within ``interval`` (now, in this thread, under ``inline``): lets work that
        arrives meanwhile go in the same step."""
        if self.inline:
            self._step_safely()
        else:
            self.ensure_started()

    def ensure_started(self) -> None:
        """Make sure the thread runs (its next step comes within ``interval``); one comparison when it does."""
        if self._pid != os.getpid() and not self.inline:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._wake = threading.Event()
        threading.Thread(target=self._run, name=self.name, daemon=True).start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self._step_safely()

    def _step_safely(self) -> None:
        try:
            self.step()
        except Exception:  # the thread must outlive anything odd
            logger.exception("background_step_failed thread=%s", self.name)
