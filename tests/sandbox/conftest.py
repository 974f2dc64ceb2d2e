"""A small world, and both stand-ins serving it on 127.0.0.1 with the sandbox credentials."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from sandbox import SANDBOX_TMDB_API_KEY, SANDBOX_TRAKT_CLIENT_ID, SANDBOX_TRAKT_CLIENT_SECRET
from sandbox.__main__ import servers_build
from sandbox.tmdb import FakeTmdbServer
from sandbox.trakt import FakeTrakt
from sandbox.world import Account, Rating, Title, Watch, WatchlistEntry, World

T0 = dt.datetime(2026, 1, 2, 20, 0, tzinfo=dt.UTC)


def small_world() -> World:
    titles = (
        Title(
            "movie",
            603,
            "The Matrix",
            1999,
            ((28, "Action"), (878, "Science Fiction")),
            ("simulation", "hacker"),
            ("Keanu Reeves", "Carrie-Anne Moss"),
            "Lana Wachowski",
            "A hacker learns the truth.",
            vote_average=8.2,
            vote_count=25000,
            popularity=80.0,
            poster_path="/m603.jpg",
        ),
        Title(
            "movie",
            604,
            "The Matrix Reloaded",
            2003,
            ((28, "Action"), (878, "Science Fiction")),
            ("simulation",),
            ("Keanu Reeves",),
            "Lana Wachowski",
            vote_average=7.0,
            vote_count=10000,
            popularity=40.0,
        ),
        Title(
            "movie",
            13,
            "Forrest Gump",
            1994,
            ((18, "Drama"),),
            ("running",),
            ("Tom Hanks",),
            "Robert Zemeckis",
            vote_average=8.5,
            vote_count=26000,
            popularity=60.0,
        ),
        Title(
            "tv",
            1399,
            "Game of Thrones",
            2011,
            ((18, "Drama"), (10765, "Sci-Fi & Fantasy")),
            ("dragon",),
            ("Emilia Clarke",),
            "David Benioff",
            vote_average=8.4,
            vote_count=22000,
            popularity=90.0,
        ),
    )
    sean = Account(
        "sean",
        name="Sean",
        history=(Watch("movie", 603, T0), Watch("tv", 1399, T0 + dt.timedelta(days=1))),
        ratings=(Rating("movie", 603, 9, T0),),
        watchlist=(WatchlistEntry("movie", 13, T0),),
    )
    return World(titles=titles, accounts=(sean, Account("ana", name="Ana", vip=True)), source="test")


@pytest.fixture
def world() -> World:
    return small_world()


@pytest.fixture
def sandbox(world, settings) -> Iterator[tuple[FakeTmdbServer, FakeTrakt]]:
    """Both servers, and Reclio's settings pointed at them (the only way the real clients reach them)."""
    tmdb, trakt = servers_build(world=world)
    with tmdb, trakt:
        settings.TMDB_BASE_URL = tmdb.base_url
        settings.TMDB_API_KEY = SANDBOX_TMDB_API_KEY
        settings.TMDB_READ_ACCESS_TOKEN = ""
        settings.TMDB_MAX_REQUESTS_PER_SECOND = 0
        settings.TRAKT_API_URL = trakt.url
        settings.TRAKT_AUTHORIZE_URL = f"{trakt.url}/oauth/authorize"
        settings.TRAKT_CLIENT_ID = SANDBOX_TRAKT_CLIENT_ID
        settings.TRAKT_CLIENT_SECRET = SANDBOX_TRAKT_CLIENT_SECRET
        trakt.redirect_uri = settings.TRAKT_REDIRECT_URI
        cache.clear()  # write slots live in the cache
        yield tmdb, trakt
        cache.clear()
