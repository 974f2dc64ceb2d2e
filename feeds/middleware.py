"""/feeds must answer 200 with a valid document whatever fails below it.

The view and selector already degrade to fallback rows; this outermost middleware also covers what
happens before or around the view (URL resolution, another middleware, the renderer, a
``SuspiciousOperation`` from oversized query strings): any exception or 4xx/5xx answer on /feeds is
replaced by the default document. Other paths pass through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

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
            return _default_response()
        if response.status_code >= 400:
            logger.warning("feeds_default_served reason=status_%s", response.status_code)
            return _default_response()
        return response


def _default_response() -> HttpResponse:
    return HttpResponse(DEFAULT_DOCUMENT_BODY, content_type="application/json")


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
