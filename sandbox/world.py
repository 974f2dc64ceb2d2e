"""The world the sandbox serves: titles (TMDB) and accounts with their history (Trakt).

A ``World`` is plain data. Builders (``sandbox.data``) make one from the shared MovieLens + TMDB
files or from the fixture the project ships; the servers (``sandbox.tmdb``, ``sandbox.trakt``) load
it. It round-trips through JSON so the servers can run in their own process (``python -m sandbox``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Title:
    """One TMDB title, with the facts the TMDB details endpoint returns (credits and keywords)."""

    media_type: str  # "movie" | "tv"
    tmdb_id: int
    title: str
    year: int | None = None
    genres: tuple[tuple[int, str], ...] = ()  # (TMDB genre id, name)
    keywords: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()  # billing order, at most a handful
    director: str = ""  # movies: the director; shows: the first creator
    overview: str = ""  # written by the builder from the facts above; never copied text
    tagline: str = ""
    original_language: str = "en"
    vote_average: float = 0.0
    vote_count: int = 0
    popularity: float = 0.0
    poster_path: str | None = None


@dataclass(frozen=True)
class TitleEntry:
    """The title an account's history, rating or watchlist entry is about."""

    media_type: str
    tmdb_id: int


@dataclass(frozen=True)
class Watch(TitleEntry):
    watched_at: dt.datetime


@dataclass(frozen=True)
class Rating(TitleEntry):
    rating: int  # Trakt's 1-10
    rated_at: dt.datetime


@dataclass(frozen=True)
class WatchlistEntry(TitleEntry):
    listed_at: dt.datetime


@dataclass(frozen=True)
class Account:
    """A Trakt account (slug = username, lower case) and what it has watched, rated and listed."""

    username: str
    name: str = ""
    vip: bool = False
    history: tuple[Watch, ...] = ()
    ratings: tuple[Rating, ...] = ()
    watchlist: tuple[WatchlistEntry, ...] = ()


@dataclass(frozen=True)
class World:
    titles: tuple[Title, ...] = ()
    accounts: tuple[Account, ...] = ()
    source: str = ""  # where it came from, for banners: "fixture" or the data folder
    meta: dict[str, Any] = field(default_factory=dict)


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value


def world_dump(world: World, path: Path) -> None:
    """Write the world as JSON (atomically: the servers may be reading the previous one)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_encode(asdict(world))), encoding="utf-8")
    tmp.replace(path)


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def world_load(path: Path) -> World:
    data = json.loads(path.read_text(encoding="utf-8"))
    titles = tuple(
        Title(
            **{
                **row,
                "genres": tuple((int(gid), name) for gid, name in row.get("genres", ())),
                "keywords": tuple(row.get("keywords", ())),
                "cast": tuple(row.get("cast", ())),
            }
        )
        for row in data.get("titles", ())
    )
    accounts = tuple(
        Account(
            username=row["username"],
            name=row.get("name", ""),
            vip=bool(row.get("vip", False)),
            history=tuple(Watch(w["media_type"], int(w["tmdb_id"]), _when(w["watched_at"])) for w in row["history"]),
            ratings=tuple(
                Rating(r["media_type"], int(r["tmdb_id"]), int(r["rating"]), _when(r["rated_at"]))
                for r in row["ratings"]
            ),
            watchlist=tuple(
                WatchlistEntry(w["media_type"], int(w["tmdb_id"]), _when(w["listed_at"])) for w in row["watchlist"]
            ),
        )
        for row in data.get("accounts", ())
    )
    return World(titles=titles, accounts=accounts, source=data.get("source", ""), meta=data.get("meta", {}))
