"""Every outbound HTTP request goes through a session made here.

A session enforces a timeout, a user agent, a client-side rate limit, and a bounded retry loop that
honours ``Retry-After`` on 429 and retries 5xx/connection errors with exponential backoff. We keep
this loop instead of urllib3's ``Retry`` because we need the waits visible (logs, tests) and a
``Retry-After`` longer than we are willing to block a worker for must become a typed error that
the Celery task turns into a later retry.

Vendor modules build a one-line subclass (``TmdbSession``, ``TraktSession`` …) and parse responses
into their own dataclasses; nothing outside a vendor module sees a ``requests.Response``.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Iterable
from typing import Any

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

USER_AGENT = "Reclio/0.1 (+https://github.com/reclio/reclio)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 524})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Waiting longer than this inside a worker is worse than failing and retrying the task later.
MAX_IN_PROCESS_WAIT_SECONDS = 60.0
# The longest a task waits before its retry, whatever an upstream asks: one hour keeps the countdown
# well inside the broker's visibility timeout (CELERY_TASK_TIME_LIMIT + 15 min), past which Redis
# would hand the waiting message to a second worker and run it twice.
MAX_RETRY_COUNTDOWN_SECONDS = 3600.0
# A 429 says "later", not "broken": a rate-limit storm can answer many tries in a row, each after the
# upstream's Retry-After, so a task's retries after a 429 get this larger budget than its own
# max_retries (which is sized for server errors). Each try still waits the (capped) Retry-After.
RATE_LIMITED_MAX_RETRIES = 20


class UpstreamError(Exception):
    """An upstream call failed after its retries. ``permanent`` errors must not be retried."""

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status: int | None = None,
        permanent: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.service = service
        self.status = status
        self.permanent = permanent
        self.retry_after = retry_after


def sleep(seconds: float) -> None:
    """Indirection so tests can observe waits without sleeping."""
    time.sleep(seconds)


class RateLimiter:
    """At most ``per_second`` calls per second in this process (thread-safe, smooth spacing)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        if slot > now:
            sleep(slot - now)


def retry_after_seconds(response: requests.Response) -> float | None:
    """Parse ``Retry-After`` as seconds or as an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "inf", "nan" or a huge number is not a usable wait (Celery cannot count down infinity):
        # treat it as no advice, so the caller's own backoff applies.
        return max(0.0, seconds) if math.isfinite(seconds) and seconds <= MAX_RETRY_COUNTDOWN_SECONDS else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if seconds <= MAX_RETRY_COUNTDOWN_SECONDS else None


def task_retry_countdown(*, retries: int, retry_after: float | None, base_seconds: float = 60.0) -> float:
    """Seconds before a task's next try: the upstream's ``Retry-After`` when it gave a usable one,
    else exponential backoff from ``base_seconds``; never beyond ``MAX_RETRY_COUNTDOWN_SECONDS``."""
    if retry_after is not None and math.isfinite(retry_after):
        return min(MAX_RETRY_COUNTDOWN_SECONDS, max(0.0, retry_after))
    return min(MAX_RETRY_COUNTDOWN_SECONDS, base_seconds * 2 ** min(retries, 20))


def task_max_retries(*, exc: UpstreamError, default: int | None) -> int | None:
    """The retry budget for a task that failed with ``exc``: larger after a rate limit (429)."""
    if exc.status == 429 and default is not None:
        return max(default, RATE_LIMITED_MAX_RETRIES)
    return default


class OutgoingSession(requests.Session):
    service = "upstream"
    retry_statuses: frozenset[int] = RETRY_STATUSES
    # POST is retried only on 429 (the server did not process it) unless a vendor says its writes
    # are idempotent.
    retry_unsafe_methods = False
    backoff_base_seconds = 0.5
    backoff_max_seconds = 20.0

    def __init__(
        self,
        *,
        base_url: str = "",
        timeout: float | None = None,
        max_retries: int | None = None,
        rate_limiter: RateLimiter | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout if timeout is not None else settings.HTTP_TIMEOUT_SECONDS
        self.max_retries = max_retries if max_retries is not None else settings.HTTP_MAX_RETRIES
        self.rate_limiter = rate_limiter
        self.headers["User-Agent"] = USER_AGENT
        self.headers.update(headers or {})
        self.request_count = 0

    def _url(self, url: str) -> str:
        if url.startswith(("http://", "https://")):
            return url
        return f"{self.base_url}/{url.lstrip('/')}"

    def _may_retry(self, method: str, status: int | None) -> bool:
        if status == 429:
            return True
        return method in IDEMPOTENT_METHODS or self.retry_unsafe_methods

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max_seconds, self.backoff_base_seconds * (2**attempt))
        return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not cryptography

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        method = method.upper()
        kwargs.setdefault("timeout", self.timeout)
        full_url = self._url(url)
        attempt = 0
        while True:
            if self.rate_limiter is not None:
                self.rate_limiter.wait()
            self.request_count += 1
            try:
                response = super().request(method, full_url, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt >= self.max_retries or not self._may_retry(method, None):
                    raise UpstreamError(
                        f"{self.service} {method} {url}: {type(exc).__name__} after {attempt + 1} attempts",
                        service=self.service,
                    ) from exc
                wait = self._backoff(attempt)
                logger.info(
                    "upstream_retry service=%s method=%s path=%s error=%s wait=%.2f",
                    self.service,
                    method,
                    url,
                    type(exc).__name__,
                    wait,
                )
            else:
                if response.status_code not in self.retry_statuses:
                    return response
                retry_after = retry_after_seconds(response)
                if attempt >= self.max_retries or not self._may_retry(method, response.status_code):
                    return response
                wait = retry_after if retry_after is not None else self._backoff(attempt)
                if wait > MAX_IN_PROCESS_WAIT_SECONDS:
                    raise UpstreamError(
                        f"{self.service} asks us to wait {wait:.0f}s (HTTP {response.status_code})",
                        service=self.service,
                        status=response.status_code,
                        retry_after=wait,
                    )
                logger.info(
                    "upstream_retry service=%s method=%s path=%s status=%s wait=%.2f",
                    self.service,
                    method,
                    url,
                    response.status_code,
                    wait,
                )
            attempt += 1
            sleep(wait)


def json_or_error(response: requests.Response, *, service: str, ok: Iterable[int] = (200, 201)) -> Any:
    """The decoded JSON body of an expected status, or a typed ``UpstreamError``."""
    status = response.status_code
    if status not in set(ok):
        raise UpstreamError(
            f"{service} answered HTTP {status} for {response.request.method} {response.request.path_url.split('?')[0]}",
            service=service,
            status=status,
            # 4xx other than 408/409/429 will not get better by asking again.
            permanent=400 <= status < 500 and status not in (408, 409, 429),
            retry_after=retry_after_seconds(response),
        )
    try:
        return response.json()
    except ValueError as exc:
        raise UpstreamError(
            f"{service} answered HTTP {status} with a body that is not JSON", service=service, status=status
        ) from exc
