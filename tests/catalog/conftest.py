"""Catalog fixtures: a fake TMDB behind `responses`, and recorders for the follow-up seams."""

from __future__ import annotations

import pytest
import responses

from sandbox.tmdb import FakeTmdb, movie_details, tv_details


@pytest.fixture(autouse=True)
def embed_calls(monkeypatch):
    """Record the hand-off to the embedding step instead of queueing (tests/catalog/embedding overrides this)."""
    calls: list[list[str]] = []

    def item_embeddings_enqueue(*, item_ids):
        calls.append(sorted(item_ids))
        return len(item_ids)

    monkeypatch.setattr("catalog.embedding.services.item_embeddings_enqueue", item_embeddings_enqueue)
    return calls


@pytest.fixture(autouse=True)
def _no_broker(sent_tasks):
    """Catalog tests record what is sent to higher apps (recsys.catalog_changed) instead of publishing it."""
    return sent_tasks


@pytest.fixture
def catalog_settings(settings):
    settings.TMDB_MAX_REQUESTS_PER_SECOND = 0  # the fake does not rate-limit; waits are tested apart
    settings.CATALOG_SYNC_CONCURRENCY = 4
    settings.CATALOG_SYNC_LIST_PAGES = 2
    settings.CATALOG_SYNC_DISCOVER_PAGES = 1
    return settings


@pytest.fixture
def tmdb(catalog_settings, no_sleep):
    """A FakeTmdb with three movies and two shows, answering through `responses` at TMDB_BASE_URL."""
    fake = FakeTmdb(api_key=catalog_settings.TMDB_API_KEY)
    fake.add_many(
        [
            ("movie", movie_details(603, "The Matrix", popularity=80.0, vote_average=8.2, release_date="1999-03-30")),
            ("movie", movie_details(550, "Fight Club", popularity=60.0)),
            ("movie", movie_details(13, "Forrest Gump", popularity=40.0)),
            ("tv", tv_details(1399, "Game of Thrones", popularity=90.0)),
            ("tv", tv_details(1396, "Breaking Bad", popularity=70.0)),
        ]
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.mount_responses(rsps, catalog_settings.TMDB_BASE_URL)
        fake.rsps = rsps  # type: ignore[attr-defined]
        yield fake
