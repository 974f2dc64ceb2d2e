"""/feeds must answer 200 with a valid document whatever fails below it.

The view and selector already degrade to fallback rows; this outermost middleware also covers what
happens before or around the view (URL resolution, another middleware, the renderer, a
``SuspiciousOperation`` from oversized query strings): any exception or 4xx/5xx answer on /feeds is
replaced by the default document. Other paths pass through untouched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from feeds import rows

logger = logging.getLogger(__name__)

FEEDS_PATHS = frozenset({"/feeds", "/feeds/"})

# The default document, serialised once at startup: serving it needs no code that could fail later.
DEFAULT_DOCUMENT_BODY = json.dumps({"feeds": rows.default_feeds()}).encode()


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
