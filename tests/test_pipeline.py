"""The whole pipeline in one process: catalog → vectors → Trakt sync → engine → rows → lists → /feeds.

Nothing is called by hand that a worker would run: Celery is eager, and ``send_task`` by name (how
a lower app notifies a higher one, docs/design/contracts.md) is routed to the registered task, which
runs synchronously once the sender's transaction commits. The test therefore proves the wiring —
task names, kwargs and queues — as well as each app's behaviour:

    connect (OAuth, fake Trakt) ─on_commit→ users.user_sync ─send_task→ recsys.user_interactions_changed
      → (no model yet) recsys.engine_train → recsys.users_recommendations_refresh
      ─send_task→ feeds.user_rows_refresh → users list writer (fake Trakt) → GET /feeds

Only loopback sockets are used (the fake Trakt server on 127.0.0.1); no TMDB, no embedding vendor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

import jsonschema
import numpy as np
import pytest
from celery import current_app
from django.core.cache import cache
from django.utils import timezone

from catalog.embedding import registry as embedding_registry
from catalog.embedding.providers.base import EmbeddingBatch, EmbeddingProvider
from catalog.models import ContentItem
from catalog.services.imports import catalog_tmdb_jsonl_import
from feeds.models import PreparedFeeds
from reclio.celery import app as celery_app
from reclio.health import ProbeResult
from recsys.models import Recommendation
from recsys.registry import recommender_backend_reset
from sandbox.trakt import FakeTrakt
from tests.feeds.conftest import FEEDS_SCHEMA
from tests.users.factories import InteractionFactory, UserFactory
from users.models import ConnectionState, Interaction, InteractionKind, ManagedList, PendingInteraction
from users.services import trakt_authorize_complete, user_sync_run

pytestmark = pytest.mark.django_db(transaction=True)

# --- a small TMDB-shaped catalog: three taste clusters per media type ----------------------------
MOVIE_CLUSTERS = {
    "space": ([(878, "Science Fiction"), (12, "Adventure")], ["space", "astronaut", "alien planet", "spaceship"]),
    "heist": ([(80, "Crime"), (53, "Thriller")], ["heist", "bank robbery", "detective", "police"]),
    "romcom": ([(35, "Comedy"), (10749, "Romance")], ["wedding", "love", "new york", "friendship"]),
}
SHOW_CLUSTERS = {
    "fantasy": ([(10765, "Sci-Fi & Fantasy"), (18, "Drama")], ["dragons", "magic", "kingdom", "prophecy"]),
    "crime": ([(80, "Crime"), (18, "Drama")], ["detective", "murder", "police", "investigation"]),
    "sitcom": ([(35, "Comedy")], ["office", "family", "sitcom", "workplace"]),
}
PER_CLUSTER = 10
# A Netflix-only show (the dataset importer gives these negative TMDB ids, docs/design/catalog.md):
# it sits in the fantasy cluster, so vectors and co-watch will find it, and it must never reach Trakt.
NETFLIX_ONLY_TMDB = -7


def movie_id(cluster: int, n: int) -> int:
    return 1000 * (cluster + 1) + n


def show_id(cluster: int, n: int) -> int:
    return 1000 * (cluster + 4) + n


def _movie_record(tmdb_id: int, cluster: str, n: int) -> dict[str, Any]:
    genres, keywords = MOVIE_CLUSTERS[cluster]
    return {
        "id": tmdb_id,
        "title": f"{cluster.title()} Movie {n}",
        "original_title": f"{cluster.title()} Movie {n}",
        "original_language": "en",
        "tagline": f"A {cluster} story",
        "overview": f"A film about {keywords[n % 4]} and {keywords[(n + 1) % 4]}.",
        "genres": [{"id": gid, "name": name} for gid, name in genres],
        "keywords": {"keywords": [{"id": 90000 + i, "name": k} for i, k in enumerate(keywords)]},
        "release_date": f"{2000 + n}-05-01",
        "vote_average": 6.0 + n / 10,
        "vote_count": 500 + 100 * n,
        "popularity": 10.0 + n,
        "credits": {
            "cast": [{"name": f"Actor {cluster} {n}", "order": 0}],
            "crew": [{"name": "A Director", "job": "Director"}],
        },
        "poster_path": f"/m{tmdb_id}.jpg",
        "adult": False,
    }


def _show_record(tmdb_id: int, cluster: str, n: int, *, name: str | None = None) -> dict[str, Any]:
    genres, keywords = SHOW_CLUSTERS[cluster]
    return {
        "id": tmdb_id,
        "name": name or f"{cluster.title()} Show {n}",
        "original_name": name or f"{cluster.title()} Show {n}",
        "original_language": "en",
        "tagline": "",
        "overview": f"A series about {keywords[n % 4]} and {keywords[(n + 1) % 4]}.",
        "genres": [{"id": gid, "name": gname} for gid, gname in genres],
        "keywords": {"results": [{"id": 91000 + i, "name": k} for i, k in enumerate(keywords)]},
        "first_air_date": f"{2005 + n}-09-01",
        "vote_average": 7.0 + n / 20,
        "vote_count": 300 + 50 * n,
        "popularity": 20.0 + n,
        "credits": {"cast": [{"name": f"Actor {cluster} {n}", "order": 0}]},
        "created_by": [{"name": "A Showrunner"}],
        "poster_path": f"/s{tmdb_id}.jpg",
        "adult": False,
    }


def catalog_records() -> Iterator[dict[str, Any]]:
    for c, cluster in enumerate(MOVIE_CLUSTERS):
        for n in range(1, PER_CLUSTER + 1):
            yield _movie_record(movie_id(c, n), cluster, n)
    for c, cluster in enumerate(SHOW_CLUSTERS):
        for n in range(1, PER_CLUSTER + 1):
            yield _show_record(show_id(c, n), cluster, n)
    yield _show_record(NETFLIX_ONLY_TMDB, "fantasy", 3, name="Netflix Only Fantasy")


# --- a deterministic embedding provider whose vectors reflect the text ----------------------------
class HashedWordsProvider(EmbeddingProvider):
    """Bag of hashed words: titles that share genres and keywords get close vectors. No network."""

    name = "hashed-words"

    def __init__(self, dim: int = 64) -> None:
        self._dim = dim
        self.texts = 0

    @property
    def model(self) -> str:
        return f"hashed-words:test@{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> EmbeddingBatch:
        self.texts += len(texts)
        vectors = []
        for text in texts:
            vector = np.full(self._dim, 1e-3)
            for word in re.findall(r"[a-z]+", text.lower()):
                vector[int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % self._dim] += 1.0
            vectors.append(vector.tolist())
        return self._batch(vectors, expected=len(texts))

    def probe(self) -> ProbeResult:
        return ProbeResult("embeddings", True, "hashed-words test provider", facts={"provider": self.name})


# --- wiring: send_task by name → the registered task, after the sender's commit --------------------
class TaskRouter:
    """Stands in for the broker: ``send_task(name, kwargs=, queue=)`` runs ``app.tasks[name]`` now.

    It also checks the sender picked the queue the task itself declares (a mismatch would strand
    messages on a queue no worker of that task consumes).
    """

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], str | None]] = []

    def send_task(self, name: str, args: Any = None, kwargs: dict[str, Any] | None = None, **options: Any) -> Any:
        task = celery_app.tasks[name]  # KeyError: nobody registered this name
        queue = options.get("queue")
        assert queue == task.queue, f"{name} sent to queue {queue!r}, but the task is declared on {task.queue!r}"  # type: ignore[attr-defined]  # celery-stubs omit Task.queue
        self.sent.append((name, dict(kwargs or {}), queue))
        return task.apply(args=args or (), kwargs=kwargs or {}, throw=True)

    def names(self) -> list[str]:
        return [name for name, _, _ in self.sent]


@pytest.fixture
def router(monkeypatch) -> TaskRouter:
    assert current_app._get_current_object() is celery_app  # type: ignore[attr-defined]  # stubs: a Proxy, not Celery  # users/catalog send through current_app
    # What a worker does at start: import every app's tasks module (autodiscovery), so the
    # registry holds exactly the names a worker would know.
    celery_app.loader.import_default_modules()
    router = TaskRouter()
    monkeypatch.setattr(celery_app, "send_task", router.send_task)
    return router


@pytest.fixture
def world(settings, monkeypatch, no_sleep, tmp_path):
    settings.FEEDS_ROW_SIZE = 10
    settings.RECSYS_MODEL_DIR = tmp_path / "recsys"
    cache.clear()
    recommender_backend_reset()
    provider = HashedWordsProvider()
    monkeypatch.setattr(embedding_registry, "get_embedding_provider", lambda: provider)
    with FakeTrakt() as fake:
        settings.TRAKT_API_URL = fake.url
        fake.redirect_uri = settings.TRAKT_REDIRECT_URI
        yield {"trakt": fake, "provider": provider, "tmp": tmp_path}
    recommender_backend_reset()
    cache.clear()


def _iso(hours_ago: float) -> str:
    return (timezone.now() - dt.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _background_viewers() -> None:
    """Other Reclio users (not connected to Trakt any more) whose history gives co-watch signal."""
    at = timezone.now() - dt.timedelta(days=30)
    tastes = [
        [f"movie_{movie_id(0, n)}" for n in range(1, 9)] + [f"tv_{show_id(0, n)}" for n in range(1, 8)] + ["tv_-7"],
        [f"movie_{movie_id(0, n)}" for n in range(2, 11)] + [f"tv_{show_id(0, n)}" for n in range(2, 10)],
        [f"movie_{movie_id(0, n)}" for n in (1, 4, 5, 6, 9)] + [f"tv_{show_id(0, n)}" for n in (1, 2, 5, 6)],
        [f"movie_{movie_id(1, n)}" for n in range(1, 9)] + [f"tv_{show_id(1, n)}" for n in range(1, 8)],
        [f"movie_{movie_id(2, n)}" for n in range(1, 9)] + [f"tv_{show_id(2, n)}" for n in range(1, 8)],
        [f"movie_{movie_id(1, n)}" for n in range(3, 10)] + [f"movie_{movie_id(0, n)}" for n in (4, 6)],
    ]
    items = ContentItem.objects.in_bulk(field_name="item_id")
    for taste in tastes:
        user = UserFactory(connection_state=ConnectionState.DISCONNECTED)
        for offset, item_id in enumerate(taste):
            InteractionFactory(
                user=user, item=items[item_id], kind=InteractionKind.VIEW, occurred_at=at + dt.timedelta(hours=offset)
            )


def _viewer_history(account) -> dict[str, Any]:
    """Sean on Trakt: four space movies (Space Movie 4 last), a heist flop, and a fantasy show."""
    space = [movie_id(0, n) for n in (1, 2, 3, 4)]
    for hours_ago, tmdb in zip((96, 72, 48, 2), space, strict=True):
        account.watch_movie(tmdb, _iso(hours_ago))
    account.watch_movie(movie_id(1, 1), _iso(60))
    account.rate("movie", movie_id(0, 1), 10, _iso(95))
    account.rate("movie", movie_id(0, 2), 9, _iso(71))
    account.rate("movie", movie_id(1, 1), 3, _iso(59))
    account.watch_episode(show_id(0, 1), _iso(30), season=1, number=1)
    account.watch_episode(show_id(0, 1), _iso(29), season=1, number=2)
    account.watch_episode(show_id(0, 2), _iso(5), season=1, number=1)
    account.rate("show", show_id(0, 1), 9, _iso(28))
    watched = {f"movie_{t}" for t in (*space, movie_id(1, 1))} | {f"tv_{show_id(0, 1)}", f"tv_{show_id(0, 2)}"}
    return {"watched": watched, "last_movie": space[-1], "last_show": show_id(0, 2)}


def test_catalog_to_feeds_end_to_end(world, router, api_client, tmp_path):
    fake: FakeTrakt = world["trakt"]

    # given a catalog built through the catalog's own import path (TMDB details JSON lines) …
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in catalog_records()) + "\n")
    summary = catalog_tmdb_jsonl_import(path=path)
    assert (summary.read, summary.created, summary.skipped) == (61, 61, 0)
    # … embedded by the catalog's embedding task on commit (the vector-less rows were queued) …
    assert world["provider"].texts == 61
    assert ContentItem.objects.filter(embedding_dim=64, embedding_model="hashed-words:test@64").count() == 61
    assert ContentItem.objects.get(tmdb_id=NETFLIX_ONLY_TMDB).item_id == "tv_-7"
    # … and announced to recsys by name (the local engine keeps no copy: nothing to push)
    assert router.names() == ["recsys.catalog_changed"]
    _background_viewers()

    # when a viewer connects through Trakt OAuth: the connect queues the sync, the sync notifies
    # recsys, which trains (no model yet) and rescores, which asks feeds to rebuild the rows
    account = fake.add_account("sean", name="Sean")
    history = _viewer_history(account)
    viewer = trakt_authorize_complete(code=fake.authorize("sean"))

    # then the sync stored the history and every hop ran, in order, on its own queue
    viewer.refresh_from_db()
    assert viewer.connection_state == ConnectionState.CONNECTED
    assert viewer.last_history_sync is not None
    views = Interaction.objects.filter(user=viewer, kind=InteractionKind.VIEW)
    assert set(views.values_list("item_id", flat=True)) == history["watched"]
    assert Interaction.objects.filter(user=viewer, kind=InteractionKind.RATING).count() == 4
    assert not PendingInteraction.objects.filter(user=viewer).exists()  # every title was in the catalog
    names = router.names()
    assert names[:2] == ["recsys.catalog_changed", "recsys.user_interactions_changed"]
    assert names.count("feeds.user_rows_refresh") == 7  # the viewer and the six background users
    assert ("feeds.user_rows_refresh", {"user_id": str(viewer.pk), "last_watched": None}, "feeds") in router.sent
    picks = set(Recommendation.objects.filter(user_id=viewer.pk).values_list("item_id", flat=True))
    assert picks and not picks & history["watched"]
    assert "tv_-7" in picks  # the engine recommends the Netflix-only show; it must not reach Trakt below

    # and the list writer materialised four rows into the viewer's Trakt lists
    lists = {lst["name"]: list_id for list_id, lst in account.lists.items()}
    assert len(lists) == 4
    for list_id in account.lists:
        titles = account.list_tmdb(list_id)
        assert len(titles) >= 5
        ids = {f"{'tv' if kind == 'show' else kind}_{tmdb}" for kind, tmdb in titles}
        assert not ids & history["watched"], f"list {list_id} holds a watched title"
        assert all(tmdb > 0 for _, tmdb in titles), f"list {list_id} holds a Netflix-only id"

    # when Chillio asks for the rows
    response = api_client.get("/feeds", {"user_id": str(viewer.pk)})

    # then ten valid ChillLink rows; Recommended For You are the fake's Trakt lists …
    assert response.status_code == 200
    document = response.json()
    jsonschema.validate(document, FEEDS_SCHEMA, cls=jsonschema.Draft202012Validator)
    feeds = {feed["id"]: feed for feed in document["feeds"]}
    assert len(document["feeds"]) == 10
    managed = {row.key: row.trakt_list_id for row in ManagedList.objects.filter(user=viewer)}
    for key, name in (
        ("recommended_movies", "Reclio • Recommended Movies"),
        ("recommended_shows", "Reclio • Recommended Shows"),
    ):
        assert feeds[key]["source"] == "trakt_list"
        assert feeds[key]["source_metadata"] == {"id": lists[name]} == {"id": managed[key]}
    # … and Because You Watched is anchored on the last watched movie and show (feed id = TMDB id)
    movie_row = feeds[f"because_watched_movie_tmdb_{history['last_movie']}"]
    show_row = feeds[f"because_watched_show_tmdb_{history['last_show']}"]
    assert movie_row["title"] == "Because You Watched Space Movie 4"
    assert show_row["title"] == "Because You Watched Fantasy Show 2"
    assert (movie_row["source"], show_row["source"]) == ("trakt_list", "trakt_list")
    assert movie_row["source_metadata"]["id"] == managed["because_watched_movie"]
    assert show_row["source_metadata"]["id"] == managed["because_watched_show"]
    prepared = PreparedFeeds.objects.get(user_id=viewer.pk)
    assert prepared.problems == {}
    assert not any("/-" in f["source_metadata"].get("path", "") for f in document["feeds"])

    # when the rows are rebuilt with nothing changed (a second sync finds nothing new; feeds refreshes)
    fake.reset_log()
    second = user_sync_run(user_id=viewer.pk)
    refresh = celery_app.tasks["feeds.user_rows_refresh"]
    refresh.apply(kwargs={"user_id": str(viewer.pk), "last_watched": None}, throw=True)

    # then not a single Trakt write, and the document is unchanged
    assert second.changed is False
    assert fake.writes() == []
    assert api_client.get("/feeds", {"user_id": str(viewer.pk)}).json() == document

    # when Chillio reports a different last watched movie: that request still gets the current
    # rows, and feeds queues a refresh anchored on the hint (run here as soon as the request commits)
    heist = movie_id(1, 2)
    hinted = api_client.get("/feeds", {"user_id": str(viewer.pk), "last_watched": f"movie:{heist}"})
    assert hinted.json() == document
    assert router.names().count("feeds.user_rows_refresh") == 8  # the same send by name as recsys's

    # then the Because You Watched movie row follows the hint, in the same (renamed) Trakt list
    after = {f["id"]: f for f in api_client.get("/feeds", {"user_id": str(viewer.pk)}).json()["feeds"]}
    row = after[f"because_watched_movie_tmdb_{heist}"]
    assert (row["title"], row["source"]) == ("Because You Watched Heist Movie 2", "trakt_list")
    assert row["source_metadata"] == movie_row["source_metadata"]
    assert account.lists[row["source_metadata"]["id"]]["name"] == "Reclio • Because You Watched Heist Movie 2"
    assert f"because_watched_movie_tmdb_{history['last_movie']}" not in after
