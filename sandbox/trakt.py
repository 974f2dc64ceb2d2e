"""A protocol-faithful fake Trakt API v2 on 127.0.0.1, for tests, the benchmark and demos.

Reference: https://trakt.docs.apiary.io/ — it answers what our client uses, with Trakt's shapes,
status codes and headers: OAuth (authorization code, refresh with rotation, device code with
400/404/409/410/418/429), ``/users/settings`` with limits, ``/sync/last_activities``, paginated
history / ratings / watchlist (``X-Pagination-*``; history defaults to 10 per page, max 250), and
personal lists with 420 account limits (``X-Account-Limit``, ``X-Upgrade-URL``) and the 1 write
per second limit (429 + ``Retry-After``). Failures can be injected per route.

    with FakeTrakt() as fake:
        account = fake.add_account("sean")
        access, refresh = fake.issue_tokens("sean")
        account.watch_movie(603, "2026-01-02T20:00:00.000Z")
        settings.TRAKT_API_URL = fake.url

The sandbox adds what a browser and a demo need (``python -m sandbox serve``): ``GET /oauth/authorize``
auto-approves (``?as=USERNAME``, else the first account) and redirects to ``redirect_uri`` with
``code`` and ``state``; ``GET /activate?code=USER_CODE&as=USERNAME`` approves a pending device code;
JSON control endpoints under ``/_sandbox/`` (see ``FakeTrakt._control``) add accounts, watch, rate,
show lists and count each account's writes. ``world_load`` fills accounts and title names from a
``sandbox.world.World``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sandbox.http import FakeHttpServer, FakeReply, Recorded

if TYPE_CHECKING:
    from sandbox.world import World

CLIENT_ID = "test-trakt-client-id"
CLIENT_SECRET = "test-trakt-client-secret"  # noqa: S105
MAX_LIMIT = 250
HISTORY_DEFAULT_LIMIT = 10
ACCESS_TOKEN_SECONDS = 24 * 3600  # since 2025
READ_PERIOD_SECONDS = 300
DEVICE_CODE_SECONDS = 600
FREE_LIMITS = (5, 250)  # lists, items per list (2026)
VIP_LIMITS = (100, 5000)
TRAKT_KIND = {"movie": "movie", "tv": "show", "show": "show"}  # sandbox.world media type → Trakt type


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _rate_limited(name: str, *, period: int, limit: int, retry_after: int) -> tuple[int, Any, dict[str, str]]:
    """Trakt's 429: ``Retry-After`` and the limit that was hit in ``X-Ratelimit``."""
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=retry_after)
    limit_info = {"name": name, "period": period, "limit": limit, "remaining": 0, "until": iso(until)}
    return 429, {"error": "rate limit"}, {"Retry-After": str(retry_after), "X-Ratelimit": json.dumps(limit_info)}


def _bearer(headers: dict[str, str]) -> str:
    auth = headers.get("authorization", "")
    return auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""


def _parse_iso(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


Names = dict[tuple[str, int], tuple[str, int | None]]  # (Trakt type, TMDB id) → (title, year)


def _media(kind: str, tmdb: int | None, names: Names | None = None) -> dict[str, Any]:
    ids = {"trakt": (tmdb or 0) + 100000, "slug": f"{kind}-{tmdb}", "imdb": f"tt{tmdb or 0:07d}", "tmdb": tmdb}
    known = (names or {}).get((kind, tmdb or 0))
    if known is not None:
        return {"title": known[0], "year": known[1], "ids": ids}
    return {"title": f"{kind.title()} {tmdb}", "year": 2000 + (tmdb or 0) % 25, "ids": ids}


@dataclass
class Account:
    slug: str
    name: str = ""
    vip: bool = False
    timezone: str = "Europe/Berlin"
    list_count_limit: int = 5
    list_item_limit: int = 250
    history: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    watchlist: list[dict[str, Any]] = field(default_factory=list)
    activities: dict[str, dict[str, str]] = field(default_factory=dict)
    lists: dict[int, dict[str, Any]] = field(default_factory=dict)
    names: Names = field(default_factory=dict)  # shared with the FakeTrakt: real titles when a world is loaded
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        epoch = "2020-01-01T00:00:00.000Z"
        self.activities = {
            "movies": {"watched_at": epoch, "rated_at": epoch, "watchlisted_at": epoch, "paused_at": epoch},
            "episodes": {"watched_at": epoch, "rated_at": epoch, "watchlisted_at": epoch, "paused_at": epoch},
            "shows": {"rated_at": epoch, "watchlisted_at": epoch},
            "watchlist": {"updated_at": epoch},
            "lists": {"updated_at": epoch},
        }
        self.all = epoch

    def _touch(self, area: str, name: str) -> None:
        # Strictly increasing millisecond stamps, as Trakt's are for consecutive changes.
        now = dt.datetime.now(dt.UTC)
        self._last_stamp = max(now, getattr(self, "_last_stamp", now) + dt.timedelta(milliseconds=1))
        stamp = self._last_stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self._last_stamp.microsecond // 1000:03d}Z"
        self.activities[area][name] = stamp
        self.all = max(self.all, stamp)

    # --- history / ratings / watchlist -----------------------------------------------------
    def watch_movie(self, tmdb: int | None, watched_at: str) -> None:
        self.history.append(
            {
                "id": next(self._ids),
                "watched_at": watched_at,
                "action": "watch",
                "type": "movie",
                "movie": _media("movie", tmdb, self.names),
            }
        )
        self._touch("movies", "watched_at")

    def watch_episode(self, show_tmdb: int, watched_at: str, season: int = 1, number: int = 1) -> None:
        episode = {
            "season": season,
            "number": number,
            "title": f"S{season}E{number}",
            "ids": {"trakt": next(self._ids), "tmdb": show_tmdb * 1000 + number},
        }
        self.history.append(
            {
                "id": next(self._ids),
                "watched_at": watched_at,
                "action": "scrobble",
                "type": "episode",
                "episode": episode,
                "show": _media("show", show_tmdb, self.names),
            }
        )
        self._touch("episodes", "watched_at")

    def watch(self, kind: str, tmdb: int, watched_at: str) -> None:
        """A movie, or the first episode of a show (Trakt's history holds episodes, not shows)."""
        if kind == "movie":
            self.watch_movie(tmdb, watched_at)
        else:
            self.watch_episode(tmdb, watched_at)

    def unwatch(self, tmdb: int) -> None:
        self.history = [row for row in self.history if (row.get("movie") or row["show"])["ids"]["tmdb"] != tmdb]
        self._touch("movies", "watched_at")

    def rate(self, kind: str, tmdb: int, rating: int, rated_at: str) -> None:
        self.ratings = [r for r in self.ratings if not (r["type"] == kind and r[kind]["ids"]["tmdb"] == tmdb)]
        self.ratings.append(
            {"rated_at": rated_at, "rating": rating, "type": kind, kind: _media(kind, tmdb, self.names)}
        )
        self._touch("movies" if kind == "movie" else "shows", "rated_at")

    def unrate(self, kind: str, tmdb: int) -> None:
        self.ratings = [r for r in self.ratings if not (r["type"] == kind and r[kind]["ids"]["tmdb"] == tmdb)]
        self._touch("movies" if kind == "movie" else "shows", "rated_at")

    def watchlist_add(self, kind: str, tmdb: int, listed_at: str) -> None:
        self.watchlist.append(
            {
                "rank": len(self.watchlist) + 1,
                "id": next(self._ids),
                "listed_at": listed_at,
                "notes": None,
                "type": kind,
                kind: _media(kind, tmdb, self.names),
            }
        )
        self._touch("watchlist", "updated_at")

    def watchlist_remove(self, kind: str, tmdb: int) -> None:
        self.watchlist = [w for w in self.watchlist if not (w["type"] == kind and w[kind]["ids"]["tmdb"] == tmdb)]
        self._touch("watchlist", "updated_at")

    # --- lists -----------------------------------------------------------------------------
    def add_list(self, name: str, *, item_tmdb: list[tuple[str, int]] = ()) -> int:  # type: ignore[assignment]
        list_id = 9000 + next(self._ids)
        self.lists[list_id] = {
            "name": name,
            "description": "",
            "privacy": "private",
            "items": [],
            "slug": name.lower().replace(" ", "-"),
        }
        for kind, tmdb in item_tmdb:
            self._list_append(list_id, kind, tmdb)
        return list_id

    def _list_append(self, list_id: int, kind: str, tmdb: int) -> None:
        items = self.lists[list_id]["items"]
        items.append(
            {
                "rank": len(items) + 1,
                "id": next(self._ids),
                "listed_at": iso(dt.datetime.now(dt.UTC)),
                "notes": None,
                "type": kind,
                kind: _media(kind, tmdb, self.names),
            }
        )

    def list_tmdb(self, list_id: int) -> list[tuple[str, int]]:
        return [
            (i["type"], i[i["type"]]["ids"]["tmdb"])
            for i in sorted(self.lists[list_id]["items"], key=lambda i: i["rank"])
        ]

    def list_object(self, list_id: int) -> dict[str, Any]:
        lst = self.lists[list_id]
        return {
            "name": lst["name"],
            "description": lst["description"],
            "privacy": lst["privacy"],
            "share_link": None,
            "type": "personal",
            "display_numbers": True,
            "allow_comments": False,
            "sort_by": "rank",
            "sort_how": "asc",
            "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-01T00:00:00.000Z",
            "item_count": len(lst["items"]),
            "comment_count": 0,
            "likes": 0,
            "ids": {"trakt": list_id, "slug": lst["slug"]},
            "user": {"username": self.slug, "ids": {"slug": self.slug}},
        }


class FakeTrakt(FakeHttpServer):
    def __init__(
        self,
        *,
        enforce_write_rate: bool = False,
        read_limit: int = 0,  # authenticated GETs per account per 5 minutes (Trakt: 1,000); 0 = none
        clock: Callable[[], float] = time.monotonic,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.accounts: dict[str, Account] = {}
        self.names: Names = {}
        self.access_tokens: dict[str, tuple[str, float]] = {}  # token → (slug, expires at, epoch s)
        self.refresh_tokens: dict[str, str] = {}
        self.auth_codes: dict[str, tuple[str, str | None]] = {}  # code → (slug, redirect_uri; None = the default)
        self.devices: dict[str, dict[str, Any]] = {}
        self.unknown_tmdb: set[int] = set()  # titles Trakt does not know (→ not_found)
        self.enforce_write_rate = enforce_write_rate
        self.read_limit = read_limit
        self._reads: dict[str, deque[float]] = {}
        self.clock = clock
        self._last_write: dict[str, float] = {}
        self._state = threading.Lock()  # one request at a time changes the accounts
        self.redirect_uri = "http://localhost:8000/connect/trakt/callback"
        # Tests read trakt.tv's own example; the sandbox serves its /activate and a fresh code each time.
        self.verification_url = "https://trakt.tv/activate"
        self.fixed_user_code: str | None = "5055CC52"
        super().__init__(self._respond, host=host, port=port, name="fake-trakt")

    # --- scenario helpers --------------------------------------------------------------------
    def add_account(self, slug: str, **kwargs: Any) -> Account:
        account = Account(slug=slug, name=kwargs.pop("name", slug.title()), names=self.names, **kwargs)
        self.accounts[slug] = account
        return account

    def world_load(self, world: World) -> None:
        """Title names for every media object, and the world's accounts with their history,
        ratings and watchlist (VIP accounts get VIP list limits)."""
        for title in world.titles:
            self.names[(TRAKT_KIND[title.media_type], title.tmdb_id)] = (title.title, title.year)
        for person in world.accounts:
            lists, items = VIP_LIMITS if person.vip else FREE_LIMITS
            account = self.add_account(
                person.username,
                name=person.name or person.username.title(),
                vip=person.vip,
                list_count_limit=lists,
                list_item_limit=items,
            )
            for watch in sorted(person.history, key=lambda w: w.watched_at):
                account.watch(TRAKT_KIND[watch.media_type], watch.tmdb_id, iso(watch.watched_at))
            for rating in person.ratings:
                account.rate(TRAKT_KIND[rating.media_type], rating.tmdb_id, rating.rating, iso(rating.rated_at))
            for entry in sorted(person.watchlist, key=lambda w: w.listed_at):
                account.watchlist_add(TRAKT_KIND[entry.media_type], entry.tmdb_id, iso(entry.listed_at))

    def issue_tokens(self, slug: str, *, expires_in: int = ACCESS_TOKEN_SECONDS) -> tuple[str, str]:
        access, refresh = secrets.token_hex(32), secrets.token_hex(32)
        self.access_tokens[access] = (slug, time.time() + expires_in)
        self.refresh_tokens[refresh] = slug
        return access, refresh

    def authorize(self, slug: str) -> str:
        """What trakt.tv does when the viewer clicks "Yes": an authorization code for the callback."""
        code = secrets.token_hex(16)
        self.auth_codes[code] = (slug, None)
        return code

    def revoke(self, slug: str) -> None:
        self.access_tokens = {k: v for k, v in self.access_tokens.items() if v[0] != slug}
        self.refresh_tokens = {k: v for k, v in self.refresh_tokens.items() if v != slug}

    def device_script(self, slug: str, outcomes: list[int]) -> None:
        """Statuses the next device code answers to successive polls (200 = approved for ``slug``)."""
        self._device_plan = (slug, list(outcomes))

    def fail(
        self, method: str, path_prefix: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        self.inject(method, path_prefix, FakeReply(status, {"error": "injected"}, headers or {}), times=times)

    def calls(self, method: str | None = None, path_prefix: str = "") -> list[Recorded]:
        return [r for r in self.requests if (method is None or r.method == method) and r.path.startswith(path_prefix)]

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("POST", "PUT", "DELETE") and not r.path.startswith("/oauth")]

    # --- HTTP --------------------------------------------------------------------------------
    def _loggable(self, request: Recorded) -> bool:
        return not request.path.startswith("/_sandbox/")  # the demo's controls are no Trakt traffic

    def _respond(self, request: Recorded) -> FakeReply:
        with self._state:
            if request.path.startswith("/_sandbox/"):
                status, payload, headers = self._control(
                    request.method, request.path[len("/_sandbox/") :], request.body or {}
                )
            else:
                owner = self.access_tokens.get(_bearer(request.headers))
                request.tag = owner[0] if owner else ""  # the account, for its write count
                status, payload, headers = self._route(
                    request.method, request.path, request.query, request.body, request.headers
                )
        return FakeReply(status, payload, headers)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and path == "/oauth/authorize":  # trakt.tv's page; the sandbox says "Yes" at once
            return self._authorize_page(query)
        if method == "GET" and path == "/activate":  # trakt.tv/activate; the sandbox approves at once
            return self._device_approve(
                query.get("code", [""])[0], query.get("as", [""])[0], deny=query.get("deny", [""])[0] in ("1", "true")
            )
        if headers.get("trakt-api-version") != "2" or headers.get("trakt-api-key") != self.client_id:
            return 403, {"error": "invalid api key"}, {}
        if path.startswith("/oauth/"):
            return self._oauth(path, body or {})
        if method == "GET" and path == "/genres/movies":  # public: API key only
            return 200, [{"name": "Action", "slug": "action"}, {"name": "Drama", "slug": "drama"}], {}
        owner = self.access_tokens.get(_bearer(headers))
        if owner is None or owner[1] < time.time():
            return 401, {"error": "invalid_token"}, {}
        account = self.accounts[owner[0]]
        if method in ("POST", "PUT", "DELETE") and self.enforce_write_rate:
            now = self.clock()
            last = self._last_write.get(account.slug)
            if last is not None and now - last < 1.0:
                return _rate_limited("AUTHED_API_POST_LIMIT", period=1, limit=1, retry_after=1)
            self._last_write[account.slug] = now
        if method == "GET" and self.read_limit:
            now = self.clock()
            window = self._reads.setdefault(account.slug, deque())
            while window and now - window[0] >= READ_PERIOD_SECONDS:
                window.popleft()
            if len(window) >= self.read_limit:
                retry = max(1, math.ceil(READ_PERIOD_SECONDS - (now - window[0])))
                return _rate_limited(
                    "AUTHED_API_GET_LIMIT", period=READ_PERIOD_SECONDS, limit=self.read_limit, retry_after=retry
                )
            window.append(now)
        return self._user_route(account, method, path, query, body or {})

    def _oauth(self, path: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if path == "/oauth/token":
            if body.get("client_id") != self.client_id or body.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client"}, {}
            grant = body.get("grant_type")
            if grant == "authorization_code":
                slug, redirect_uri = self.auth_codes.pop(body.get("code", ""), (None, None))
                if slug is None or body.get("redirect_uri") != (redirect_uri or self.redirect_uri):
                    return (
                        401,
                        {"error": "invalid_grant", "error_description": "The provided authorization grant is invalid"},
                        {},
                    )
            elif grant == "refresh_token":
                slug = self.refresh_tokens.pop(body.get("refresh_token", ""), None)  # rotation: single use
                if slug is None:
                    return (
                        401,
                        {"error": "invalid_grant", "error_description": "The provided authorization grant is invalid"},
                        {},
                    )
            else:
                return 400, {"error": "unsupported_grant_type"}, {}
            return 200, self._token_body(slug), {}
        if path == "/oauth/revoke":
            if body.get("client_id") != self.client_id or body.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client"}, {}
            self.access_tokens.pop(body.get("token", ""), None)
            return 200, None, {}
        if path == "/oauth/device/code":
            if body.get("client_id") != self.client_id:
                return 401, {"error": "invalid_client"}, {}
            device_code = secrets.token_hex(32)
            user_code = self.fixed_user_code or secrets.token_hex(4).upper()
            # A scripted plan answers the polls; without one the code stays pending until someone
            # approves it (``/activate`` or ``/_sandbox/device/approve``) or it expires.
            slug, plan = getattr(self, "_device_plan", ("", None))
            self.devices[device_code] = {
                "slug": slug,
                "plan": None if plan is None else list(plan),
                "used": False,
                "user_code": user_code,
                "expires_at": time.time() + DEVICE_CODE_SECONDS,
            }
            return (
                200,
                {
                    "device_code": device_code,
                    "user_code": user_code,
                    "verification_url": self.verification_url,
                    "expires_in": DEVICE_CODE_SECONDS,
                    "interval": 5,
                },
                {},
            )
        if path == "/oauth/device/token":
            device = self.devices.get(body.get("code", ""))
            if device is None:
                return 404, None, {}
            if device["used"]:
                return 409, None, {}
            if device["plan"] is None:
                status = self._device_status(device)
            else:
                status = device["plan"].pop(0) if device["plan"] else 400
            if status == 200:
                device["used"] = True
                return 200, self._token_body(device["slug"]), {}
            return status, None, {}
        return 404, None, {}

    @staticmethod
    def _device_status(device: dict[str, Any]) -> int:
        """An unscripted code: 410 once expired, 418 denied, 200 approved, 429 when polled well
        within the 5 s interval (jitter tolerated), else 400 pending."""
        now = time.time()
        last, device["last_poll"] = device.get("last_poll"), now
        if now > device["expires_at"]:
            return 410
        if device.get("denied"):
            return 418
        if device.get("approved"):
            return 200
        if last is not None and now - last < 4.0:
            return 429
        return 400

    def _authorize_page(self, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        arg = {key: values[0] for key, values in query.items()}
        if arg.get("client_id") != self.client_id or arg.get("response_type") != "code":
            return 400, {"error": "invalid_request"}, {}
        slug = arg.get("as") or next(iter(self.accounts), "")
        if slug not in self.accounts:
            return 404, {"error": "no such sandbox account", "username": slug}, {}
        redirect_uri = arg.get("redirect_uri") or self.redirect_uri
        code = secrets.token_hex(16)
        self.auth_codes[code] = (slug, redirect_uri)
        back = {"code": code, **({"state": arg["state"]} if "state" in arg else {})}
        joiner = "&" if "?" in redirect_uri else "?"
        return 302, None, {"Location": f"{redirect_uri}{joiner}{urlencode(back)}"}

    def _device_approve(self, user_code: str, slug: str, *, deny: bool = False) -> tuple[int, Any, dict[str, str]]:
        slug = slug or next(iter(self.accounts), "")
        if slug not in self.accounts:
            return 404, {"error": "no such sandbox account", "username": slug}, {}
        pending = [d for d in self.devices.values() if d["user_code"] == user_code.upper() and not d["used"]]
        device = pending[-1] if pending else None
        if device is None:
            return 404, {"error": "no such user code", "user_code": user_code}, {}
        device.update(slug=slug, approved=not deny, denied=deny)
        return 200, {"approved": not deny, "user_code": device["user_code"], "username": slug}, {}

    def _control(self, method: str, route: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        """JSON control endpoints for demos and drills (no API key: the sandbox is loopback-only).

        ``POST device/approve|deny {user_code, username}``; ``GET accounts``; ``POST accounts {username}``;
        ``POST accounts/<u>/watch {media_type, tmdb_id, watched_at?}``;
        ``POST accounts/<u>/rate {media_type, tmdb_id, rating}``; ``GET accounts/<u>/lists`` (items
        in rank order); ``GET accounts/<u>/writes`` (POST/PUT/DELETE calls the account made);
        ``POST accounts/<u>/revoke`` (the viewer revokes Reclio's access at trakt.tv: every token of
        the account stops working); ``POST inject`` (see ``FakeHttpServer.inject_from_json``: the
        next N matching requests get e.g. a 429) and ``POST inject/clear``.
        ``media_type`` is ``movie`` or ``tv`` (``show`` also accepted)."""
        parts = [p for p in route.split("/") if p]
        if method == "POST" and parts == ["inject"]:
            status, answer = self.inject_from_json(body)
            return status, answer, {}
        if method == "POST" and parts == ["inject", "clear"]:
            self.injections_clear()
            return 200, {"ok": True}, {}
        if method == "POST" and parts[:1] == ["device"] and parts[1:] in (["approve"], ["deny"]):
            return self._device_approve(
                str(body.get("user_code", "")), str(body.get("username", "")), deny=parts[1] == "deny"
            )
        if parts == ["accounts"]:
            if method == "GET":
                return 200, [{"username": a.slug, "name": a.name, "vip": a.vip} for a in self.accounts.values()], {}
            if method == "POST":
                slug = str(body.get("username", "")).strip().lower()
                if not slug:
                    return 422, {"error": "username required"}, {}
                if slug in self.accounts:
                    return 409, {"error": "account exists", "username": slug}, {}
                self.add_account(slug, name=body.get("name") or slug.title(), vip=bool(body.get("vip", False)))
                return 201, {"username": slug}, {}
        if len(parts) == 3 and parts[0] == "accounts":
            account = self.accounts.get(parts[1])
            if account is None:
                return 404, {"error": "no such sandbox account", "username": parts[1]}, {}
            now = iso(dt.datetime.now(dt.UTC))
            try:
                if method == "POST" and parts[2] == "watch":
                    kind = TRAKT_KIND[body["media_type"]]
                    account.watch(kind, int(body["tmdb_id"]), body.get("watched_at") or now)
                    return 201, {"last_activities": {"all": account.all, **account.activities}}, {}
                if method == "POST" and parts[2] == "rate":
                    rating = int(body["rating"])
                    if not 1 <= rating <= 10:
                        return 422, {"error": "rating must be 1-10"}, {}
                    account.rate(
                        TRAKT_KIND[body["media_type"]], int(body["tmdb_id"]), rating, body.get("rated_at") or now
                    )
                    return 201, {"last_activities": {"all": account.all, **account.activities}}, {}
            except (KeyError, TypeError, ValueError):
                return 422, {"error": "media_type (movie|tv), tmdb_id and rating/watched_at expected"}, {}
            if method == "GET" and parts[2] == "lists":
                return 200, [self._list_dump(account, list_id) for list_id in account.lists], {}
            if method == "POST" and parts[2] == "revoke":
                self.revoke(account.slug)
                return 200, {"username": account.slug, "revoked": True}, {}
            if method == "GET" and parts[2] == "writes":
                writes = [r for r in self.writes() if r.tag == account.slug]
                return 200, {"username": account.slug, "writes": len(writes)}, {}
        return 404, {"error": "unknown sandbox route", "route": route}, {}

    @staticmethod
    def _list_dump(account: Account, list_id: int) -> dict[str, Any]:
        items = sorted(account.lists[list_id]["items"], key=lambda i: i["rank"])
        return {
            **account.list_object(list_id),
            "items": [
                {
                    "rank": item["rank"],
                    "type": item["type"],
                    "tmdb_id": item[item["type"]]["ids"]["tmdb"],
                    "title": item[item["type"]]["title"],
                    "year": item[item["type"]]["year"],
                }
                for item in items
            ],
        }

    def _token_body(self, slug: str) -> dict[str, Any]:
        access, refresh = self.issue_tokens(slug)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "refresh_token": refresh,
            "scope": "public",
            "created_at": int(time.time()),
        }

    @staticmethod
    def _page(
        rows: list[Any], query: dict[str, list[str]], *, default_limit: int | None
    ) -> tuple[list[Any], dict[str, str]]:
        if default_limit is None and "page" not in query and "limit" not in query:
            return rows, {}
        page = max(1, int(query.get("page", ["1"])[0]))
        limit = min(MAX_LIMIT, max(1, int(query.get("limit", [str(default_limit or 10)])[0])))
        pages = max(1, -(-len(rows) // limit))
        chunk = rows[(page - 1) * limit : page * limit]
        return chunk, {
            "X-Pagination-Page": str(page),
            "X-Pagination-Limit": str(limit),
            "X-Pagination-Page-Count": str(pages),
            "X-Pagination-Item-Count": str(len(rows)),
        }

    def _user_route(
        self, account: Account, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        parts = [p for p in path.split("/") if p]
        if method == "GET" and path == "/users/settings":
            return (
                200,
                {
                    "user": {
                        "username": account.slug,
                        "private": False,
                        "name": account.name,
                        "vip": account.vip,
                        "vip_ep": False,
                        "ids": {"slug": account.slug, "uuid": f"uuid-{account.slug}"},
                    },
                    "account": {
                        "timezone": account.timezone,
                        "date_format": "mdy",
                        "time_24hr": False,
                        "cover_image": None,
                    },
                    "connections": {},
                    "sharing_text": {},
                    "limits": {
                        "list": {"count": account.list_count_limit, "item_count": account.list_item_limit},
                        "watchlist": {"item_count": 100},
                        "favorites": {"item_count": 50},
                        "recommendations": {"item_count": 50},
                        "collection": {"item_count": 100},
                        "notes": {"item_count": 100},
                    },
                },
                {},
            )
        if method == "GET" and path == "/sync/last_activities":
            return 200, {"all": account.all, **account.activities}, {}
        if method == "GET" and parts[:2] == ["sync", "history"] and len(parts) == 3:
            kind = {"movies": "movie", "episodes": "episode", "shows": "episode"}.get(parts[2])
            rows = [r for r in account.history if r["type"] == kind]
            if "start_at" in query:
                start = _parse_iso(query["start_at"][0])
                rows = [r for r in rows if _parse_iso(r["watched_at"]) >= start]
            rows.sort(key=lambda r: (r["watched_at"], r["id"]), reverse=True)
            chunk, headers = self._page(rows, query, default_limit=HISTORY_DEFAULT_LIMIT)
            return 200, chunk, headers
        if method == "GET" and parts[:2] == ["sync", "ratings"] and len(parts) == 3:
            kind = parts[2].rstrip("s")
            rows = sorted((r for r in account.ratings if r["type"] == kind), key=lambda r: r["rated_at"], reverse=True)
            chunk, headers = self._page(rows, query, default_limit=None)
            return 200, chunk, headers
        if method == "GET" and parts[:2] == ["sync", "watchlist"] and len(parts) == 3:
            kind = parts[2].rstrip("s")
            rows = [r for r in account.watchlist if r["type"] == kind]
            chunk, headers = self._page(rows, query, default_limit=None)
            return 200, chunk, headers
        if parts[:3] == ["users", "me", "lists"] or parts[:3] == ["users", account.slug, "lists"]:
            return self._lists(account, method, parts[3:], query, body)
        return 404, None, {}

    def _limit_hit(self, which: str) -> tuple[int, Any, dict[str, str]]:
        return 420, None, {"X-Account-Limit": which, "X-Upgrade-URL": "https://trakt.tv/vip"}

    def _lists(
        self, account: Account, method: str, rest: list[str], query: dict[str, list[str]], body: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        if not rest:
            if method == "GET":
                return 200, [account.list_object(i) for i in account.lists], {}
            if method == "POST":
                if len(account.lists) >= account.list_count_limit:
                    return self._limit_hit(f"list count {account.list_count_limit}")
                if not body.get("name"):
                    return 422, {"error": "name required"}, {}
                list_id = account.add_list(body["name"])
                account.lists[list_id].update(
                    description=body.get("description", ""), privacy=body.get("privacy", "private")
                )
                return 201, account.list_object(list_id), {}
            return 405, None, {}
        try:
            list_id = int(rest[0])
        except ValueError:
            list_id = next((i for i, lst in account.lists.items() if lst["slug"] == rest[0]), -1)
        if list_id not in account.lists:
            return 404, None, {}
        lst = account.lists[list_id]
        if len(rest) == 1:
            if method == "GET":
                return 200, account.list_object(list_id), {}
            if method == "PUT":
                lst.update({k: v for k, v in body.items() if k in ("name", "description", "privacy")})
                return 200, account.list_object(list_id), {}
            if method == "DELETE":
                del account.lists[list_id]
                return 204, None, {}
        if rest[1:] == ["items"] and method == "GET":
            rows = sorted(lst["items"], key=lambda i: i["rank"])
            chunk, headers = self._page(rows, query, default_limit=None)
            return 200, chunk, headers
        empty = {"movies": 0, "shows": 0, "seasons": 0, "episodes": 0, "people": 0}
        wanted = [("movie", row["ids"].get("tmdb")) for row in body.get("movies", [])] + [
            ("show", row["ids"].get("tmdb")) for row in body.get("shows", [])
        ]
        if rest[1:] == ["items"] and method == "POST":
            present = set(account.list_tmdb(list_id))
            added, existing = dict(empty), dict(empty)
            not_found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in empty}
            new = [(k, t) for k, t in wanted if (k, t) not in present and t not in self.unknown_tmdb]
            if len(lst["items"]) + len(new) > account.list_item_limit:
                return self._limit_hit(f"list item count {account.list_item_limit}")
            for kind, tmdb in wanted:
                if tmdb in self.unknown_tmdb:
                    not_found[kind + "s"].append({"ids": {"tmdb": tmdb}})
                elif (kind, tmdb) in present:
                    existing[kind + "s"] += 1
                else:
                    account._list_append(list_id, kind, tmdb)
                    present.add((kind, tmdb))
                    added[kind + "s"] += 1
            return (
                201,
                {
                    "added": added,
                    "existing": existing,
                    "not_found": not_found,
                    "list": {"updated_at": iso(dt.datetime.now(dt.UTC)), "item_count": len(lst["items"])},
                },
                {},
            )
        if rest[1:] == ["items", "remove"] and method == "POST":
            deleted, not_found = dict(empty), {"movies": [], "shows": [], "seasons": [], "episodes": [], "people": []}
            for kind, tmdb in wanted:
                before = len(lst["items"])
                lst["items"] = [i for i in lst["items"] if not (i["type"] == kind and i[kind]["ids"]["tmdb"] == tmdb)]
                if len(lst["items"]) < before:
                    deleted[kind + "s"] += 1
                else:
                    not_found[kind + "s"].append({"ids": {"tmdb": tmdb}})
            for rank, item in enumerate(sorted(lst["items"], key=lambda i: i["rank"]), start=1):
                item["rank"] = rank
            return (
                200,
                {
                    "deleted": deleted,
                    "not_found": not_found,
                    "list": {"updated_at": iso(dt.datetime.now(dt.UTC)), "item_count": len(lst["items"])},
                },
                {},
            )
        if rest[1:] == ["items", "reorder"] and method == "POST":
            by_id = {item["id"]: item for item in lst["items"]}
            order = [i for i in body.get("rank", []) if i in by_id]
            skipped = [i for i in body.get("rank", []) if i not in by_id]
            rest_items = [i for i in sorted(lst["items"], key=lambda i: i["rank"]) if i["id"] not in set(order)]
            for rank, item in enumerate([by_id[i] for i in order] + rest_items, start=1):
                item["rank"] = rank
            return (
                200,
                {
                    "updated": len(order),
                    "skipped_ids": skipped,
                    "list": {"updated_at": iso(dt.datetime.now(dt.UTC)), "item_count": len(lst["items"])},
                },
                {},
            )
        return 404, None, {}
