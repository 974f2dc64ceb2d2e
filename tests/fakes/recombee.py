"""A scripted, protocol-faithful fake of the Recombee API (https://docs.recombee.com/api).

It checks what the real service checks (HMAC-SHA1 signature over path + query with a 30 s
``hmac_timestamp``, https://docs.recombee.com/authentication), keeps one database per region host,
and answers with the documented status codes: 201/409 for AddItemProperty and AddItem, 400 for an
unknown property or a rating outside [-1, 1], 404 for missing items/users without cascadeCreate,
409 for a repeated interaction (same user, item, timestamp, compared as Unix seconds whichever form
was sent), deletes of interactions (one timestamp, or all of a user-item pair) and items (their
interactions go with them) answering 404 when there is nothing to delete, the per-user interaction
lists with Unix timestamps, and a Batch that is HTTP 200 with one ``{"code", "json"}`` per request.

Scripting knobs play every failure the diagnosis and the pushes must survive:

* ``FakeRegion.down``: no answer at all (``requests.ConnectionError``, like DNS or a firewall);
* ``FakeRegion.unknown_database``: ``"404"`` (default) or ``"phantom"`` — an unknown database is
  answered as an empty one that accepts writes and keeps nothing (the "wrong region" symptom);
* ``FakeDatabase.status_override``: every call answers this status (401, 503 …);
* ``FakeDatabase.fail_batches`` / ``fail_batch_calls``: the next N Batch calls, or the Batch calls
  with these 1-based numbers, answer HTTP 500;
* ``FakeDatabase.sub_request_codes``: item/user id → code its sub-requests answer inside a Batch;
* ``FakeDatabase.drop_writes``: writes answer 200 and are silently dropped;
* ``FakeDatabase.scripted_recomms``: user id or item id → the ids to recommend.

Use it with ``responses`` (``fake.install(rsps)``: the SDK really runs through our session) or as a
real HTTP server on 127.0.0.1 (``FakeRecombeeServer``) for RECOMBEE_BASE_URI=http://127.0.0.1:port.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from hashlib import sha1
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import requests

from sandbox.http import FakeHttpServer, FakeReply, Recorded

REGION_HOSTS = {
    "us-west": "rapi-us-west.recombee.com",
    "ca-east": "rapi-ca-east.recombee.com",
    "eu-west": "rapi-eu-west.recombee.com",
    "ap-se": "rapi-ap-se.recombee.com",
}
PROPERTY_TYPES = {"string", "int", "double", "boolean", "timestamp", "set", "image", "imageList"}
SIGNATURE_LIFETIME_SECONDS = 30
WRITE_PATHS = ("/items/", "/detailviews/", "/ratings/", "/bookmarks/")


@dataclass
class Call:
    host: str
    method: str
    path: str  # without the database prefix
    params: dict[str, Any]
    status: int
    in_batch: bool = False


@dataclass
class FakeDatabase:
    database_id: str
    token: str
    properties: dict[str, str] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: set[str] = field(default_factory=set)
    # (kind, user, item, timestamp) → value (rating) or None
    interactions: dict[tuple[str, str, str, Any], Any] = field(default_factory=dict)
    status_override: int | None = None
    fail_batches: int = 0
    fail_batch_calls: set[int] = field(default_factory=set)  # 1-based numbers of Batch calls that answer 500
    batch_calls: int = 0
    sub_request_codes: dict[str, int] = field(default_factory=dict)
    drop_writes: bool = False
    scripted_recomms: dict[str, list[str]] = field(default_factory=dict)

    def interactions_of(self, kind: str) -> list[tuple[str, str, Any, Any]]:
        return [(u, i, ts, v) for (k, u, i, ts), v in self.interactions.items() if k == kind]


@dataclass
class FakeRegion:
    host: str
    databases: dict[str, FakeDatabase] = field(default_factory=dict)
    down: bool = False
    unknown_database: str = "404"  # or "phantom"


class FakeRecombee:
    def __init__(self, *, clock: Any = time.time) -> None:
        self.regions: dict[str, FakeRegion] = {host: FakeRegion(host) for host in REGION_HOSTS.values()}
        self.calls: list[Call] = []
        self.clock = clock
        self._lock = threading.Lock()

    # --- scripting -------------------------------------------------------------------------

    def region(self, name_or_host: str) -> FakeRegion:
        host = REGION_HOSTS.get(name_or_host, name_or_host)
        return self.regions.setdefault(host, FakeRegion(host))

    def database(self, *, region: str, database_id: str, token: str) -> FakeDatabase:
        fake_region = self.region(region)
        return fake_region.databases.setdefault(database_id, FakeDatabase(database_id, token))

    def calls_to(self, path_prefix: str, *, in_batch: bool | None = None) -> list[Call]:
        return [
            call
            for call in self.calls
            if call.path.startswith(path_prefix) and (in_batch is None or call.in_batch is in_batch)
        ]

    # --- transport adapters ----------------------------------------------------------------

    def install(self, rsps: Any) -> None:
        """Answer every Recombee-shaped URL on ``rsps`` (a ``responses.RequestsMock``)."""
        pattern = re.compile(r"https?://[^/]+/.*")
        for method in ("GET", "PUT", "POST", "DELETE"):
            rsps.add_callback(method, pattern, callback=self._responses_callback)

    def _responses_callback(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(request.url or "")
        body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        status, payload = self.handle(
            host=parts.netloc, method=request.method or "GET", raw_path=parts.path, raw_query=parts.query, body=body
        )
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    # --- the protocol ----------------------------------------------------------------------

    def handle(self, *, host: str, method: str, raw_path: str, raw_query: str, body: str) -> tuple[int, Any]:
        with self._lock:
            region = self.regions.get(host)
            if region is None or region.down:
                raise requests.ConnectionError(f"fake recombee: {host} does not answer")
            database_id, _, rest = raw_path.lstrip("/").partition("/")
            path = "/" + rest
            db = region.databases.get(database_id)
            if db is None:
                if region.unknown_database == "phantom":
                    db = FakeDatabase(database_id, token="")  # accepts any signature
                    db.drop_writes = True
                else:
                    return self._record(host, method, path, {}, *self._error(404, "Database not found"))
            if db.token and not self._signature_ok(db, raw_path, raw_query):
                return self._record(host, method, path, {}, 401, {"statusCode": 401, "message": "Wrong HMAC signature"})
            if db.status_override is not None:
                code = db.status_override
                return self._record(host, method, path, {}, code, {"statusCode": code, "message": "scripted failure"})
            params: dict[str, Any] = {k: v for k, v in parse_qsl(raw_query) if not k.startswith("hmac_")}
            if body:
                params.update(json.loads(body))
            if path == "/batch/" and method == "POST":
                db.batch_calls += 1
                if db.fail_batches > 0 or db.batch_calls in db.fail_batch_calls:
                    db.fail_batches = max(0, db.fail_batches - 1)
                    return self._record(host, method, path, {}, *self._error(500, "scripted batch failure"))
                results = []
                for sub in params.get("requests", []):
                    sub_params = dict(sub.get("params", {}))
                    code, payload = self._dispatch(db, sub["method"], sub["path"], dict(sub_params), batch=True)
                    self.calls.append(Call(host, sub["method"], sub["path"], sub_params, code, True))
                    results.append({"code": code, "json": payload})
                return self._record(host, method, path, params, 200, results)
            code, payload = self._dispatch(db, method, path, params, batch=False)
            return self._record(host, method, path, params, code, payload)

    def _record(
        self, host: str, method: str, path: str, params: dict[str, Any], status: int, payload: Any
    ) -> tuple[int, Any]:
        self.calls.append(Call(host, method, path, params, status))
        return status, payload

    def _signature_ok(self, db: FakeDatabase, raw_path: str, raw_query: str) -> bool:
        signed, sep, signature = f"{raw_path}?{raw_query}".rpartition("&hmac_sign=")
        if not sep:
            return False
        expected = hmac.new(db.token.encode(), signed.encode(), sha1).hexdigest()
        match = re.search(r"[?&]hmac_timestamp=(\d+)", signed)
        fresh = match is not None and abs(self.clock() - int(match.group(1))) <= SIGNATURE_LIFETIME_SECONDS
        return fresh and hmac.compare_digest(expected, signature)

    @staticmethod
    def _error(code: int, message: str) -> tuple[int, Any]:
        return code, {"statusCode": code, "message": message}

    def _dispatch(
        self, db: FakeDatabase, method: str, path: str, params: dict[str, Any], *, batch: bool
    ) -> tuple[int, Any]:
        method = method.upper()
        if batch:
            target = params.get("itemId") or params.get("userId") or unquote(path.rstrip("/").rsplit("/", 1)[-1])
            if target in db.sub_request_codes:
                return self._error(db.sub_request_codes[target], f"scripted failure for {target}")
        writes = method in ("PUT", "POST", "DELETE") and path.startswith(WRITE_PATHS)
        if writes and db.drop_writes:
            return 200, "ok"

        if method == "GET" and path == "/items/list/":
            return 200, self._page(sorted(db.items), params)
        if method == "GET" and path == "/users/list/":
            return 200, self._page(sorted(db.users), params)
        if method == "GET" and path == "/items/properties/list/":
            return 200, [{"name": name, "type": kind} for name, kind in sorted(db.properties.items())]
        match = re.fullmatch(r"/items/properties/([^/]+)", path)
        if match and method == "PUT":
            name, kind = unquote(match.group(1)), params.get("type")
            if kind not in PROPERTY_TYPES:
                return self._error(400, f"unknown property type {kind!r}")
            if name in db.properties:
                return self._error(409, f"property {name} already exists")
            db.properties[name] = kind
            return 201, "ok"
        match = re.fullmatch(r"/items/([^/]+)", path)
        if match:
            return self._item(db, method, unquote(match.group(1)), params)
        if method == "POST" and path in ("/detailviews/", "/ratings/", "/bookmarks/"):
            return self._interaction(db, path.strip("/"), params)
        if method == "DELETE" and path in ("/detailviews/", "/ratings/", "/bookmarks/"):
            return self._interaction_delete(db, path.strip("/"), params)
        match = re.fullmatch(r"/users/([^/]+)/(detailviews|ratings|bookmarks)/", path)
        if match and method == "GET":
            return self._user_interactions(db, unquote(match.group(1)), match.group(2))
        match = re.fullmatch(r"/recomms/users/([^/]+)/items/", path)
        if match and method == "POST":
            return self._recommend_to_user(db, unquote(match.group(1)), params)
        match = re.fullmatch(r"/recomms/items/([^/]+)/items/", path)
        if match and method == "POST":
            return self._recommend_to_item(db, unquote(match.group(1)), params)
        return self._error(404, f"unknown endpoint {method} {path}")

    @staticmethod
    def _page(ids: list[str], params: dict[str, Any]) -> list[str]:
        offset = int(params.get("offset", 0))
        count = int(params.get("count", 100))
        return ids[offset : offset + count]

    def _item(self, db: FakeDatabase, method: str, item_id: str, params: dict[str, Any]) -> tuple[int, Any]:
        if method == "PUT":
            if item_id in db.items:
                return self._error(409, f"item {item_id} already exists")
            db.items[item_id] = {}
            return 201, "ok"
        if method == "GET":
            if item_id not in db.items:
                return self._error(404, f"item {item_id} not found")
            return 200, {name: db.items[item_id].get(name) for name in db.properties}
        if method == "DELETE":
            if db.items.pop(item_id, None) is None:
                return self._error(404, f"item {item_id} not found")
            # Deleting an item deletes its interactions too (https://docs.recombee.com/api#delete-item).
            for key in [key for key in db.interactions if key[2] == item_id]:
                del db.interactions[key]
            return 200, "ok"
        # POST = SetItemValues
        cascade = bool(params.pop("!cascadeCreate", False))
        unknown = sorted(set(params) - set(db.properties))
        if unknown:
            return self._error(400, f"property {unknown[0]} not found")
        if item_id not in db.items and not cascade:
            return self._error(404, f"item {item_id} not found")
        db.items.setdefault(item_id, {}).update(params)
        return 200, "ok"

    def _interaction(self, db: FakeDatabase, kind: str, params: dict[str, Any]) -> tuple[int, Any]:
        user_id, item_id = params.get("userId"), params.get("itemId")
        if not user_id or not item_id:
            return self._error(400, "userId and itemId are required")
        if kind == "ratings":
            rating = params.get("rating")
            if not isinstance(rating, (int, float)) or not -1.0 <= rating <= 1.0:
                return self._error(400, f"rating {rating!r} is not in [-1, 1]")
        if not params.get("cascadeCreate"):
            if item_id not in db.items:
                return self._error(404, f"item {item_id} not found")
            if user_id not in db.users:
                return self._error(404, f"user {user_id} not found")
        key = (kind, user_id, item_id, params.get("timestamp"))
        if any((*key[:3], form) in db.interactions for form in _forms(params.get("timestamp"))):
            return self._error(409, "an interaction with the same user, item and timestamp exists")
        db.items.setdefault(item_id, {})
        db.users.add(user_id)
        db.interactions[key] = params.get("rating")
        return 200, "ok"

    def _interaction_delete(self, db: FakeDatabase, kind: str, params: dict[str, Any]) -> tuple[int, Any]:
        """DeleteDetailView / DeleteRating / DeleteBookmark: the one at ``timestamp``, or all of the pair
        without it; 404 when the user, the item or such an interaction does not exist."""
        user_id, item_id = params.get("userId"), params.get("itemId")
        if not user_id or not item_id:
            return self._error(400, "userId and itemId are required")
        if user_id not in db.users:
            return self._error(404, f"user {user_id} not found")
        if item_id not in db.items:
            return self._error(404, f"item {item_id} not found")
        wanted = params.get("timestamp")
        moment = None if wanted is None else _epoch(wanted, default=None)
        doomed = [
            key
            for key in db.interactions
            if key[:3] == (kind, user_id, item_id) and (moment is None or _epoch(key[3], default=None) == moment)
        ]
        if not doomed:
            return self._error(404, f"no {kind} of {item_id} by {user_id} at {wanted}")
        for key in doomed:
            del db.interactions[key]
        return 200, "ok"

    def _user_interactions(self, db: FakeDatabase, user_id: str, kind: str) -> tuple[int, Any]:
        """ListUserDetailViews / ListUserRatings / ListUserBookmarks: Unix timestamps, ratings with value."""
        if user_id not in db.users:
            return self._error(404, f"user {user_id} not found")
        listed = []
        for (k, user, item, ts), value in db.interactions.items():
            if k == kind and user == user_id:
                entry: dict[str, Any] = {"itemId": item, "userId": user, "timestamp": _epoch(ts, default=None)}
                if kind == "ratings":
                    entry["rating"] = value
                listed.append(entry)
        return 200, sorted(listed, key=lambda entry: (entry["timestamp"] or 0, entry["itemId"]))

    @staticmethod
    def _filter(db: FakeDatabase, reql: str | None) -> set[str]:
        if not reql:
            return set(db.items)
        match = re.fullmatch(r"'(\w+)' == \"([^\"]*)\"", reql.strip())
        if not match:
            raise ValueError(f"the fake understands only 'prop' == \"value\" filters, got {reql!r}")
        prop, value = match.groups()
        return {item_id for item_id, values in db.items.items() if values.get(prop) == value}

    def _response(self, ids: list[str]) -> tuple[int, Any]:
        recomms = [{"id": item_id} for item_id in ids]
        return 200, {"recommId": str(uuid.uuid4()), "recomms": recomms, "numberNextRecommsCalls": 0}

    def _recommend_to_user(self, db: FakeDatabase, user_id: str, params: dict[str, Any]) -> tuple[int, Any]:
        if user_id not in db.users:
            if not params.get("cascadeCreate"):
                return self._error(404, f"user {user_id} not found")
            db.users.add(user_id)
        count = int(params["count"])
        allowed = self._filter(db, params.get("filter"))
        if user_id in db.scripted_recomms:
            return self._response([i for i in db.scripted_recomms[user_id] if i in allowed][:count])
        seen = {item for (_, user, item, _), _ in db.interactions.items() if user == user_id}
        popularity = Counter(item for (_, _, item, _) in db.interactions)
        ranked = sorted(allowed - seen, key=lambda item: (-popularity[item], item))
        return self._response(ranked[:count])

    def _recommend_to_item(self, db: FakeDatabase, item_id: str, params: dict[str, Any]) -> tuple[int, Any]:
        if item_id not in db.items:
            return self._error(404, f"item {item_id} not found")
        target = params.get("targetUserId")
        if target and target not in db.users and params.get("cascadeCreate"):
            db.users.add(target)
        count = int(params["count"])
        allowed = self._filter(db, params.get("filter")) - {item_id}
        if item_id in db.scripted_recomms:
            return self._response([i for i in db.scripted_recomms[item_id] if i in allowed][:count])
        viewers = {user for (_, user, item, _) in db.interactions if item == item_id}
        together = Counter(item for (_, user, item, _) in db.interactions if user in viewers and item != item_id)
        ranked = sorted(allowed, key=lambda item: (-together[item], item))
        return self._response(ranked[:count])


def _epoch(timestamp: Any, *, default: float | None) -> float | None:
    """Recombee takes a timestamp as Unix seconds or ISO 8601 and stores seconds (ms precision)."""
    if timestamp is None:
        return None if default is None else round(default, 3)
    if isinstance(timestamp, (int, float)):
        return round(float(timestamp), 3)
    try:
        return round(float(timestamp), 3)
    except ValueError:
        moment = dt.datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return round(moment.timestamp(), 3)


def _forms(timestamp: Any) -> set[Any]:
    """The ways one instant can be sent (as given, Unix seconds, ISO 8601), for a constant-time 409 check."""
    moment = _epoch(timestamp, default=None)
    if moment is None:
        return {timestamp}
    forms: set[Any] = {timestamp, moment, dt.datetime.fromtimestamp(moment, tz=dt.UTC).isoformat()}
    if moment == int(moment):
        forms.add(int(moment))
    return forms


class FakeRecombeeServer(FakeHttpServer):
    """The fake on a real loopback socket: ``base_uri`` is what RECOMBEE_BASE_URI should be."""

    def __init__(self, fake: FakeRecombee) -> None:
        self.fake = fake
        super().__init__(self._respond, name="fake-recombee", log=False)  # FakeRecombee keeps `calls`
        self.base_uri = self.url
        fake.region(self.host)

    def _respond(self, request: Recorded) -> FakeReply:
        try:
            status, payload = self.fake.handle(
                host=request.header("host"),
                method=request.method,
                raw_path=request.path,
                raw_query=request.query_string,
                body=request.raw_body.decode(),
            )
        except requests.ConnectionError:
            return FakeReply(drop=True)
        return FakeReply(status, payload)


def _seed(db: FakeDatabase, *, items: int = 3, users: int = 2) -> FakeDatabase:
    for n in range(1, items + 1):
        db.items[f"movie_{n}"] = {"media_type": "movie", "title": f"Movie {n}"}
    db.users.update(f"user-{n}" for n in range(1, users + 1))
    return db


def play(fake: FakeRecombee, scenario: str, *, database_id: str, token: str, region: str = "eu-west") -> None:
    """Arrange the remote side of one diagnosis scenario (our local push state is the test's business).

    ``healthy``, ``empty``, ``down``, ``server_error``, ``bad_token``, ``drops_writes``,
    ``wrong_region:<region>`` (the configured region does not know the database, another holds it),
    ``phantom_region:<region>`` (the configured region accepts anything and keeps nothing).
    """
    name, _, other = scenario.partition(":")
    if name == "healthy":
        _seed(fake.database(region=region, database_id=database_id, token=token))
    elif name == "empty":
        fake.database(region=region, database_id=database_id, token=token)
    elif name == "down":
        fake.region(region).down = True
    elif name == "server_error":
        fake.database(region=region, database_id=database_id, token=token).status_override = 503
    elif name == "bad_token":
        _seed(fake.database(region=region, database_id=database_id, token=token + "-rotated"))
    elif name == "drops_writes":
        _seed(fake.database(region=region, database_id=database_id, token=token)).drop_writes = True
    elif name in ("wrong_region", "phantom_region"):
        _seed(fake.database(region=other, database_id=database_id, token=token))
        if name == "phantom_region":
            fake.region(region).unknown_database = "phantom"
    else:
        raise ValueError(f"unknown scenario {scenario!r}")
