from __future__ import annotations

import datetime as dt

import pytest

from tests.catalog.factories import ContentItemFactory
from tests.users.factories import InteractionFactory, UserFactory
from users.contracts import ConnectionState, InteractionKind, InteractionRecord
from users.selectors import (
    user_get,
    user_interactions,
    user_last_watched_item_id,
    user_managed_lists,
    user_seen_item_ids,
    user_top_genre_ids,
    user_top_rated_item_ids,
    users_connected,
)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _at(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


@pytest.fixture
def history():
    user = UserFactory.create()
    heat = ContentItemFactory.create(tmdb_id=949, genre_ids=[28, 80])
    alien = ContentItemFactory.create(tmdb_id=348, genre_ids=[27, 878])
    dune = ContentItemFactory.create(tmdb_id=438631, genre_ids=[878, 12])
    wire = ContentItemFactory.create(media_type="tv", tmdb_id=1438, genre_ids=[80, 18])
    wish = ContentItemFactory.create(tmdb_id=1, genre_ids=[35])
    InteractionFactory.create(user=user, item=heat, kind=InteractionKind.VIEW, occurred_at=_at(1))
    InteractionFactory.create(user=user, item=heat, kind=InteractionKind.VIEW, occurred_at=_at(5))
    InteractionFactory.create(user=user, item=alien, kind=InteractionKind.VIEW, occurred_at=_at(3))
    InteractionFactory.create(user=user, item=wire, kind=InteractionKind.VIEW, occurred_at=_at(4))
    InteractionFactory.create(user=user, item=heat, kind=InteractionKind.RATING, value=9, occurred_at=_at(2))
    InteractionFactory.create(user=user, item=dune, kind=InteractionKind.RATING, value=9, occurred_at=_at(6))
    InteractionFactory.create(user=user, item=alien, kind=InteractionKind.RATING, value=2, occurred_at=_at(3))
    InteractionFactory.create(user=user, item=wish, kind=InteractionKind.WATCHLIST, occurred_at=_at(7))
    return user


def test_user_get_by_uuid_or_string_and_none_for_junk(history):
    assert user_get(user_id=history.pk) == history
    assert user_get(user_id=str(history.pk)) == history
    assert user_get(user_id="nope") is None
    assert user_get(user_id="6f1c0a4e-0d6b-4c7e-8a0b-7a7c5b0d9e21") is None


def test_seen_ids_are_watched_or_rated_not_watchlisted(history):
    assert user_seen_item_ids(user_id=history.pk) == {"movie_949", "movie_348", "movie_438631", "tv_1438"}


def test_interactions_are_frozen_records_in_time_order(history):
    records = user_interactions(user_id=history.pk)
    assert records[0] == InteractionRecord(item_id="movie_949", kind="view", value=None, occurred_at=_at(1))
    assert [r.occurred_at for r in records] == sorted(r.occurred_at for r in records)
    assert len(records) == 8


def test_last_watched_per_media_type(history):
    assert user_last_watched_item_id(user_id=history.pk, media_type="movie") == "movie_949"
    assert user_last_watched_item_id(user_id=history.pk, media_type="tv") == "tv_1438"
    assert user_last_watched_item_id(user_id=UserFactory.create().pk, media_type="tv") is None


def test_last_watched_passes_over_netflix_only_titles(history):
    # given a later watch of a Netflix-only show (negative TMDB id, docs/design/catalog.md)
    netflix = ContentItemFactory.create(media_type="tv", tmdb_id=-123)
    InteractionFactory.create(user=history, item=netflix, kind=InteractionKind.VIEW, occurred_at=_at(9))
    # when / then: the anchor stays the latest title Chillio can query by TMDB id
    assert netflix.item_id == "tv_-123"
    assert user_last_watched_item_id(user_id=history.pk, media_type="tv") == "tv_1438"


def test_top_rated_highest_first_ties_by_recency_and_never_a_disliked_title(history):
    # Alien (movie_348) is rated 2/10: a dislike never seeds recommendations
    assert user_top_rated_item_ids(user_id=history.pk) == ["movie_438631", "movie_949"]
    assert user_top_rated_item_ids(user_id=history.pk, min_rating=1) == ["movie_438631", "movie_949", "movie_348"]
    assert user_top_rated_item_ids(user_id=history.pk, media_type="tv") == []
    assert user_top_rated_item_ids(user_id=history.pk, limit=1) == ["movie_438631"]


def test_top_genres_weigh_views_and_ratings(history):
    # heat: view 1 + rating 2*(9-5.5)/4.5; dune: rating only; alien: view 1 + rating 2*(2-5.5)/4.5 (< 0)
    assert user_top_genre_ids(user_id=history.pk, media_type="movie", limit=3) == [28, 80, 12]
    assert user_top_genre_ids(user_id=history.pk, media_type="tv") == [18, 80]


def test_managed_lists_state_is_empty_for_new_users(history):
    assert user_managed_lists(user_id=history.pk) == {}
    assert user_managed_lists(user_id="junk") == {}


def test_interactions_since_and_in_id_ranges_read_by_id(db):
    from tests.users.factories import InteractionFactory
    from users.selectors import interactions_in_id_ranges, interactions_since

    # given four rows
    rows = [InteractionFactory.create() for _ in range(4)]
    ids = [row.pk for row in rows]
    # when / then: after a cursor; inside ranges (past a paging id, bounded)
    assert [row.id for row in interactions_since(after_id=ids[1], limit=10)] == ids[2:]
    ranges = [(ids[0], ids[0]), (ids[2], ids[3])]
    assert [row.id for row in interactions_in_id_ranges(ranges=ranges, limit=10)] == [ids[0], ids[2], ids[3]]
    assert [row.id for row in interactions_in_id_ranges(ranges=ranges, after_id=ids[0], limit=1)] == [ids[2]]
    assert interactions_in_id_ranges(ranges=[], limit=10) == []


def test_interactions_all_streams_every_users_rows_with_views_valueless(db):
    from tests.users.factories import InteractionFactory
    from users.selectors import interactions_all

    # given a rating and a view of two users
    rating = InteractionFactory.create(kind="rating", value=9)
    view = InteractionFactory.create(kind="view", value=3)
    # when
    rows = list(interactions_all())
    # then
    assert [(r.id, r.user_id, r.item_id, r.kind, r.value) for r in rows] == [
        (rating.pk, str(rating.user_id), rating.item_id, "rating", 9),
        (view.pk, str(view.user_id), view.item_id, "view", None),
    ]


@pytest.mark.parametrize(
    ("state", "expected"),
    [(ConnectionState.CONNECTED, True), (ConnectionState.NEEDS_REAUTH, False), (ConnectionState.DISCONNECTED, False)],
)
def test_users_connected(state, expected, django_assert_num_queries):
    user, other = UserFactory.create(connection_state=state), UserFactory.create()

    with django_assert_num_queries(1):
        connected = users_connected(user_ids=[user.pk, str(other.pk)])

    assert connected == ({str(user.pk), str(other.pk)} if expected else {str(other.pk)})


def test_users_connected_leaves_out_unknown_or_malformed_ids():
    assert users_connected(user_ids=[None, "", "nope", "6f1c2a5e-8d0b-4b7e-9a43-2f8a1d3c4b5a"]) == set()
