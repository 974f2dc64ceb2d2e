from __future__ import annotations

import pytest

from catalog.models import ContentItem
from catalog.services import catalog_items_ensure
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def test_missing_titles_are_fetched_and_existing_ones_are_not(tmdb, embed_calls, django_capture_on_commit_callbacks):
    # given
    ContentItemFactory.create(media_type="movie", tmdb_id=603, title="The Matrix")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = catalog_items_ensure(keys=[("movie", 603), ("show", 1399), ("movie", 999999)])

    # then
    assert result.item_ids == ("movie_603", "tv_1399")
    assert result.failed == (("movie", 999999),)
    assert result.created == ("tv_1399",)
    assert dict(tmdb.detail_ids) == {"tv/1399": 1, "movie/999999": 1}
    assert embed_calls == [["tv_1399"]]
    assert set(ContentItem.objects.exclude(requested_at=None).values_list("item_id", flat=True)) == {
        "movie_603",
        "tv_1399",
    }


def test_offline_only_ids_are_never_asked_of_tmdb(tmdb):
    result = catalog_items_ensure(keys=[("tv", -12)])
    assert (result.item_ids, result.failed) == ((), (("tv", -12),))
    assert tmdb.counts["total"] == 0


def test_without_tmdb_credentials_missing_titles_are_reported_failed(catalog_settings):
    catalog_settings.TMDB_API_KEY = None
    ContentItemFactory.create(media_type="movie", tmdb_id=1)
    result = catalog_items_ensure(keys=[("movie", 1), ("movie", 2)])
    assert (result.item_ids, result.failed) == (("movie_1",), (("movie", 2),))


def test_unknown_media_type_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown media type"):
        catalog_items_ensure(keys=[("episode", 1)])
