"""TMDB API v3 client: the calls the catalog makes, parsed strictly into our own dataclasses.

Reference: https://developer.themoviedb.org/reference/intro/getting-started
- details: https://developer.themoviedb.org/reference/movie-details , /reference/tv-series-details
  (``append_to_response=credits,keywords``: https://developer.themoviedb.org/docs/append-to-response)
- lists: /movie/popular|top_rated|now_playing, /tv/popular|top_rated|on_the_air,
  /trending/{movie|tv}/week, /discover/{movie|tv} — ``{page, results: [{id, …}], total_pages}``
- changes: https://developer.themoviedb.org/reference/changes-movie-list (≤ 14 days per call)
- errors: https://developer.themoviedb.org/docs/errors (404 → ``status_code`` 34)
- rate limit: https://developer.themoviedb.org/docs/rate-limiting (~40-50 req/s; 429 + Retry-After)

Nothing outside this module sees a ``requests.Response`` or raw TMDB JSON: callers get
``TmdbTitle`` / ``TmdbPage`` or a typed error (``TmdbNotFound``, ``TmdbParseError``, ``UpstreamError``).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from reclio.http import OutgoingSession, RateLimiter, UpstreamError, json_or_error
from reclio.ratelimit import SharedRateLimiter

SERVICE = "tmdb"
# TMDB serves at most 500 pages of any list (https://developer.themoviedb.org/docs/pagination).
MAX_PAGE = 500
# /changes accepts at most 14 days between start_date and end_date.
CHANGES_MAX_DAYS = 14
CAST_LIMIT = 5

LIST_PATHS: dict[str, tuple[str, ...]] = {
    "movie": ("movie/popular", "movie/top_rated", "trending/movie/week", "movie/now_playing"),
    "tv": ("tv/popular", "tv/top_rated", "trending/tv/week", "tv/on_the_air"),
}


class TmdbNotConfigured(UpstreamError):
    def __init__(self) -> None:
        super().__init__(
            "TMDB credentials are not set (TMDB_API_KEY or TMDB_READ_ACCESS_TOKEN)", service=SERVICE, permanent=True
        )


class TmdbNotFound(UpstreamError):
    """TMDB answered 404: the title is gone (deleted or merged), not a failure of ours."""


class TmdbParseError(ValueError):
    """The response does not have the shape TMDB documents; the title is skipped and reported."""


@dataclass(frozen=True)
class TmdbGenre:
    id: int
    name: str


@dataclass(frozen=True)
class TmdbTitle:
    """One movie or show as the catalog stores it (details + credits + keywords)."""

    media_type: str  # "movie" / "tv"
    tmdb_id: int
    title: str
    original_title: str = ""
    original_language: str = ""
    tagline: str = ""
    overview: str = ""
    genres: tuple[TmdbGenre, ...] = ()
    keywords: tuple[str, ...] = ()
    release_date: dt.date | None = None
    year: int | None = None
    vote_average: float = 0.0
    vote_count: int = 0
    popularity: float = 0.0
    cast: tuple[str, ...] = ()
    director: str = ""
    poster_path: str = ""
    adult: bool = False

    @property
    def item_id(self) -> str:
        return f"{self.media_type}_{self.tmdb_id}"


@dataclass(frozen=True)
class TmdbListEntry:
    """A row of a list, discover or trending page: enough to refresh stats without a detail call."""

    tmdb_id: int
    popularity: float | None
    vote_average: float | None
    vote_count: int | None


@dataclass(frozen=True)
class TmdbPage:
    page: int
    total_pages: int
    entries: tuple[TmdbListEntry, ...]


# --- strict field readers -------------------------------------------------------------------------

# Every integer we store from TMDB (ids, genre ids, vote counts) goes into a PostgreSQL integer column.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
FLOAT_MAX = 1e15  # far above any popularity or vote count; keeps sums and logs finite


def _int(data: Mapping[str, Any], key: str, *, required: bool = False, default: int = 0) -> int:
    value = data.get(key)
    if value is None:
        if required:
            raise TmdbParseError(f"missing {key!r}")
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise TmdbParseError(f"{key!r} is not an integer: {value!r}")
    if not INT_MIN <= value <= INT_MAX:
        raise TmdbParseError(f"{key!r} is out of range: {value}")
    return value


def _float(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TmdbParseError(f"{key!r} is not a number: {value!r}")
    # Python's json reads NaN, Infinity and 1e400 (inf); none is a popularity or a vote average.
    if not math.isfinite(value) or abs(value) > FLOAT_MAX:
        raise TmdbParseError(f"{key!r} is not a finite number: {value!r}")
    return float(value)


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TmdbParseError(f"{key!r} is not a string: {value!r}")
    # PostgreSQL text cannot hold NUL (and jsonb refuses \u0000); it never means anything in a title
    # or an overview, so it is dropped here rather than refusing the whole title.
    return value.replace("\x00", "").strip()


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise TmdbParseError(f"{key!r} is not a list")
    return value


def _dict(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TmdbParseError(f"{key!r} is not an object")
    return value


def _objects(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = _list(data, key)
    if not all(isinstance(item, dict) for item in items):
        raise TmdbParseError(f"{key!r} holds a non-object")
    return items


def _date(data: Mapping[str, Any], key: str) -> dt.date | None:
    value = _str(data, key)
    if not value:  # TMDB sends "" for unknown dates
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise TmdbParseError(f"{key!r} is not a YYYY-MM-DD date: {value!r}") from None


def tmdb_title_parse(data: Any, *, media_type: str) -> TmdbTitle:
    """A details response (with ``credits`` and ``keywords`` appended) as a ``TmdbTitle``."""
    if media_type not in LIST_PATHS:
        raise TmdbParseError(f"unknown media type {media_type!r}")
    if not isinstance(data, dict):
        raise TmdbParseError("details response is not a JSON object")
    is_movie = media_type == "movie"
    title = _str(data, "title" if is_movie else "name")
    if not title:
        raise TmdbParseError("missing title" if is_movie else "missing name")
    release_date = _date(data, "release_date" if is_movie else "first_air_date")

    genres = tuple(TmdbGenre(id=_int(g, "id", required=True), name=_str(g, "name")) for g in _objects(data, "genres"))
    # Movies nest keywords under "keywords", shows under "results".
    keyword_rows = _objects(_dict(data, "keywords"), "keywords" if is_movie else "results")
    keywords = tuple(name for name in (_str(k, "name") for k in keyword_rows) if name)

    credits = _dict(data, "credits")
    cast_rows = _objects(credits, "cast")
    # Credit order is TMDB's billing order; a missing order sorts last, stably.
    cast_rows = sorted(cast_rows, key=lambda c: _int(c, "order", default=10_000))
    cast = tuple(name for name in (_str(c, "name") for c in cast_rows[:CAST_LIMIT]) if name)
    if is_movie:
        people = [_str(c, "name") for c in _objects(credits, "crew") if _str(c, "job") == "Director"]
    else:
        people = [_str(c, "name") for c in _objects(data, "created_by")]
    director = ", ".join(dict.fromkeys(name for name in people if name))  # dedupe, keep order

    adult = data.get("adult", False)
    if not isinstance(adult, bool):
        raise TmdbParseError(f"'adult' is not a boolean: {adult!r}")
    vote_count = _int(data, "vote_count")
    return TmdbTitle(
        media_type=media_type,
        tmdb_id=_int(data, "id", required=True),
        title=title[:500],
        original_title=_str(data, "original_title" if is_movie else "original_name")[:500],
        original_language=_str(data, "original_language")[:16],
        tagline=_str(data, "tagline"),
        overview=_str(data, "overview"),
        genres=genres,
        keywords=keywords,
        release_date=release_date,
        year=release_date.year if release_date else None,
        vote_average=_float(data, "vote_average") or 0.0,
        vote_count=vote_count,
        popularity=_float(data, "popularity") or 0.0,
        cast=cast,
        director=director[:500],
        poster_path=_str(data, "poster_path")[:200],
        adult=adult,
    )


def tmdb_page_parse(data: Any) -> TmdbPage:
    if not isinstance(data, dict):
        raise TmdbParseError("page response is not a JSON object")
    entries = []
    for row in _objects(data, "results"):
        try:
            tmdb_id = _int(row, "id", required=True)
        except TmdbParseError:
            continue  # an entry without a usable id names no title; the rest of the page still counts
        try:
            vote_count = row.get("vote_count")
            entry = TmdbListEntry(
                tmdb_id=tmdb_id,
                popularity=_float(row, "popularity"),
                vote_average=_float(row, "vote_average"),
                vote_count=_int(row, "vote_count") if vote_count is not None else None,
            )
        except TmdbParseError:
            # The stats of a list entry only rank candidates: a title with absurd ones is still a
            # candidate (its details fetch decides), and must not sink the page's other titles.
            entry = TmdbListEntry(tmdb_id=tmdb_id, popularity=None, vote_average=None, vote_count=None)
        entries.append(entry)
    return TmdbPage(
        page=_int(data, "page", default=1), total_pages=_int(data, "total_pages", default=1), entries=tuple(entries)
    )


# --- session and calls ---------------------------------------------------------------------------


class TmdbSession(OutgoingSession):
    service = SERVICE


def tmdb_configured() -> bool:
    return bool(settings.TMDB_API_KEY or settings.TMDB_READ_ACCESS_TOKEN)


_limiters: dict[float, SharedRateLimiter] = {}
_limiters_lock = threading.Lock()


def tmdb_rate_limiter() -> SharedRateLimiter:
    """The TMDB budget: shared through Redis by every thread, process and host (TMDB counts per key,
    not per worker; see ``reclio.ratelimit``). 0 lifts the limit (local fakes, benchmarks)."""
    rate = float(settings.TMDB_MAX_REQUESTS_PER_SECOND)
    with _limiters_lock:
        return _limiters.setdefault(rate, SharedRateLimiter(SERVICE, per_second=rate))


def tmdb_session_build(*, rate_limiter: RateLimiter | None = None) -> TmdbSession:
    """A session authenticated with the v4 read token (preferred: keeps the key out of URLs) or the v3 key."""
    if not tmdb_configured():
        raise TmdbNotConfigured()
    session = TmdbSession(base_url=settings.TMDB_BASE_URL, rate_limiter=rate_limiter)
    if settings.TMDB_READ_ACCESS_TOKEN:
        session.headers["Authorization"] = f"Bearer {settings.TMDB_READ_ACCESS_TOKEN}"
    else:
        session.params = {"api_key": settings.TMDB_API_KEY}
    session.headers["Accept"] = "application/json"
    return session


def tmdb_title_fetch(session: TmdbSession, *, media_type: str, tmdb_id: int) -> TmdbTitle:
    """Details with credits and keywords in one call. Raises TmdbNotFound, TmdbParseError, UpstreamError."""
    response = session.get(f"{media_type}/{tmdb_id}", params={"append_to_response": "credits,keywords"})
    if response.status_code == 404:
        raise TmdbNotFound(f"TMDB has no {media_type} {tmdb_id}", service=SERVICE, status=404, permanent=True)
    data = json_or_error(response, service=SERVICE, ok=(200,))
    title = tmdb_title_parse(data, media_type=media_type)
    if title.tmdb_id != tmdb_id:
        raise TmdbParseError(f"asked for {media_type} {tmdb_id}, TMDB answered id {title.tmdb_id}")
    return title


def tmdb_list_page(session: TmdbSession, *, path: str, page: int, params: Mapping[str, Any] | None = None) -> TmdbPage:
    response = session.get(path, params={**(params or {}), "page": page})
    return tmdb_page_parse(json_or_error(response, service=SERVICE, ok=(200,)))


def tmdb_changes_page(
    session: TmdbSession, *, media_type: str, start_date: dt.date, end_date: dt.date, page: int
) -> TmdbPage:
    """Ids TMDB changed between two dates (inclusive, ≤ 14 days apart). Entries carry no stats."""
    if (end_date - start_date).days > CHANGES_MAX_DAYS:
        raise ValueError(f"TMDB /changes spans at most {CHANGES_MAX_DAYS} days")
    params: dict[str, str | int] = {
        "start_date": start_date.isoformat(),
        "end_date": end_date.isoformat(),
        "page": page,
    }
    response = session.get(f"{media_type}/changes", params=params)
    return tmdb_page_parse(json_or_error(response, service=SERVICE, ok=(200,)))


def tmdb_ping(*, timeout: float) -> None:
    """Cheapest authenticated call (/configuration) for the health probe; raises on failure."""
    session = tmdb_session_build()
    session.max_retries = 0
    session.timeout = timeout
    json_or_error(session.get("configuration"), service=SERVICE, ok=(200,))
