"""feeds.dbguard on real sockets: a read stuck on a silent peer is cut even when no request comes."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from feeds.dbguard import DatabaseGuard, DatabaseUnavailable
from reclio.throttled_log import ThrottledLog


def test_the_watchdog_cuts_a_stuck_read_when_every_request_thread_is_waiting():
    # given: a "database" that accepts and never answers (a frozen server's kernel still ACKs)
    guard = DatabaseGuard(wait_seconds=0.2, retry_seconds=5, log=ThrottledLog(logging.getLogger("t"), "db"))
    ours, frozen_server = socket.socketpair()
    outcome: dict[str, object] = {}

    def read() -> None:
        started = time.monotonic()
        try:
            with guard.reading():
                guard.socket_known(ours.fileno())
                outcome["data"] = ours.recv(10)  # what psycopg's wait does: block on the socket
        finally:
            outcome["seconds"] = time.monotonic() - started

    # when: the only thread waits, and no other request arrives to notice
    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=5)

    # then: the watchdog shut the socket down well before 5 s, and the guard refuses the database
    try:
        assert not reader.is_alive()
        assert outcome["data"] == b""
        assert float(outcome["seconds"]) < 1.0  # type: ignore[arg-type]
        with pytest.raises(DatabaseUnavailable):
            guard.check()
    finally:
        ours.close()
        frozen_server.close()


def test_after_a_trip_one_read_at_a_time_probes_until_one_succeeds(monkeypatch):
    # given: a tripped guard whose retry window has passed
    clock = [1000.0]
    monkeypatch.setattr("feeds.dbguard.time.monotonic", lambda: clock[0])
    guard = DatabaseGuard(wait_seconds=60, retry_seconds=5, log=ThrottledLog(logging.getLogger("t"), "db"))
    with pytest.raises(OSError), guard.reading():
        raise OSError("server closed the connection")
    clock[0] += 6

    # when: one probe is in flight
    guard._reads[1] = (clock[0], None)

    # then: a second request does not join it; once a probe succeeds, reads run concurrently again
    with pytest.raises(DatabaseUnavailable):
        guard.check()
    del guard._reads[1]
    guard.check()
    with guard.reading():
        pass
    guard._reads[1] = (clock[0], None)
    guard.check()
    guard.reset()  # nothing left for its watchdog thread to find after the test


def test_after_a_trip_requests_never_wait_for_the_probe_it_runs_in_the_background(monkeypatch):
    # given: a tripped guard whose retry window has passed, and a database still frozen (the probe hangs)
    clock = [1000.0]
    monkeypatch.setattr("feeds.dbguard.time.monotonic", lambda: clock[0])
    release, probed = threading.Event(), threading.Event()

    def probe() -> None:
        probed.set()
        release.wait(5)

    guard = DatabaseGuard(wait_seconds=60, retry_seconds=5, log=ThrottledLog(logging.getLogger("t"), "db"), probe=probe)
    with pytest.raises(OSError), guard.reading():
        raise OSError("server closed the connection")
    clock[0] += 6

    # when: requests arrive while the probe waits
    try:
        for _ in range(3):
            with pytest.raises(DatabaseUnavailable):
                guard.check()  # served a copy at once; the old code let this request be the probe
        assert probed.wait(2)
    finally:
        release.set()

    # then: one probe ran, and once it succeeded requests read again
    for _ in range(50):
        if not guard._suspect:
            break
        time.sleep(0.02)
    guard.check()
    guard.reset()
