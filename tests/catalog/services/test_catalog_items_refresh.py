from __future__ import annotations

import pytest

from catalog.models import ContentItem
from catalog.services import catalog_items_reembed, catalog_items_refresh
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def test_refresh_refetches_the_chosen_rows(tmdb):
    # given
    ContentItemFactory.create(media_type="movie", tmdb_id=603, title="stale title")
    ContentItemFactory.create(media_type="tv", tmdb_id=-3, title="offline only")

    # when
    summary = catalog_items_refresh(item_ids=["movie_603", "tv_-3"])

    # then
    assert (summary.mode, summary.status, summary.fetched, summary.updated) == ("refresh", "ok", 1, 1)
    assert ContentItem.objects.get(item_id="movie_603").title == "The Matrix"
    assert dict(tmdb.detail_ids) == {"movie/603": 1}


def test_reembed_clears_the_vector_hash_and_enqueues(embed_calls):
    # given
    ContentItemFactory.create(item_id="movie_1", tmdb_id=1, embedding_source_hash="abc")

    # when
    queued = catalog_items_reembed(item_ids=["movie_1", "movie_404"])

    # then
    assert queued == 1
    assert embed_calls == [["movie_1"]]
    assert ContentItem.objects.get().embedding_source_hash == ""
