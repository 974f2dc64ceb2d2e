"""/feeds must answer 200 with a valid document whatever fails below it.

The view and selector already degrade to fallback rows; this outermost middleware also covers what
happens before or around the view (URL resolution, another middleware, the renderer, a
``SuspiciousOperation`` from oversized query strings): any exception or 4xx/5xx answer on /feeds is
replaced by the default document. Other paths pass through untouched.

Silent fallbacks would hide a misconfiguration that hits every viewer (a wrong ``ALLOWED_HOSTS``
answers 400 to every request; an odd ``Accept`` can answer 406): each one is counted per hour in the
cache, shared by every web process, and read by the feeds health probe (``/health``,
``/admin/status``, the admin's health snapshots); each process logs one warning per
``LOG_PERIOD_SECONDS`` with how many it served since the last one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware

from feeds.documents import DEFAULT_BODY

logger = logging.getLogger(__name__)

FEEDS_PATHS = frozenset({"/feeds", "/feeds/"})

# The default document, serialised once at startup: serving it needs no code that could fail later.
DEFAULT_DOCUMENT_BODY = DEFAULT_BODY


class FeedsNeverFailMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in FEEDS_PATHS:
            return self.get_response(request)
        try:
            response = self.get_response(request)
        except Exception:
            logger.exception("feeds_default_served reason=middleware_exception")
            middleware_fallback_record(reason="exception")
            return _default_response()
        if response.status_code >= 400:
            middleware_fallback_record(reason=FALLBACK_REASONS.get(response.status_code, "other_status"))
            return _default_response()
        return response


def _default_response() -> HttpResponse:
    return HttpResponse(DEFAULT_DOCUMENT_BODY, content_type="application/json")


# --- counting the fallbacks ---------------------------------------------------------------------

# 400: DisallowedHost (ALLOWED_HOSTS), too many fields; 406: content negotiation refused the Accept.
FALLBACK_REASONS = {400: "bad_request", 406: "not_acceptable"}
REASONS = ("bad_request", "not_acceptable", "other_status", "exception")
LOG_PERIOD_SECONDS = 300
HOUR_SECONDS = 3600


class _LogThrottle:
    """One warning per period per process, carrying the count since the previous one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.logged_at = float("-inf")

    def record(self, reason: str) -> None:
        with self.lock:
            self.counts[reason] += 1
            now = time.monotonic()
            if now - self.logged_at < LOG_PERIOD_SECONDS:
                return
            counts, self.counts, self.logged_at = dict(self.counts), Counter(), now
        logger.warning(
            "feeds_default_served_by_middleware count=%s reasons=%s hint=%s",
            sum(counts.values()),
            ",".join(f"{name}:{n}" for name, n in sorted(counts.items())),
            "a 400 on every request usually means ALLOWED_HOSTS misses the host Chillio calls",
        )


_throttle = _LogThrottle()


def _hour_key(reason: str, hour: int) -> str:
    return f"feeds:middleware_fallbacks:{hour}:{reason}"


def middleware_fallback_record(*, reason: str) -> None:
    """Count one default document served because the request failed around the view; never raises."""
    _throttle.record(reason)
    key = _hour_key(reason, int(time.time()) // HOUR_SECONDS)
    try:
        cache.add(key, 0, 2 * HOUR_SECONDS)
        cache.incr(key)
    except Exception:  # noqa: BLE001 - Redis down: the throttled warning above still says it
        logger.debug("feeds_fallback_count_skipped reason=cache_unavailable")


def middleware_fallbacks_recent() -> dict[str, int]:
    """Fallbacks served by this middleware in the current and the previous clock hour, by reason."""
    hour = int(time.time()) // HOUR_SECONDS
    keys = {_hour_key(reason, h): reason for reason in REASONS for h in (hour, hour - 1)}
    counts = dict.fromkeys(REASONS, 0)
    for key, value in cache.get_many(list(keys)).items():
        counts[keys[key]] += int(value or 0)
    return counts


class FeedsFastPathMiddleware:
    """/feeds goes straight to its view: no sessions, CSRF, auth, messages, whitenoise or URL resolving.

    /feeds reads none of what those middlewares provide (no cookie, no user, no form, no static file)
    and they cost about a fifth of its CPU (docs/perf/feeds.md). What does apply to any response
    still runs, the same code as elsewhere: the ALLOWED_HOSTS check (``get_host``, as CommonMiddleware
    does), SecurityMiddleware (HTTPS redirect, HSTS, nosniff, referrer and COOP headers) and the
    X-Frame-Options header. Sits right under ``FeedsNeverFailMiddleware``; other paths pass through
    to the full chain untouched.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from feeds.apis import FeedsApi  # the view module imports models: load it after the apps

        self.get_response = get_response
        self.security = SecurityMiddleware(get_response)
        self.xframe = XFrameOptionsMiddleware(get_response)
        self.view = FeedsApi.as_view()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in FEEDS_PATHS:
            return self.get_response(request)
        request.get_host()  # raises DisallowedHost for a host not in ALLOWED_HOSTS, like everywhere else
        redirect = self.security.process_request(request)
        if redirect is not None:
            return redirect
        response: HttpResponse = self.view(request)
        response = self.security.process_response(request, response)
        return self.xframe.process_response(request, response)
