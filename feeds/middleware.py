"""/feeds must answer 200 with a valid document whatever fails below it.

The view and selector already degrade to fallback rows; this outermost middleware also covers what
happens before or around the view (URL resolution, another middleware, the renderer, a
``SuspiciousOperation`` from oversized query strings): any exception or 4xx/5xx answer on /feeds is
replaced by the default document. Other paths pass through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

FEEDS_PATHS = frozenset({"/feeds", "/feeds/"})


class FeedsNeverFailMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in FEEDS_PATHS:
            return self.get_response(request)
        try:
            response = self.get_response(request)
        except Exception:  # noqa: BLE001
            logger.exception("feeds_default_served reason=middleware_exception")
            return self._fallback()
        if response.status_code >= 400:
            logger.warning("feeds_default_served reason=status_%s", response.status_code)
            return self._fallback()
        return response

    @staticmethod
    def _fallback() -> HttpResponse:
        try:
            from feeds.selectors import feed_default_document

            return JsonResponse(feed_default_document())
        except Exception:  # noqa: BLE001 - last resort: even the fallback builder failed to import
            logger.exception("feeds_default_document_failed")
            return HttpResponse(_LAST_RESORT, content_type="application/json")


# Ten rows of TMDB's own lists, as bytes: what is served if even the fallback builder is broken.
_LAST_RESORT = (
    b'{"feeds": ['
    + b", ".join(
        b'{"id": "%s", "title": "%s", "source": "tmdb_query", "source_metadata": {"path": "%s", "parameters": ""}, '
        b'"content_type": "%s"}' % row
        for row in (
            (b"popular_movies", b"Popular Movies", b"/movie/popular", b"movies"),
            (b"popular_shows", b"Popular Shows", b"/tv/popular", b"shows"),
            (b"now_playing_movies", b"Now Playing", b"/movie/now_playing", b"movies"),
            (b"on_the_air_shows", b"On the Air", b"/tv/on_the_air", b"shows"),
            (b"trending_movies", b"Trending Movies", b"/trending/movie/week", b"movies"),
            (b"trending_shows", b"Trending Shows", b"/trending/tv/week", b"shows"),
            (b"top_rated_movies", b"Top Rated Movies", b"/movie/top_rated", b"movies"),
            (b"top_rated_shows", b"Top Rated Shows", b"/tv/top_rated", b"shows"),
            (b"upcoming_movies", b"Upcoming Movies", b"/movie/upcoming", b"movies"),
            (b"airing_today_shows", b"Airing Today", b"/tv/airing_today", b"shows"),
        )
    )
    + b"]}"
)
