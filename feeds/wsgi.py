"""GET /feeds answered in front of Django's request handler (issue 14, docs/perf/feeds.md).

/feeds is most of the traffic, and a known viewer's answer is a lookup in memory. Django's handler
around it (the ``request_started``/``request_finished`` signals and what listens to them, the
middleware chain, the URLconf) cost more CPU than the answer itself, on every request. So the WSGI
application the web server runs (reclio/wsgi.py) sends /feeds here, and everything else to Django as
before.

Nothing /feeds promises is skipped: the request still goes through the same two middlewares as under
Django's handler (feeds/middleware.py: the host check, SecurityMiddleware, X-Frame-Options, and a
valid document whatever fails), built once here. What the skipped ``request_finished`` signal would
have done that matters here is done after the answer: closing a database connection that broke or
outlived ``CONN_MAX_AGE``, when the request used one (a viewer this process does not hold yet).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections, connection
from django.http import HttpRequest, HttpResponse

from feeds.documents import DEFAULT_BODY
from feeds.middleware import FEEDS_PATHS, FeedsFastPathMiddleware, FeedsNeverFailMiddleware

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _elsewhere(request: HttpRequest) -> HttpResponse:  # pragma: no cover - only /feeds is routed here
    raise AssertionError(f"not a /feeds request: {request.path_info}")


class FeedsFirst:
    """A WSGI application: /feeds (GET and HEAD) answered here, every other request by ``django_app``."""

    def __init__(self, django_app: WsgiApp) -> None:
        self.django_app = django_app
        self.feeds = FeedsNeverFailMiddleware(FeedsFastPathMiddleware(_elsewhere))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") not in FEEDS_PATHS or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.django_app(environ, start_response)
        try:
            response = self.feeds(WSGIRequest(environ))
            body = response.content
            headers = list(response.items())
            status = f"{response.status_code} {response.reason_phrase}"
        except Exception:  # the request object itself failed (e.g. an undecodable environ)
            logger.exception("feeds_default_served reason=wsgi_exception")
            body = DEFAULT_BODY
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            status = "200 OK"
        finally:
            if connection.connection is not None:  # this thread's connection was opened at some point
                close_old_connections()
        start_response(status, headers)
        return [body]
