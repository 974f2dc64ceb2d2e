"""Log a repeated failure once per period, with a count, instead of once per occurrence.

A dependency outage seen by every request (the database behind /feeds, Redis behind hit counting)
would otherwise write thousands of identical WARNING lines a minute (issue 12: 9,000 in 45 s) and
bury the one line that says when it started. ``ThrottledLog.failure`` logs the first occurrence at
once, then at most one line per ``period_seconds`` carrying how many occurred since the last line;
``ThrottledLog.recovered`` logs one line when the thing works again. Thread-safe, per process, cheap
on the happy path (``recovered`` on a log that saw no failure is one attribute read).
"""

from __future__ import annotations

import logging
import threading
import time


class ThrottledLog:
    def __init__(self, logger: logging.Logger, event: str, *, period_seconds: float = 60.0) -> None:
        self.logger = logger
        self.event = event
        self.period_seconds = period_seconds
        self._lock = threading.Lock()
        self._failing = False
        self._pending = 0  # occurrences not yet reported
        self._total = 0  # occurrences since the failure started
        self._last_logged = 0.0
        self._started = 0.0

    @property
    def failing(self) -> bool:
        return self._failing

    def failure(self, reason: str = "", *, level: int = logging.WARNING) -> None:
        """Count one occurrence; log it when it starts a failure or when a period has passed."""
        now = time.monotonic()
        with self._lock:
            self._pending += 1
            self._total += 1
            if self._failing and now - self._last_logged < self.period_seconds:
                return
            first = not self._failing
            if first:
                self._failing, self._started = True, now
            count, self._pending, self._last_logged = self._pending, 0, now
            total, duration = self._total, now - self._started
        if first:
            self.logger.log(level, "%s_started reason=%s", self.event, reason)
        else:
            self.logger.log(
                level,
                "%s_ongoing reason=%s count=%d total=%d seconds=%.0f",
                self.event,
                reason,
                count,
                total,
                duration,
            )

    def recovered(self) -> None:
        """Log the end of a failure once (with its total count); free when nothing was failing."""
        if not self._failing:
            return
        with self._lock:
            if not self._failing:
                return
            total, duration = self._total, time.monotonic() - self._started
            self._failing, self._pending, self._total = False, 0, 0
        self.logger.warning("%s_recovered total=%d seconds=%.0f", self.event, total, duration)
