"""Fixtures for the users app: the loopback fake Trakt, a connected viewer, recorded task sends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from sandbox.trakt import FakeTrakt
from tests.users.factories import UserFactory


@pytest.fixture(autouse=True)
def _clean_cache_and_no_sleep(no_sleep) -> Iterator[list[float]]:
    # Locks, write slots and hit counters live in the (locmem) cache; waits are recorded, not slept.
    cache.clear()
    yield no_sleep
    cache.clear()


@pytest.fixture
def waits(no_sleep) -> list[float]:
    return no_sleep


@pytest.fixture
def fake_trakt(settings) -> Iterator[FakeTrakt]:
    with FakeTrakt() as fake:
        settings.TRAKT_API_URL = fake.url
        fake.redirect_uri = settings.TRAKT_REDIRECT_URI
        yield fake


@pytest.fixture
def trakt_account(fake_trakt):
    return fake_trakt.add_account("sean", name="Sean")


@pytest.fixture
def trakt_user(db, fake_trakt, trakt_account):
    """A connected viewer whose tokens the fake Trakt accepts."""
    access, refresh = fake_trakt.issue_tokens(trakt_account.slug)
    return UserFactory.create(trakt_username="sean", trakt_slug="sean", access_token=access, refresh_token=refresh)


class CatalogEnsureStub:
    """Stands in for ``catalog.services.catalog_items_ensure`` (written by the catalog app)."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, int]]] = []
        self.unavailable: set[tuple[str, int]] = set()  # TMDB cannot fetch these (yet)
        self.raises: Exception | None = None

    def __call__(self, *, keys):
        from tests.catalog.factories import ContentItemFactory

        self.calls.append(list(keys))
        if self.raises is not None:
            raise self.raises
        for media_type, tmdb_id in keys:
            if (media_type, tmdb_id) not in self.unavailable:
                ContentItemFactory.create(media_type=media_type, tmdb_id=tmdb_id)
        return None


@pytest.fixture
def catalog_ensure(monkeypatch) -> CatalogEnsureStub:
    stub = CatalogEnsureStub()
    monkeypatch.setattr("users.services.sync.catalog_items_ensure", stub)
    return stub
