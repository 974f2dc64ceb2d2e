"""Feeds fixtures: the ChillLink JSON schemas and a fake world behind every contract function.

These tests patch the selectors and services of the apps below feeds (docs/design/contracts.md)
with in-memory fakes. Feeds imports those modules (``from users import selectors as
users_selectors``) and looks each function up when it calls it, so patching the module attribute
is patching the name feeds uses, and all of feeds runs for real. The fakes answer with the real
contract types (users.contracts, recsys.contracts, catalog's Neighbour, unsaved users.User rows)
and patch without ``create=True``: renaming a contract function or changing a contract dataclass
breaks these tests instead of passing silently.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import jsonschema
import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import ContentItem
from catalog.selectors import Neighbour
from feeds import rows
from recsys.contracts import ScoredItem
from tests.catalog.factories import ContentItemFactory
from users.contracts import ManagedListSpec, ManagedListState
from users.models import User

HERE = Path(__file__).resolve().parent
FEEDS_SCHEMA = json.loads((HERE / "chilllink_feeds.schema.json").read_text())
MANIFEST_SCHEMA = json.loads((HERE / "chilllink_manifest.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(FEEDS_SCHEMA)
jsonschema.Draft202012Validator.check_schema(MANIFEST_SCHEMA)

USER_ID = "6f1c2a5e-8d0b-4b7e-9a43-2f8a1d3c4b5a"
# The ten rows every user is served before anything personal exists, in order.
DEFAULT_FEED_IDS = [
    "popular_movies",
    "popular_shows",
    "more_to_discover_movies",
    "more_to_discover_shows",
    "trending_movies",
    "trending_shows",
    "top_rated_movies",
    "top_rated_shows",
    "hidden_gems_movies",
    "hidden_gems_shows",
]


def assert_feeds_document(document: Any) -> list[dict[str, Any]]:
    """Valid against the ChillLink schema, exactly ten rows, unique ids; returns the rows."""
    jsonschema.validate(document, FEEDS_SCHEMA, cls=jsonschema.Draft202012Validator)
    feeds = document["feeds"]
    assert len(feeds) == 10
    assert len({feed["id"] for feed in feeds}) == 10
    assert [feed["content_type"] for feed in feeds] == ["movies", "shows"] * 5
    return feeds


def assert_manifest(document: Any) -> None:
    jsonschema.validate(document, MANIFEST_SCHEMA, cls=jsonschema.Draft202012Validator)


@dataclass
class FakeWorld:
    """What users/recsys/catalog would answer for one viewer."""

    users: set[str] = field(default_factory=lambda: {USER_ID})
    catalog: dict[str, ContentItem] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    picks: dict[str, list[str]] = field(default_factory=dict)  # media_type → item ids, best first
    similar: dict[str, list[str]] = field(default_factory=dict)  # anchor → co-watched ids
    neighbours: dict[str, list[str]] = field(default_factory=dict)  # item → vector neighbours
    profile: list[str] = field(default_factory=list)  # items_neighbours answer
    last_watched: dict[str, str] = field(default_factory=dict)  # media_type → item id
    top_rated: dict[str | None, list[str]] = field(default_factory=dict)
    ratings: dict[str, int] = field(default_factory=dict)  # item id → the viewer's latest rating
    username: str = "Viewer"
    top_genres: dict[str, list[int]] = field(default_factory=dict)
    list_ids: dict[str, int] = field(
        default_factory=lambda: {
            "recommended_movies": 9001,
            "recommended_shows": 9002,
            "because_watched_movie": 9003,
            "because_watched_show": 9004,
        }
    )
    list_state: str = "ok"
    list_written_at: datetime | None = None  # None → now (fresh)
    lists_error: Exception | None = None
    writer_runs_at_once: bool = True
    writes: list[list[ManagedListSpec]] = field(default_factory=list)  # every request, in order
    written: dict[str, tuple[ManagedListSpec, str]] = field(default_factory=dict)  # key → (last asked, state)
    hits: list[str] = field(default_factory=list)
    ensured: list[tuple[str, int]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add_titles(self, *item_ids: str, genre: int = 18, **fields: Any) -> None:
        for item_id in item_ids:
            media_type, tmdb_id = item_id.split("_")
            self.catalog[item_id] = ContentItemFactory.build(
                item_id=item_id, media_type=media_type, tmdb_id=int(tmdb_id), genre_ids=[genre], **fields
            )

    # --- fakes of the contract functions ---------------------------------------------------------
    def user_get(self, *, user_id: Any) -> User | None:
        return User(id=uuid.UUID(str(user_id)), trakt_username=self.username) if str(user_id) in self.users else None

    def users_connected(self, *, user_ids: Any) -> set[str]:
        return {str(user_id) for user_id in user_ids if str(user_id) in self.users}

    def user_seen_item_ids(self, *, user_id: Any) -> set[str]:
        return set(self.seen)

    def user_last_watched_item_id(self, *, user_id: Any, media_type: str) -> str | None:
        return self.last_watched.get(media_type)

    def user_top_rated_item_ids(self, *, user_id: Any, media_type: str | None = None, limit: int = 5) -> list[str]:
        return self.top_rated.get(media_type, [])[:limit]

    def user_top_genre_ids(self, *, user_id: Any, media_type: str, limit: int = 3) -> list[int]:
        return self.top_genres.get(media_type, [])[:limit]

    def user_rating_get(self, *, user_id: Any, item_id: str) -> int | None:
        return self.ratings.get(item_id)

    def user_lists_request(self, *, user_id: Any, lists: Any) -> dict[str, ManagedListState]:
        """The users app's request. With ``writer_runs_at_once`` the list writer task is taken to have
        finished already (state ``list_state``); otherwise a changed list is pending, as it really is
        until the task runs (``lists_written()`` then plays the task's end)."""
        if self.lists_error is not None:
            raise self.lists_error
        assert all(isinstance(spec, ManagedListSpec) for spec in lists)
        self.writes.append(list(lists))
        for spec in lists:
            if self.writer_runs_at_once:
                self.written[spec.key] = (spec, self.list_state)
            elif self.written.get(spec.key, (None, ""))[0] != spec:
                self.written[spec.key] = (spec, "pending")
        return self.user_managed_lists(user_id=user_id)

    def lists_written(self) -> None:
        """The list writer task finished: every requested list now holds what was asked."""
        for key, (spec, _) in self.written.items():
            self.written[key] = (spec, self.list_state)

    def user_managed_lists(self, *, user_id: Any) -> dict[str, ManagedListState]:
        at = self.list_written_at or timezone.now()
        return {
            key: ManagedListState(
                key=key,
                name=spec.name,
                trakt_list_id=self.list_ids.get(key),
                item_count=len(spec.item_ids),
                last_written_at=at,
                state=state,
                wanted_item_ids=tuple(spec.item_ids),
            )
            for key, (spec, state) in self.written.items()
        }

    def user_feed_hit_record(self, *, user_id: Any) -> None:
        self.hits.append(str(user_id))

    def recommendations_for_user(self, *, user_id: Any, media_type: str, limit: int = 50) -> list[ScoredItem]:
        self.calls.append(("recommendations_for_user", {"media_type": media_type, "limit": limit}))
        ids = self.picks.get(media_type, [])[:limit]
        return [ScoredItem(item_id=i, score=1.0 - n / 100, source="cf") for n, i in enumerate(ids)]

    def item_similar(self, *, item_id: str, count: int, media_type: str | None = None) -> list[ScoredItem]:
        self.calls.append(("item_similar", {"item_id": item_id, "count": count, "media_type": media_type}))
        return [ScoredItem(item_id=i, score=0.9, source="cf") for i in self.similar.get(item_id, [])[:count]]

    def item_neighbours(
        self, *, item_id: str, k: int = 20, media_type: str | None = None, exclude: Any = ()
    ) -> list[Neighbour]:
        self.calls.append(("item_neighbours", {"item_id": item_id, "k": k, "media_type": media_type}))
        found = [i for i in self.neighbours.get(item_id, []) if i not in set(exclude)]
        if media_type:
            found = [i for i in found if i.startswith(f"{media_type}_")]
        return [Neighbour(item_id=i, score=0.8) for i in found[:k]]

    def items_neighbours(
        self, *, item_ids: Any, k: int = 20, media_type: str | None = None, exclude: Any = (), weights: Any = None
    ) -> list[Neighbour]:
        self.calls.append(("items_neighbours", {"item_ids": list(item_ids), "k": k, "media_type": media_type}))
        found = [i for i in self.profile if i not in set(exclude)]
        if media_type:
            found = [i for i in found if i.startswith(f"{media_type}_")]
        return [Neighbour(item_id=i, score=0.7) for i in found[:k]]

    def items_by_ids(self, *, item_ids: Any) -> dict[str, ContentItem]:
        return {i: self.catalog[i] for i in item_ids if i in self.catalog}

    def catalog_items_ensure(self, *, keys: Any) -> None:
        self.ensured.extend(keys)


# The ids of the ten fallback rows: what a viewer we know nothing about is served.
DEFAULT_IDS = [feed["id"] for feed in rows.default_feeds()]


@pytest.fixture
def client() -> Client:
    """Chillio sees only what the server answers: exceptions must not bubble into the test."""
    return Client(raise_request_exception=False)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, settings) -> Iterator[FakeWorld]:
    settings.FEEDS_ROW_SIZE = 10
    fake = FakeWorld()
    targets = {
        "users.selectors.user_get": fake.user_get,
        "users.selectors.users_connected": fake.users_connected,
        "users.selectors.user_seen_item_ids": fake.user_seen_item_ids,
        "users.selectors.user_last_watched_item_id": fake.user_last_watched_item_id,
        "users.selectors.user_top_rated_item_ids": fake.user_top_rated_item_ids,
        "users.selectors.user_top_genre_ids": fake.user_top_genre_ids,
        "users.selectors.user_rating_get": fake.user_rating_get,
        "users.selectors.user_managed_lists": fake.user_managed_lists,
        "users.services.user_lists_request": fake.user_lists_request,
        "users.services.user_feed_hit_record": fake.user_feed_hit_record,
        "recsys.selectors.recommendations_for_user": fake.recommendations_for_user,
        "recsys.services.item_similar": fake.item_similar,
        "catalog.selectors.item_neighbours": fake.item_neighbours,
        "catalog.selectors.items_neighbours": fake.items_neighbours,
        "catalog.selectors.items_by_ids": fake.items_by_ids,
        "catalog.services.catalog_items_ensure": fake.catalog_items_ensure,
    }
    patches = [mock.patch(target, new) for target, new in targets.items()]
    for patch in patches:
        patch.start()
    yield fake
    for patch in patches:
        patch.stop()


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Enqueue and task locks live in the (locmem) cache: start every test without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
