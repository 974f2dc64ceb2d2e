from __future__ import annotations

import sys

import pytest

from recsys.backends.base import RecommenderError
from recsys.backends.recombee import ANONYMOUS_TARGET_USER, RecombeeBackend
from recsys.contracts import ScoredItem
from tests.catalog.factories import ContentItemFactory
from tests.recsys.recombee.factories import InteractionRecordStub

pytestmark = pytest.mark.django_db

USER = "11111111-1111-1111-1111-111111111111"


@pytest.fixture
def viewer(monkeypatch):
    """What the users selectors report for USER: seen titles and explicit dislikes (contracts.md)."""
    seen: set[str] = set()
    records: list[InteractionRecordStub] = []
    monkeypatch.setattr("users.selectors.user_seen_item_ids", lambda *, user_id: set(seen), raising=False)
    monkeypatch.setattr("users.selectors.user_interactions", lambda *, user_id: list(records), raising=False)
    return seen, records


@pytest.fixture
def catalog():
    movies = [ContentItemFactory.create(tmdb_id=n, title=f"Movie {n}") for n in (1, 2, 3, 4, 5)]
    shows = [ContentItemFactory.create(media_type="tv", tmdb_id=n, title=f"Show {n}") for n in (1, 2)]
    return movies, shows


def _remote_catalog(remote, catalog) -> None:
    movies, shows = catalog
    for item in [*movies, *shows]:
        remote.items[item.item_id] = {"media_type": item.media_type, "title": item.title}


# --- available -------------------------------------------------------------------------------


def test_available_when_configured_and_reachable(fake, remote):
    # when
    backend = RecombeeBackend()
    first, second = backend.available, backend.available

    # then: one short ping, then the cached answer
    assert (first, second) == (True, True)
    assert [call.path for call in fake.calls] == ["/items/list/"]
    assert backend.supports_user_sync is True


@pytest.mark.parametrize("missing", ["RECOMBEE_DATABASE_ID", "RECOMBEE_PRIVATE_TOKEN"])
def test_not_available_without_credentials(settings, missing):
    setattr(settings, missing, None)
    assert RecombeeBackend().available is False


def test_not_available_without_the_sdk(monkeypatch):
    monkeypatch.setitem(sys.modules, "recombee_api_client", None)
    monkeypatch.delitem(sys.modules, "recsys.recombee.sdk", raising=False)
    assert RecombeeBackend().available is False


def test_not_available_when_the_client_cannot_be_built(monkeypatch):
    monkeypatch.setenv("RAPI_URI", "proxy.example.com")  # the SDK refuses it together with a region
    assert RecombeeBackend().available is False


def test_not_available_when_unreachable(fake, remote, no_sleep):
    # given
    fake.region("eu-west").down = True

    # then
    assert RecombeeBackend().available is False


def test_a_failing_call_marks_recombee_unavailable(fake, remote, catalog, viewer, no_sleep):
    # given
    backend = RecombeeBackend()
    assert backend.available is True
    remote.status_override = 503

    # when
    with pytest.raises(RecommenderError):
        backend.recommend_for_user(user_id=USER, media_type="movie", count=5)

    # then
    assert backend.available is False


# --- recommendations -------------------------------------------------------------------------


def test_recommend_for_user_filters_on_media_type_and_drops_seen_disliked_and_excluded(fake, remote, catalog, viewer):
    # given
    _remote_catalog(remote, catalog)
    seen, records = viewer
    seen.add("movie_1")
    records.append(InteractionRecordStub("movie_2", "dislike"))
    remote.items["movie_999"] = {"media_type": "movie"}  # in Recombee, not (or no longer) in our catalog
    remote.scripted_recomms[USER] = ["movie_1", "movie_999", "movie_2", "movie_5", "tv_1", "movie_3", "movie_4"]

    # when
    picks = RecombeeBackend().recommend_for_user(user_id=USER, media_type="movie", count=2, exclude={"movie_5"})

    # then
    assert picks == [
        ScoredItem("movie_3", 1.0, "picked for you by viewers with similar taste", "recombee"),
        ScoredItem("movie_4", 0.5, "picked for you by viewers with similar taste", "recombee"),
    ]
    (call,) = fake.calls_to("/recomms/users/")
    assert call.path == f"/recomms/users/{USER}/items/"
    assert call.params["filter"] == "'media_type' == \"movie\""
    assert call.params["count"] == 2 + 3 + 5  # more, to survive the dropped ones: blocked + slack
    assert call.params["cascadeCreate"] is True


def test_recommend_for_user_shows(fake, remote, catalog, viewer, settings):
    # given
    _remote_catalog(remote, catalog)
    settings.RECOMBEE_SCENARIO_USER = "recommended-shows"

    # when
    picks = RecombeeBackend().recommend_for_user(user_id=USER, media_type="tv", count=50)

    # then
    assert [pick.item_id for pick in picks] == ["tv_1", "tv_2"]
    (call,) = fake.calls_to("/recomms/users/")
    assert call.params["filter"] == "'media_type' == \"tv\""
    assert call.params["scenario"] == "recommended-shows"


def test_recommend_for_user_rejects_malformed_answers(catalog, viewer):
    import responses

    # given
    with responses.RequestsMock() as rsps:
        rsps.add(
            "POST",
            f"https://rapi-eu-west.recombee.com/reclio-test/recomms/users/{USER}/items/",
            json={"recomms": [{"identifier": "movie_1"}]},
        )

        # when / then
        with pytest.raises(RecommenderError, match="malformed recommended item"):
            RecombeeBackend().recommend_for_user(user_id=USER, media_type="movie", count=5)


def test_similar_items_uses_recommend_items_to_item(fake, remote, catalog, viewer):
    # given
    _remote_catalog(remote, catalog)
    remote.scripted_recomms["movie_1"] = ["movie_3", "tv_1", "movie_2"]

    # when
    similar = RecombeeBackend().similar_items(item_id="movie_1", count=5, media_type="movie")

    # then
    assert similar == [
        ScoredItem("movie_3", 1.0, "often watched with Movie 1", "recombee"),
        ScoredItem("movie_2", 0.5, "often watched with Movie 1", "recombee"),
    ]
    (call,) = fake.calls_to("/recomms/items/")
    assert call.path == "/recomms/items/movie_1/items/"
    assert call.params["targetUserId"] == ANONYMOUS_TARGET_USER
    assert call.params["filter"] == "'media_type' == \"movie\""


def test_similar_items_for_a_viewer_drops_what_they_saw(fake, remote, catalog, viewer):
    # given
    _remote_catalog(remote, catalog)
    seen, _ = viewer
    seen.add("movie_3")
    remote.scripted_recomms["movie_1"] = ["movie_3", "movie_2", "tv_1"]

    # when
    similar = RecombeeBackend().similar_items(item_id="movie_1", count=5, user_id=USER)

    # then
    assert [item.item_id for item in similar] == ["movie_2", "tv_1"]
    (call,) = fake.calls_to("/recomms/items/")
    assert call.params["targetUserId"] == USER
    assert "filter" not in call.params


def test_similar_items_learned_from_co_watching(fake, remote, catalog, viewer):
    # given: two viewers watched movie_1 with movie_4, one with movie_2
    _remote_catalog(remote, catalog)
    for user, item in [
        ("u1", "movie_1"),
        ("u1", "movie_4"),
        ("u2", "movie_1"),
        ("u2", "movie_4"),
        ("u2", "movie_2"),
        ("u3", "movie_5"),
    ]:
        remote.interactions[("detailviews", user, item, "2026-01-01T00:00:00")] = None
        remote.users.add(user)

    # when
    similar = RecombeeBackend().similar_items(item_id="movie_1", count=2, media_type="movie")

    # then
    assert [item.item_id for item in similar] == ["movie_4", "movie_2"]


# --- pushes through the backend --------------------------------------------------------------


def test_push_catalog_returns_confirmed_count(fake, remote, catalog):
    movies, _ = catalog
    assert RecombeeBackend().push_catalog(item_ids=[movies[0].item_id, movies[1].item_id]) == 2
    assert sorted(remote.items) == [movies[0].item_id, movies[1].item_id]


def test_push_catalog_failure_raises_a_transient_error(fake, remote, catalog, no_sleep):
    # given
    movies, _ = catalog
    remote.fail_batch_calls = {2, 3, 4}  # schema passes; the item batch and its retries fail

    # when
    with pytest.raises(RecommenderError) as excinfo:
        RecombeeBackend().push_catalog(item_ids=[movies[0].item_id])

    # then
    assert excinfo.value.permanent is False
    assert "catalog push failed" in str(excinfo.value)


def test_push_interactions_sends_new_rows(fake, remote, monkeypatch):
    import datetime as dt
    import uuid

    from tests.recsys.recombee.factories import InteractionRowStub

    # given
    row = InteractionRowStub(1, uuid.UUID(USER), "movie_1", "rating", 8, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    monkeypatch.setattr(
        "users.selectors.interactions_since",
        lambda *, after_id, limit: [row] if after_id < 1 else [],
        raising=False,
    )

    # when
    pushed = RecombeeBackend().push_interactions()

    # then
    assert (pushed.accepted, pushed.user_ids) == (1, (USER,))
    ((user, item, timestamp, rating),) = remote.interactions_of("ratings")
    assert (user, item, timestamp, round(rating, 4)) == (USER, "movie_1", "2026-01-01T00:00:00+00:00", 0.5556)
