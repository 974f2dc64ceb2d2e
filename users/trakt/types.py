"""Frozen records parsed strictly from Trakt JSON. Nothing outside ``users.trakt`` sees raw JSON.

Reference: https://trakt.docs.apiary.io/ (sections OAuth, Sync, Users > Lists, Users > Settings).
Rows that do not parse (missing ids, bad timestamps) come back as ``None`` from the ``*_parse``
functions; the fetchers skip and count them instead of failing the whole sync.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from catalog.contracts import MediaType, item_id_make

# Trakt's item types → catalog media types. Episodes and seasons belong to their show.
CATALOG_MEDIA_TYPE: dict[str, str] = {
    "movie": MediaType.MOVIE,
    "show": MediaType.TV,
    "episode": MediaType.TV,
    "season": MediaType.TV,
}
# Catalog media type → the key Trakt uses in list bodies ({"movies": [...], "shows": [...]}).
TRAKT_BODY_KEY: dict[str, str] = {MediaType.MOVIE: "movies", MediaType.TV: "shows"}


class TraktParseError(ValueError):
    pass


def parse_time(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise TraktParseError(f"expected an ISO timestamp, got {type(value).__name__}")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise TraktParseError(f"bad timestamp {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _object(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one when the answer left it out or sent another type."""
    return value if isinstance(value, dict) else {}


def _tmdb_id(obj: Any) -> int | None:
    if not isinstance(obj, dict):
        return None
    ids = obj.get("ids")
    if not isinstance(ids, dict):
        return None
    tmdb = ids.get("tmdb")
    return tmdb if isinstance(tmdb, int) and not isinstance(tmdb, bool) and tmdb > 0 else None


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: dt.datetime
    scope: str = ""

    @classmethod
    def parse(cls, data: Any) -> TokenSet:
        try:
            created = int(data["created_at"])
            expires_in = int(data["expires_in"])
            access, refresh = data["access_token"], data["refresh_token"]
        except (KeyError, TypeError, ValueError) as exc:
            raise TraktParseError("token response lacks access_token/refresh_token/expires_in/created_at") from exc
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            raise TraktParseError("token response has empty tokens")
        return cls(
            access_token=access,
            refresh_token=refresh,
            expires_at=dt.datetime.fromtimestamp(created + expires_in, tz=dt.UTC),
            scope=str(data.get("scope") or ""),
        )


@dataclass(frozen=True)
class DeviceCode:
    device_code: str = field(repr=False)
    user_code: str
    verification_url: str
    expires_in: int
    interval: int

    @classmethod
    def parse(cls, data: Any) -> DeviceCode:
        try:
            return cls(
                device_code=str(data["device_code"]),
                user_code=str(data["user_code"]),
                verification_url=str(data["verification_url"]),
                expires_in=int(data["expires_in"]),
                interval=max(1, int(data["interval"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TraktParseError("device code response is incomplete") from exc


@dataclass(frozen=True)
class AccountSettings:
    username: str
    slug: str
    name: str
    vip: bool
    timezone: str
    list_limit: int | None
    list_item_limit: int | None

    @classmethod
    def parse(cls, data: Any) -> AccountSettings:
        try:
            user = data["user"]
            slug = user["ids"]["slug"]
            username = user["username"]
        except (KeyError, TypeError) as exc:
            raise TraktParseError("/users/settings lacks user.username / user.ids.slug") from exc
        if not isinstance(slug, str) or not slug:
            raise TraktParseError("/users/settings has an empty slug")
        account = _object(data.get("account"))
        list_limits = _object(_object(data.get("limits")).get("list"))

        def _int(value: Any) -> int | None:
            return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

        return cls(
            username=str(username),
            slug=slug,
            name=str(user.get("name") or ""),
            vip=bool(user.get("vip") or user.get("vip_ep")),
            timezone=str(account.get("timezone") or "UTC"),
            list_limit=_int(list_limits.get("count")),
            list_item_limit=_int(list_limits.get("item_count")),
        )


@dataclass(frozen=True)
class LastActivities:
    """``/sync/last_activities``: one timestamp per (area, field); the raw strings are the snapshot."""

    raw: dict[str, dict[str, str]]

    @classmethod
    def parse(cls, data: Any) -> LastActivities:
        if not isinstance(data, dict):
            raise TraktParseError("last_activities is not an object")
        raw = {
            area: {name: value for name, value in fields.items() if isinstance(value, str)}
            for area, fields in data.items()
            if isinstance(fields, dict)
        }
        return cls(raw=raw)

    def get(self, area: str, name: str) -> str | None:
        return self.raw.get(area, {}).get(name)

    def newest(self) -> dt.datetime | None:
        times = []
        for fields in self.raw.values():
            for value in fields.values():
                try:
                    times.append(parse_time(value))
                except TraktParseError:
                    continue
        return max(times) if times else None


@dataclass(frozen=True)
class HistoryEntry:
    history_id: int
    watched_at: dt.datetime
    media_type: str  # catalog media type: movie / tv (episodes → their show)
    tmdb_id: int | None

    @classmethod
    def parse(cls, row: Any) -> HistoryEntry | None:
        try:
            kind = row["type"]
            owner = row["movie"] if kind == "movie" else row["show"]
            return cls(
                history_id=int(row["id"]),
                watched_at=parse_time(row["watched_at"]),
                media_type=CATALOG_MEDIA_TYPE[kind],
                tmdb_id=_tmdb_id(owner),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class RatingEntry:
    media_type: str
    tmdb_id: int | None
    rating: int
    rated_at: dt.datetime

    @classmethod
    def parse(cls, row: Any) -> RatingEntry | None:
        try:
            kind = row["type"]
            rating = row["rating"]
            if kind not in ("movie", "show") or not isinstance(rating, int) or not 1 <= rating <= 10:
                return None
            return cls(
                media_type=CATALOG_MEDIA_TYPE[kind],
                tmdb_id=_tmdb_id(row[kind]),
                rating=rating,
                rated_at=parse_time(row["rated_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class WatchlistEntry:
    media_type: str
    tmdb_id: int | None
    listed_at: dt.datetime

    @classmethod
    def parse(cls, row: Any) -> WatchlistEntry | None:
        try:
            kind = row["type"]
            if kind not in ("movie", "show"):
                return None
            return cls(
                media_type=CATALOG_MEDIA_TYPE[kind], tmdb_id=_tmdb_id(row[kind]), listed_at=parse_time(row["listed_at"])
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class TraktList:
    trakt_id: int
    slug: str
    name: str
    description: str
    item_count: int

    @classmethod
    def parse(cls, row: Any) -> TraktList:
        try:
            return cls(
                trakt_id=int(row["ids"]["trakt"]),
                slug=str(row["ids"].get("slug") or ""),
                name=str(row["name"]),
                description=str(row.get("description") or ""),
                item_count=int(row.get("item_count") or 0),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TraktParseError("list object lacks ids.trakt / name") from exc


@dataclass(frozen=True)
class ListItem:
    list_item_id: int  # the id /items/reorder expects
    rank: int
    media_type: str
    tmdb_id: int | None

    @property
    def item_id(self) -> str | None:
        return None if self.tmdb_id is None else item_id_make(media_type=self.media_type, tmdb_id=self.tmdb_id)

    @classmethod
    def parse(cls, row: Any) -> ListItem | None:
        try:
            kind = row["type"]
            if kind not in ("movie", "show"):
                return None  # episodes/people on a list we manage were added by hand: left alone
            return cls(
                list_item_id=int(row["id"]),
                rank=int(row.get("rank") or 0),
                media_type=CATALOG_MEDIA_TYPE[kind],
                tmdb_id=_tmdb_id(row[kind]),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class ItemsChange:
    """Answer of POST …/items and …/items/remove: counts plus the titles Trakt did not know."""

    count: int  # added (or deleted)
    not_found: tuple[str, ...]  # catalog item ids

    @classmethod
    def parse(cls, data: Any, *, counter: str) -> ItemsChange:
        if not isinstance(data, dict):
            raise TraktParseError("list items answer is not an object")
        counts = _object(data.get(counter))
        not_found_block = _object(data.get("not_found"))
        not_found: list[str] = []
        for media_type, body_key in TRAKT_BODY_KEY.items():
            for row in not_found_block.get(body_key) or []:
                tmdb = _tmdb_id(row)
                if tmdb is not None:
                    not_found.append(item_id_make(media_type=media_type, tmdb_id=tmdb))
        total = sum(v for v in counts.values() if isinstance(v, int))
        return cls(count=total, not_found=tuple(not_found))
