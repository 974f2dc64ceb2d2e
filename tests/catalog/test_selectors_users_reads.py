"""catalog.selectors.item_ids_existing / item_genre_ids: the catalog reads the users app relies on."""

from __future__ import annotations

import pytest

from catalog.models import MediaType
from catalog.selectors import item_genre_ids, item_ids_existing
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def test_item_ids_existing_keeps_only_catalog_rows():
    # given
    ContentItemFactory.create(item_id="movie_1", tmdb_id=1)
    ContentItemFactory.create(item_id="tv_2", tmdb_id=2, media_type=MediaType.TV)

    # when
    present = item_ids_existing(item_ids=["movie_1", "tv_2", "movie_3", "movie_1"])

    # then
    assert present == {"movie_1", "tv_2"}


def test_item_ids_existing_of_nothing_is_empty(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert item_ids_existing(item_ids=[]) == set()


def test_item_genre_ids_per_title():
    # given
    ContentItemFactory.create(item_id="movie_1", tmdb_id=1, genre_ids=[28, 18])
    ContentItemFactory.create(item_id="movie_2", tmdb_id=2, genre_ids=[])

    # when
    genres = item_genre_ids(item_ids=iter(["movie_1", "movie_2", "movie_9"]))

    # then
    assert genres == {"movie_1": [28, 18], "movie_2": []}


def test_item_genre_ids_of_nothing_is_empty(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert item_genre_ids(item_ids=[]) == {}
