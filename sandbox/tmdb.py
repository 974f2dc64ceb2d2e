"""A protocol-faithful fake of TMDB API v3, for tests, demos and benchmarks.

One routing core (``FakeTmdb.handle``) answers the endpoints Reclio uses, with TMDB's shapes,
pagination (20 per page, ≤ 500 pages; /changes 100 per page, ≤ 14 days), auth (``api_key`` query or
``Authorization: Bearer``; 401 ``status_code`` 7) and 404 bodies (``status_code`` 34). Two ways to
mount it:

- over real HTTP on 127.0.0.1 (``with FakeTmdbServer(fake) as server: server.base_url``), threaded,
  HTTP/1.1 keep-alive: for benchmarks, end-to-end runs and other apps' tests;
- inside ``responses`` (``fake.mount_responses(rsps, base_url)``): our client code really runs, no
  socket is opened.

Faults are scripted per path: ``fake.script("movie/603", [FakeReply(429, headers={"Retry-After": "2"})])``
serves those replies first, then the real answer. ``FakeReply(timeout=True)`` raises a timeout under
``responses`` and stalls past the client timeout over HTTP.

Reference: https://developer.themoviedb.org/reference/intro/getting-started
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import zlib
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.http import FakeHttpServer, FakeReply, Recorded, encode_body

if TYPE_CHECKING:
    from sandbox.world import Title, World

PAGE_SIZE = 20
CHANGES_PAGE_SIZE = 100
MAX_PAGE = 500
NOT_FOUND = {"success": False, "status_code": 34, "status_message": "The resource you requested could not be found."}
BAD_KEY = {"success": False, "status_code": 7, "status_message": "Invalid API key: You must be granted a valid key."}
RATE_LIMITED = {
    "success": False,
    "status_code": 25,
    "status_message": "Your request count (#) is over the allowed limit of (40).",
}
MEDIA = ("movie", "tv")
CONFIGURATION = {
    "images": {
        "base_url": "http://image.tmdb.org/t/p/",
        "secure_base_url": "https://image.tmdb.org/t/p/",
        "backdrop_sizes": ["w300", "w780", "w1280", "original"],
        "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
        "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
        "profile_sizes": ["w45", "w185", "h632", "original"],
        "still_sizes": ["w92", "w185", "w300", "original"],
    },
    "change_keys": ["cast", "crew", "genres", "keywords", "overview", "title", "name", "release_dates"],
}


def _date_field(media_type: str) -> str:
    return "release_date" if media_type == "movie" else "first_air_date"


class FakeTmdb:
    """TMDB's state and routing. Thread-safe; counts every request by kind."""

    def __init__(
        self,
        *,
        api_key: str | None = "fake-tmdb-key",
        bearer: str | None = None,
        today: dt.date | None = None,
        requests_per_second: float = 0.0,
    ):
        self.api_key = api_key
        self.requests_per_second = requests_per_second  # TMDB's ~40/s budget; 0 = unlimited
        self._recent: deque[float] = deque()
        self.bearer = bearer
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.titles: dict[tuple[str, int], dict[str, Any]] = {}
        self.changes: list[tuple[dt.date, str, int]] = []
        self.counts: Counter[str] = Counter()
        self.detail_ids: Counter[str] = Counter()
        self._scripts: dict[str, deque[FakeReply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._sorted: dict[str, list[dict[str, Any]]] = {}

    # --- state ----------------------------------------------------------------------------------
    def add(self, media_type: str, details: dict[str, Any]) -> None:
        with self._lock:
            self.titles[(media_type, int(details["id"]))] = details
            self._sorted.clear()

    def add_many(self, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        for media_type, details in items:
            self.add(media_type, details)

    def world_load(self, world: World) -> None:
        """Serve the world's titles (details with credits and keywords, in every list and /discover)."""
        self.add_many((title.media_type, title_details(title)) for title in world.titles)

    def update(self, media_type: str, tmdb_id: int, *, on: dt.date | None = None, **fields: Any) -> None:
        """Edit a title and list it in /changes (as TMDB does for any edit)."""
        with self._lock:
            self.titles[(media_type, tmdb_id)].update(fields)
            self.changes.append((on or self.today, media_type, tmdb_id))
            self._sorted.clear()

    def remove(self, media_type: str, tmdb_id: int, *, on: dt.date | None = None) -> None:
        with self._lock:
            self.titles.pop((media_type, tmdb_id), None)
            self.changes.append((on or self.today, media_type, tmdb_id))
            self._sorted.clear()

    def script(self, path: str, replies: Sequence[FakeReply]) -> None:
        """Serve ``replies`` for ``path`` (e.g. "movie/603", "movie/popular") before the real answer."""
        with self._lock:
            self._scripts[path.strip("/")].extend(replies)

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.detail_ids.clear()

    # --- routing --------------------------------------------------------------------------------
    def handle(self, path: str, query: dict[str, str], headers: dict[str, str]) -> FakeReply:
        route = path.strip("/")
        if route.startswith("3/"):
            route = route[2:]
        kind = self._kind(route)
        with self._lock:
            self.counts[kind] += 1
            self.counts["total"] += 1
            if kind == "details":
                self.detail_ids[route] += 1
            scripted = self._scripts.get(route)
            if scripted:
                return scripted.popleft()
            if self._over_budget():
                return FakeReply(429, RATE_LIMITED, headers={"Retry-After": "1"})
        if not self._authorised(query, headers):
            return FakeReply(401, BAD_KEY)
        try:
            return self._route(route, query)
        except (ValueError, KeyError):
            return FakeReply(422, {"success": False, "status_code": 22, "status_message": "Invalid parameters."})

    def _over_budget(self) -> bool:
        """A sliding one-second window over the requests served (caller holds the lock)."""
        if not self.requests_per_second:
            return False
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.requests_per_second:
            return True
        self._recent.append(now)
        return False

    @staticmethod
    def _kind(route: str) -> str:
        if re.fullmatch(r"(movie|tv)/-?\d+", route):
            return "details"
        if re.fullmatch(r"(movie|tv)/-?\d+/(recommendations|similar)", route):
            return "related"
        if route.endswith("/changes"):
            return "changes"
        if route.startswith("genre/"):
            return "genres"
        if route == "configuration":
            return "configuration"
        return "list"

    def _authorised(self, query: dict[str, str], headers: dict[str, str]) -> bool:
        auth = headers.get("authorization") or headers.get("Authorization") or ""
        if self.bearer and auth == f"Bearer {self.bearer}":
            return True
        return bool(self.api_key) and query.get("api_key") == self.api_key

    def _route(self, route: str, query: dict[str, str]) -> FakeReply:
        if route == "configuration":
            return FakeReply(200, CONFIGURATION)
        match = re.fullmatch(r"(movie|tv)/(-?\d+)", route)
        if match:
            return self._details(match[1], int(match[2]), query)
        match = re.fullmatch(r"(movie|tv)/(-?\d+)/(recommendations|similar)", route)
        if match:
            return self._related(match[1], int(match[2]), query)
        match = re.fullmatch(r"genre/(movie|tv)/list", route)
        if match:
            return FakeReply(200, {"genres": self._genres(match[1])})
        match = re.fullmatch(r"(movie|tv)/changes", route)
        if match:
            return self._changes(match[1], query)
        match = re.fullmatch(
            r"(?:(movie|tv)/(popular|top_rated|now_playing|on_the_air|upcoming|airing_today)"
            r"|trending/(movie|tv)/(day|week)|discover/(movie|tv))",
            route,
        )
        if match:
            media = match[1] or match[3] or match[5]
            name = match[2] or ("trending" if match[3] else "discover")
            return self._list(media, name, query)
        return FakeReply(404, NOT_FOUND)

    def _details(self, media_type: str, tmdb_id: int, query: dict[str, str]) -> FakeReply:
        with self._lock:
            details = self.titles.get((media_type, tmdb_id))
        if details is None:
            return FakeReply(404, NOT_FOUND)
        appended = {part.strip() for part in query.get("append_to_response", "").split(",") if part.strip()}
        body = {key: value for key, value in details.items() if key not in ("credits", "keywords")}
        for extra in ("credits", "keywords"):
            if extra in appended:
                body[extra] = details.get(extra, {"cast": [], "crew": []} if extra == "credits" else {})
        return FakeReply(200, body)

    def _genres(self, media_type: str) -> list[dict[str, Any]]:
        with self._lock:
            seen = {
                g["id"]: g["name"] for (m, _), d in self.titles.items() if m == media_type for g in d.get("genres", [])
            }
        return [{"id": gid, "name": name} for gid, name in sorted(seen.items())]

    def _summary(self, media_type: str, details: dict[str, Any]) -> dict[str, Any]:
        name_key = "title" if media_type == "movie" else "name"
        return {
            "id": details["id"],
            name_key: details.get(name_key, ""),
            "original_" + name_key: details.get("original_" + name_key, ""),
            "overview": details.get("overview", ""),
            "popularity": details.get("popularity", 0.0),
            "vote_average": details.get("vote_average", 0.0),
            "vote_count": details.get("vote_count", 0),
            "genre_ids": [g["id"] for g in details.get("genres", [])],
            _date_field(media_type): details.get(_date_field(media_type), ""),
            "poster_path": details.get("poster_path"),
            "adult": details.get("adult", False),
            "original_language": details.get("original_language", ""),
        }

    def _ordered(self, media_type: str, name: str) -> list[dict[str, Any]]:
        key = f"{media_type}/{name}"
        with self._lock:
            cached = self._sorted.get(key)
            if cached is not None:
                return cached
            rows = [d for (m, _), d in self.titles.items() if m == media_type]
        if name == "top_rated":
            rows = [d for d in rows if d.get("vote_count", 0) >= 10]
            rows.sort(key=lambda d: (-d.get("vote_average", 0.0), -d.get("vote_count", 0), d["id"]))
        else:
            if name in ("now_playing", "on_the_air", "upcoming", "airing_today"):
                dates = sorted((d.get(_date_field(media_type)) or "" for d in rows), reverse=True)
                cutoff = dates[min(len(dates) - 1, 99)] if dates else ""  # the 100 most recent titles
                rows = [d for d in rows if (d.get(_date_field(media_type)) or "") >= cutoff and cutoff]
            rows.sort(key=lambda d: (-d.get("popularity", 0.0), d["id"]))
        with self._lock:
            self._sorted[key] = rows
        return rows

    def _list(self, media_type: str, name: str, query: dict[str, str]) -> FakeReply:
        page = int(query.get("page", "1"))
        if not 1 <= page <= MAX_PAGE:
            return FakeReply(
                400,
                {
                    "success": False,
                    "status_code": 22,
                    "status_message": "Invalid page: Pages start at 1 and max at 500. They are expected to be an integer.",  # noqa: E501 - TMDB's wording
                },
            )
        rows = self._ordered(media_type, "popular" if name in ("trending", "discover") else name)
        if name == "discover":
            rows = _discover(media_type, rows, query)
        return self._page(media_type, rows, page)

    def _page(self, media_type: str, rows: list[dict[str, Any]], page: int) -> FakeReply:
        total_results = len(rows)
        total_pages = min(MAX_PAGE, (total_results + PAGE_SIZE - 1) // PAGE_SIZE)
        chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return FakeReply(
            200,
            {
                "page": page,
                "results": [self._summary(media_type, d) for d in chunk],
                "total_pages": total_pages,
                "total_results": total_results,
            },
        )

    def _related(self, media_type: str, tmdb_id: int, query: dict[str, str]) -> FakeReply:
        """Titles of the same type sharing the most genres and keywords (TMDB's are opaque; this is
        deterministic and plausible), most popular first among equals."""
        with self._lock:
            seed = self.titles.get((media_type, tmdb_id))
        if seed is None:
            return FakeReply(404, NOT_FOUND)
        page = int(query.get("page", "1"))

        def facets(details: dict[str, Any]) -> set[str]:
            keywords = details.get("keywords") or {}
            names: list[dict[str, Any]] = keywords.get("keywords") or keywords.get("results") or []
            return {f"g{g['id']}" for g in details.get("genres", [])} | {f"k{k['name']}" for k in names}

        wanted = facets(seed)
        scored = [
            (len(wanted & facets(d)), d)
            for d in self._ordered(media_type, "popular")
            if d["id"] != tmdb_id and wanted & facets(d)
        ]
        scored.sort(key=lambda pair: -pair[0])  # stable: popularity order within a score
        return self._page(media_type, [d for _, d in scored], min(page, MAX_PAGE))

    def _changes(self, media_type: str, query: dict[str, str]) -> FakeReply:
        end = dt.date.fromisoformat(query["end_date"]) if query.get("end_date") else self.today
        start = dt.date.fromisoformat(query["start_date"]) if query.get("start_date") else end - dt.timedelta(days=1)
        if (end - start).days > 14:
            return FakeReply(
                422,
                {
                    "success": False,
                    "status_code": 22,
                    "status_message": "Invalid date range: Should be a range no longer than 14 days.",
                },
            )
        page = int(query.get("page", "1"))
        with self._lock:
            ids = list(dict.fromkeys(i for day, m, i in self.changes if m == media_type and start <= day <= end))
        total_pages = max(1, (len(ids) + CHANGES_PAGE_SIZE - 1) // CHANGES_PAGE_SIZE)
        chunk = ids[(page - 1) * CHANGES_PAGE_SIZE : page * CHANGES_PAGE_SIZE]
        return FakeReply(
            200,
            {
                "results": [{"id": i, "adult": False} for i in chunk],
                "page": page,
                "total_pages": total_pages,
                "total_results": len(ids),
            },
        )

    # --- control endpoints (for a fake running in another process) -------------------------------
    def control(self, method: str, route: str, payload: Any) -> FakeReply:
        """``GET /__fake/counts``, ``POST /__fake/reset_counts``, ``POST /__fake/update``
        ``{"media_type", "id", "fields"}``, ``POST /__fake/remove`` ``{"media_type", "id"}``."""
        if method == "GET" and route == "counts":
            with self._lock:
                return FakeReply(200, {"counts": dict(self.counts), "titles": len(self.titles)})
        if method == "POST" and route == "reset_counts":
            self.reset_counts()
            return FakeReply(200, {"ok": True})
        if method == "POST" and route == "update":
            self.update(payload["media_type"], int(payload["id"]), **payload.get("fields", {}))
            return FakeReply(200, {"ok": True})
        if method == "POST" and route == "remove":
            self.remove(payload["media_type"], int(payload["id"]))
            return FakeReply(200, {"ok": True})
        return FakeReply(404, NOT_FOUND)

    # --- mounting into `responses` --------------------------------------------------------------
    def mount_responses(self, rsps: Any, base_url: str) -> None:
        """Answer every GET under ``base_url`` from this fake, through ``responses`` (no sockets)."""
        prefix = urlsplit(base_url).path.rstrip("/")

        def callback(request: requests.PreparedRequest) -> Any:
            parts = urlsplit(request.url or "")
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            path = parts.path[len(prefix) :] if parts.path.startswith(prefix) else parts.path
            reply = self.handle(path, query, dict(request.headers))
            if reply.timeout:
                return requests.Timeout("fake TMDB timed out")
            return reply.status, {"Content-Type": "application/json", **reply.headers}, encode_body(reply.body)

        rsps.add_callback("GET", re.compile(re.escape(base_url.rstrip("/")) + r"/.*"), callback=callback)


_SORT_FIELDS = {
    "popularity": lambda d: d.get("popularity", 0.0),
    "vote_average": lambda d: d.get("vote_average", 0.0),
    "vote_count": lambda d: d.get("vote_count", 0),
    "primary_release_date": lambda d: d.get("release_date") or "",
    "release_date": lambda d: d.get("release_date") or "",
    "first_air_date": lambda d: d.get("first_air_date") or "",
    "title": lambda d: d.get("title") or "",
    "name": lambda d: d.get("name") or "",
}


def _discover(media_type: str, rows: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    """/discover's filters and sort (https://developer.themoviedb.org/reference/discover-movie)."""
    if query.get("with_genres"):
        # "," = AND, "|" = OR
        if "|" in query["with_genres"]:
            wanted_any = {int(g) for g in query["with_genres"].split("|")}
            rows = [d for d in rows if wanted_any & {g["id"] for g in d.get("genres", [])}]
        else:
            wanted_all = {int(g) for g in query["with_genres"].split(",")}
            rows = [d for d in rows if wanted_all <= {g["id"] for g in d.get("genres", [])}]
    if query.get("without_genres"):
        unwanted = {int(g) for g in re.split(r"[,|]", query["without_genres"])}
        rows = [d for d in rows if not unwanted & {g["id"] for g in d.get("genres", [])}]
    for field_name in ("vote_count", "vote_average"):
        if query.get(f"{field_name}.gte"):
            floor = float(query[f"{field_name}.gte"])
            rows = [d for d in rows if d.get(field_name, 0) >= floor]
        if query.get(f"{field_name}.lte"):
            ceiling = float(query[f"{field_name}.lte"])
            rows = [d for d in rows if d.get(field_name, 0) <= ceiling]
    if query.get("with_original_language"):
        rows = [d for d in rows if d.get("original_language") == query["with_original_language"]]
    date_key = _date_field(media_type)
    for prefix in ("primary_release_date", "release_date", "first_air_date"):
        if query.get(f"{prefix}.gte"):
            rows = [d for d in rows if (d.get(date_key) or "") >= query[f"{prefix}.gte"]]
        if query.get(f"{prefix}.lte"):
            rows = [d for d in rows if (d.get(date_key) or "9999") <= query[f"{prefix}.lte"]]
    sort_by = query.get("sort_by", "popularity.desc")
    field_name, _, direction = sort_by.partition(".")
    if field_name not in _SORT_FIELDS or direction not in ("asc", "desc"):
        raise ValueError(f"invalid sort_by {sort_by}")
    if sort_by != "popularity.desc":  # rows arrive in that order already
        key = _SORT_FIELDS[field_name]
        rows = sorted(rows, key=lambda d: d["id"])
        rows = sorted(rows, key=key, reverse=direction == "desc")
    return rows


class FakeTmdbServer(FakeHttpServer):
    """``FakeTmdb`` over real HTTP (threaded, keep-alive); ``base_url`` is what ``TMDB_BASE_URL`` should be."""

    def __init__(
        self,
        fake: FakeTmdb,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout_stall_seconds: float = 30.0,
        log: bool = False,  # FakeTmdb counts requests itself; a long-running sandbox keeps no log
    ) -> None:
        self.fake = fake
        super().__init__(
            self._respond, host=host, port=port, name="fake-tmdb", stall_seconds=timeout_stall_seconds, log=log
        )

    @property
    def base_url(self) -> str:
        return f"{self.url}/3"

    def _respond(self, request: Recorded) -> FakeReply:
        if request.method == "POST" and request.path == "/__fake/inject":  # drills: e.g. a 429 storm
            status, body = self.inject_from_json(request.body or {})
            return FakeReply(status, body)
        if request.method == "POST" and request.path == "/__fake/inject/clear":
            self.injections_clear()
            return FakeReply(200, {"ok": True})
        if request.path.startswith("/__fake/"):
            return self.fake.control(request.method, request.path[len("/__fake/") :], request.body)
        if request.method != "GET":
            return FakeReply(405, {"success": False, "status_code": 3, "status_message": "Invalid service."})
        return self.fake.handle(request.path, {k: v[-1] for k, v in request.query.items()}, request.headers)


# --- building a fake catalog ----------------------------------------------------------------------


def movie_details(tmdb_id: int, title: str, **extra: Any) -> dict[str, Any]:
    """A TMDB-shaped movie details body (credits and keywords appended) for hand-written fixtures."""
    details: dict[str, Any] = {
        "id": tmdb_id,
        "title": title,
        "original_title": title,
        "original_language": "en",
        "tagline": "",
        "overview": f"{title} overview.",
        "release_date": "2020-01-01",
        "genres": [{"id": 18, "name": "Drama"}],
        "vote_average": 7.0,
        "vote_count": 100,
        "popularity": 10.0,
        "poster_path": f"/poster{tmdb_id}.jpg",
        "adult": False,
        "runtime": 100,
        "credits": {
            "cast": [{"name": "Actor A", "order": 0, "character": "Lead"}],
            "crew": [{"name": "Director D", "job": "Director"}],
        },
        "keywords": {"keywords": [{"id": 1, "name": "friendship"}]},
    }
    details.update(extra)
    return details


def tv_details(tmdb_id: int, name: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {
        "id": tmdb_id,
        "name": name,
        "original_name": name,
        "original_language": "en",
        "tagline": "",
        "overview": f"{name} overview.",
        "first_air_date": "2019-05-01",
        "genres": [{"id": 18, "name": "Drama"}],
        "vote_average": 8.0,
        "vote_count": 50,
        "popularity": 20.0,
        "poster_path": f"/tv{tmdb_id}.jpg",
        "adult": False,
        "created_by": [{"id": 1, "name": "Creator C"}],
        "credits": {"cast": [{"name": "Actor B", "order": 0, "character": "Lead"}], "crew": []},
        "keywords": {"results": [{"id": 2, "name": "family"}]},
    }
    details.update(extra)
    return details


def _keyword_id(name: str) -> int:
    return zlib.crc32(name.encode()) % 1_000_000 + 1  # stable across processes, unlike hash()


def title_details(title: Title) -> dict[str, Any]:
    """A TMDB details body (credits and keywords appended) for a ``sandbox.world.Title``."""
    movie = title.media_type == "movie"
    name_key = "title" if movie else "name"
    keywords = [{"id": _keyword_id(k), "name": k} for k in title.keywords]
    crew = [{"name": title.director, "job": "Director", "department": "Directing"}] if movie and title.director else []
    details: dict[str, Any] = {
        "id": title.tmdb_id,
        name_key: title.title,
        "original_" + name_key: title.title,
        "original_language": title.original_language,
        "tagline": title.tagline,
        "overview": title.overview,
        _date_field(title.media_type): f"{title.year}-01-01" if title.year else "",
        "genres": [{"id": gid, "name": name} for gid, name in title.genres],
        "vote_average": title.vote_average,
        "vote_count": title.vote_count,
        "popularity": title.popularity,
        "poster_path": title.poster_path,
        "adult": False,
        "credits": {
            "cast": [{"name": n, "order": i, "character": ""} for i, n in enumerate(title.cast)],
            "crew": crew,
        },
        "keywords": {"keywords": keywords} if movie else {"results": keywords},
    }
    if not movie:
        details["created_by"] = [{"id": _keyword_id(title.director), "name": title.director}] if title.director else []
    return details


def fake_titles_from_shared_data(data_dir: Path, *, limit: int = 10_000) -> list[tuple[str, dict[str, Any]]]:
    """TMDB-shaped titles built from ../shared/data: every Netflix show plus TMDB-CSV movies up to ``limit``.

    Netflix shows have no TMDB id; the fake numbers them from their ``show_id`` (positive here: TMDB's
    TV ids are their own namespace).
    """
    from catalog.datasets import netflix_records, tmdb_movie_records

    shows = [
        ("tv", {**record.details, "id": -record.details["id"], "first_air_date": f"{record.year or 2000}-01-01"})
        for record in netflix_records(netflix_csv=data_dir / "netflix-titles" / "netflix_titles.csv")
    ]
    movies = [
        ("movie", {**record.details, "poster_path": f"/m{record.details['id']}.jpg"})
        for record in tmdb_movie_records(
            tmdb_csv=data_dir / "tmdb" / "tmdb-movies.csv", tmdb5000_csv=data_dir / "tmdb" / "tmdb_5000_movies.csv"
        )
    ]
    shows = shows[: limit // 4] if len(shows) > limit // 4 else shows
    return shows + movies[: max(0, limit - len(shows))]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the fake as its own process: ``python -m sandbox.tmdb --data ../shared/data --port 8765``.

    Prints ``FAKE_TMDB_URL=<base url>`` once listening (for scripts), then serves until killed.
    """
    import argparse
    import os
    import sys

    parser = argparse.ArgumentParser(description="Fake TMDB v3 API on 127.0.0.1")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("RECLIO_SHARED_DATA", "../shared/data")))
    parser.add_argument("--titles", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="fake-tmdb-key")
    parser.add_argument("--bearer", default=None)
    args = parser.parse_args(argv)
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))  # catalog.datasets builds the titles (pure Python, no Django needed)
    fake = FakeTmdb(api_key=args.api_key, bearer=args.bearer)
    fake.add_many(fake_titles_from_shared_data(args.data, limit=args.titles))
    with FakeTmdbServer(fake, port=args.port) as server:
        print(f"FAKE_TMDB_URL={server.base_url}", flush=True)  # noqa: T201 - scripts read this line
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
