"""The fake Recombee's deletes and per-user listings behave as the API documents them
(https://docs.recombee.com/api#delete-rating, #delete-bookmark, #delete-item, #list-user-ratings)."""

from __future__ import annotations

import datetime as dt

import pytest

from recsys.recombee.client import RecombeeCallError, recombee_api_build
from recsys.recombee.payloads import StoredInteraction, stored_interactions_parse

AT = dt.datetime(2026, 11, 1, 20, 0, tzinfo=dt.UTC)
LATER = AT + dt.timedelta(days=1)


@pytest.fixture
def api(fake, remote):
    api = recombee_api_build()
    r = api.requests
    for item in ("movie_1", "movie_2"):
        api.send(r.AddRating("u1", item, 0.5, timestamp=AT, cascade_create=True))
    api.send(r.AddRating("u1", "movie_1", -0.5, timestamp=LATER, cascade_create=True))
    api.send(r.AddBookmark("u1", "movie_2", timestamp=AT, cascade_create=True))
    return api


def test_listings_report_unix_timestamps_and_ratings(api):
    ratings = stored_interactions_parse(api.send(api.requests.ListUserRatings("u1")), what="ratings")
    bookmarks = stored_interactions_parse(api.send(api.requests.ListUserBookmarks("u1")), what="bookmarks")

    assert ratings == (
        StoredInteraction("movie_1", AT.timestamp(), 0.5),
        StoredInteraction("movie_2", AT.timestamp(), 0.5),
        StoredInteraction("movie_1", LATER.timestamp(), -0.5),
    )
    assert bookmarks == (StoredInteraction("movie_2", AT.timestamp()),)


def test_an_unknown_user_listing_answers_404(api):
    with pytest.raises(RecombeeCallError) as excinfo:
        api.send(api.requests.ListUserRatings("nobody"))
    assert excinfo.value.status == 404


def test_a_delete_with_a_timestamp_removes_that_one_and_repeating_it_answers_404(api, remote):
    api.send(api.requests.DeleteRating("u1", "movie_1", timestamp=AT.timestamp()))

    assert sorted((item, value) for _, item, _, value in remote.interactions_of("ratings")) == [
        ("movie_1", -0.5),
        ("movie_2", 0.5),
    ]
    with pytest.raises(RecombeeCallError) as excinfo:
        api.send(api.requests.DeleteRating("u1", "movie_1", timestamp=AT.timestamp()))
    assert excinfo.value.status == 404


def test_a_delete_without_a_timestamp_removes_every_one_of_the_pair(api, remote):
    api.send(api.requests.DeleteRating("u1", "movie_1"))
    api.send(api.requests.DeleteBookmark("u1", "movie_2"))

    assert [item for _, item, _, _ in remote.interactions_of("ratings")] == ["movie_2"]
    assert remote.interactions_of("bookmarks") == []


def test_the_same_instant_in_another_form_is_a_repeat(api):
    with pytest.raises(RecombeeCallError) as excinfo:
        api.send(api.requests.AddRating("u1", "movie_2", 0.5, timestamp=AT.timestamp(), cascade_create=True))
    assert excinfo.value.status == 409


def test_deleting_an_item_deletes_its_interactions(api, remote):
    api.send(api.requests.DeleteItem("movie_2"))

    assert "movie_2" not in remote.items
    assert {item for (_, _, item, _) in remote.interactions} == {"movie_1"}
    with pytest.raises(RecombeeCallError) as excinfo:
        api.send(api.requests.DeleteItem("movie_2"))
    assert excinfo.value.status == 404


@pytest.mark.parametrize(
    "payload",
    [{"itemId": "x"}, [{"itemId": "x"}], [{"itemId": 1, "timestamp": 1.0}], [{"itemId": "x", "timestamp": True}]],
)
def test_malformed_listings_are_refused(payload):
    with pytest.raises(RecombeeCallError):
        stored_interactions_parse(payload, what="ratings")
