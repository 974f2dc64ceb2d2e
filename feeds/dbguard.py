"""Bound the /feeds wait for the database, and stop asking it while it is down or frozen.

A frozen server (SIGSTOP, a stalled disk, a lost network path with TCP still up) never answers and
cannot enforce its own ``statement_timeout``; the kernel still acknowledges our packets, so no socket
timeout fires either. Measured (issue 12): request threads simply waited, p99 10 s. So the guard:

- refuses the database to every /feeds request for ``FEEDS_DATABASE_RETRY_SECONDS`` after a read
  failed, or after one was seen waiting longer than ``FEEDS_DATABASE_WAIT_MS`` (those requests are
  answered from the copies in feeds/documents.py, in microseconds); then a probe in a background
  thread (``probe``: one ``SELECT 1`` on its own connection) asks until one succeeds, while every
  request keeps being answered from the copies. A request never probes itself: a server still frozen
  accepts the connection and then holds it for the whole connect timeout (libpq: 2 s at least),
  which no socket cut can shorten (drill ``pg_freeze``: those probes were its > 2 s answers);
- cuts a read that is already waiting past the limit: the next request, or a watchdog thread (for
  when every request thread is stuck), shuts the stuck connection's socket down, so the waiting
  thread gets an error at once (and serves a copy) instead of waiting out the freeze. The shutdown
  happens under the guard's lock while the reader is still registered, so the descriptor cannot have
  been closed and reused meanwhile. A read still connecting has no socket yet: it waits for the
  connect timeout, but trips the guard all the same.

Per process, shared by the request threads of one web worker (granian).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from reclio.throttled_log import ThrottledLog

logger = logging.getLogger(__name__)


class DatabaseUnavailable(Exception):
    """The guard refused the database to this request (recent failure or a read stuck past the limit)."""


class DatabaseGuard:
    def __init__(
        self,
        *,
        wait_seconds: float,
        retry_seconds: float,
        log: ThrottledLog,
        probe: Callable[[], None] | None = None,
    ) -> None:
        self.wait_seconds = wait_seconds
        self.probe = probe  # without one, after a trip one request at a time reads as the probe
        self._probing = False
        self.retry_seconds = retry_seconds
        self.log = log
        self._lock = threading.Lock()
        self._closed_until = 0.0
        self._reads: dict[int, tuple[float, int | None]] = {}  # thread id -> (started, socket fd)
        self._watchdog_pid = 0
        self._suspect = False  # tripped and not yet proven back: one probing read at a time

    def _trip(self, reason: str) -> None:
        self._suspect = True
        self._closed_until = time.monotonic() + self.retry_seconds
        self.log.failure(reason)

    def check(self) -> None:
        """Raise ``DatabaseUnavailable`` when this request must not wait for the database."""
        if time.monotonic() < self._closed_until:
            raise DatabaseUnavailable
        if self._suspect and self.probe is not None:
            self._probe_start()
            raise DatabaseUnavailable
        if self._reads and (self._suspect or self._stuck_cut()):
            # After a trip, one read at a time probes the database until one succeeds: a server still
            # frozen then holds one thread (a connect has no socket to cut), not all of them.
            raise DatabaseUnavailable

    def _stuck_cut(self) -> int:
        """Cut every read waiting past the limit and trip the guard; returns how many were cut."""
        now = time.monotonic()
        with self._lock:
            stuck = [(ident, fd) for ident, (started, fd) in self._reads.items() if now - started > self.wait_seconds]
            for ident, fd in stuck:
                _socket_shutdown(fd)
                self._reads[ident] = (now, None)  # cut once
        if stuck:
            self._trip(f"slow reads_cut={len(stuck)}")
        return len(stuck)

    def _probe_start(self) -> None:
        with self._lock:
            if self._probing:
                return
            self._probing = True
        threading.Thread(target=self._probe_run, name="feeds-database-probe", daemon=True).start()

    def _probe_run(self) -> None:
        try:
            with self.reading():  # registered: the watchdog cuts it if it hangs past the limit
                if self.probe is not None:
                    self.probe()
        except Exception:  # noqa: BLE001, S110 - reading() tripped the guard and logged it
            pass
        finally:
            self._probing = False

    def _watchdog_ensure(self) -> None:
        # Once every request thread of a worker waits on a frozen server, no request is left to notice:
        # a daemon thread per process looks every quarter of the limit. Started lazily, and again in
        # a forked child (threads do not survive fork).
        if self._watchdog_pid == os.getpid():
            return
        with self._lock:
            if self._watchdog_pid == os.getpid():
                return
            self._watchdog_pid = os.getpid()
        threading.Thread(target=self._watch, name="feeds-database-guard", daemon=True).start()

    def _watch(self) -> None:
        while True:
            time.sleep(self.wait_seconds / 4)
            if self._reads:
                try:
                    self._stuck_cut()
                except Exception:  # the watchdog must outlive anything odd
                    logger.exception("feeds_database_guard_watch_failed")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Around one read: registers it (so others can see it stuck) and trips the guard if it fails."""
        self._watchdog_ensure()
        ident = threading.get_ident()
        self._reads[ident] = (time.monotonic(), None)
        try:
            yield
        except Exception as exc:
            self._trip(f"{type(exc).__name__}: {exc}".replace("\n", " ")[:200])
            raise
        finally:
            with self._lock:
                self._reads.pop(ident, None)
        if time.monotonic() >= self._closed_until:  # a read begun before a trip does not end it
            self._suspect = False
            self.log.recovered()

    def socket_known(self, fd: int | None) -> None:
        """The connection's socket for the read in progress on this thread (so it can be cut)."""
        ident = threading.get_ident()
        with self._lock:
            if ident in self._reads:
                self._reads[ident] = (self._reads[ident][0], fd)

    def reset(self) -> None:
        with self._lock:
            self._closed_until = 0.0
            self._suspect = False
            self._reads.clear()


def _socket_shutdown(fd: int | None) -> None:
    if fd is None or fd < 0:
        return
    try:
        # A duplicate descriptor: shutdown() acts on the shared socket, close() only on the duplicate.
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        logger.info("feeds_database_socket_cut_failed fd=%s", fd, exc_info=True)
