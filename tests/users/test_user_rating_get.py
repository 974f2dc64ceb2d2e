from __future__ import annotations

import datetime as dt

import pytest

from tests.users.factories import ContentItemFactory, InteractionFactory, UserFactory
from users.models import InteractionKind
from users.selectors import user_rating_get

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_user_rating_get_reads_the_rating_of_that_title_only():
    # given: Heat rated 8 and watched since; another title rated 2; another viewer rated Heat 3
    user = UserFactory.create()
    heat = ContentItemFactory.create(item_id="movie_949", tmdb_id=949, media_type="movie")
    other = ContentItemFactory.create(item_id="movie_1", tmdb_id=1, media_type="movie")
    InteractionFactory.create(user=user, item=heat, kind=InteractionKind.RATING, value=8, occurred_at=T0)
    InteractionFactory.create(user=user, item=heat, kind=InteractionKind.VIEW, occurred_at=T0 + dt.timedelta(days=4))
    InteractionFactory.create(user=user, item=other, kind=InteractionKind.RATING, value=2, occurred_at=T0)
    InteractionFactory.create(item=heat, kind=InteractionKind.RATING, value=3, occurred_at=T0 + dt.timedelta(days=9))

    # when / then
    assert user_rating_get(user_id=str(user.pk), item_id="movie_949") == 8
    assert user_rating_get(user_id=user.pk, item_id="movie_1") == 2


@pytest.mark.parametrize(("user_id", "item_id"), [("known", "movie_2"), ("nope", "movie_949"), (None, "movie_949")])
def test_user_rating_get_is_none_without_a_rating(user_id, item_id):
    # given
    user = UserFactory.create()
    heat = ContentItemFactory.create(item_id="movie_949", tmdb_id=949, media_type="movie")
    InteractionFactory.create(user=user, item=heat, kind=InteractionKind.VIEW, occurred_at=T0)
    InteractionFactory.create(
        user=user, item=ContentItemFactory.create(), kind=InteractionKind.RATING, value=9, occurred_at=T0
    )

    # when / then
    assert user_rating_get(user_id=str(user.pk) if user_id == "known" else user_id, item_id=item_id) is None


def test_user_rating_get_is_one_query(django_assert_num_queries):
    user = UserFactory.create()

    with django_assert_num_queries(1):
        user_rating_get(user_id=str(user.pk), item_id="movie_949")
