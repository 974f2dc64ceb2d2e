"""The catalog reads recsys uses: existing ids, recommendable titles, active rows, keyset pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from catalog.models import ContentItem, TmdbStatus
from catalog.selectors import (
    item_ids_existing,
    items_active_by_ids,
    items_active_count_through,
    items_active_titles,
    items_changed_page,
    items_recommendable,
)
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def _stamp(item: ContentItem, at: dt.datetime) -> None:
    # QuerySet.update leaves auto_now alone, so the test controls the keyset order.
    ContentItem.objects.filter(item_id=item.item_id).update(updated_at=at)


def test_item_ids_existing_names_the_held_ids():
    # given
    held = ContentItemFactory.create(tmdb_id=1)
    gone = ContentItemFactory.create(tmdb_id=2, tmdb_status=TmdbStatus.GONE)

    # when
    found = item_ids_existing(item_ids=[held.item_id, gone.item_id, "movie_999"])

    # then
    assert found == {held.item_id, gone.item_id}
    assert item_ids_existing(item_ids=[]) == set()


def test_items_recommendable_skips_adult_and_gone_titles_in_id_order():
    # given
    ContentItemFactory.create(tmdb_id=3, title="Three", vote_average=7.5, vote_count=40, embedding=[1.0, 0.0])
    ContentItemFactory.create(tmdb_id=2, title="Two")
    ContentItemFactory.create(tmdb_id=4, adult=True)
    ContentItemFactory.create(tmdb_id=5, tmdb_status=TmdbStatus.GONE)

    # when
    items = list(items_recommendable())

    # then
    assert [item.item_id for item in items] == ["movie_2", "movie_3"]
    three = items[1]
    assert three.embedding is not None
    assert (three.title, three.vote_average, three.vote_count, list(three.embedding)) == ("Three", 7.5, 40, [1.0, 0.0])
    assert items[0].embedding is None


def test_items_active_by_ids_drops_gone_and_unknown_rows():
    # given
    ContentItemFactory.create(tmdb_id=2)
    ContentItemFactory.create(tmdb_id=1)
    ContentItemFactory.create(tmdb_id=3, tmdb_status=TmdbStatus.GONE)

    # when
    items = items_active_by_ids(item_ids=["movie_2", "movie_1", "movie_3", "movie_9"])

    # then
    assert [item.item_id for item in items] == ["movie_1", "movie_2"]
    assert items_active_by_ids(item_ids=[]) == []


@pytest.mark.parametrize(
    ("media_type", "expected"), [(None, {"movie_1": "Heat", "tv_1": "Lost"}), ("tv", {"tv_1": "Lost"})]
)
def test_items_active_titles(media_type, expected):
    # given
    ContentItemFactory.create(tmdb_id=1, title="Heat")
    ContentItemFactory.create(tmdb_id=1, media_type="tv", title="Lost")
    ContentItemFactory.create(tmdb_id=2, title="Gone", tmdb_status=TmdbStatus.GONE)

    # when
    titles = items_active_titles(item_ids=["movie_1", "tv_1", "movie_2"], media_type=media_type)

    # then
    assert titles == expected


def test_items_changed_page_walks_the_keyset_and_reports_gone_rows():
    # given four rows, two sharing a timestamp; one gone; one too recent
    now = timezone.now()
    t1, t2 = now - dt.timedelta(minutes=10), now - dt.timedelta(minutes=5)
    a, b = ContentItemFactory.create(tmdb_id=1), ContentItemFactory.create(tmdb_id=2, tmdb_status=TmdbStatus.GONE)
    c, recent = ContentItemFactory.create(tmdb_id=3), ContentItemFactory.create(tmdb_id=4)
    _stamp(a, t1)
    _stamp(b, t2)
    _stamp(c, t2)
    _stamp(recent, now)
    before = now - dt.timedelta(minutes=1)

    # when
    first, first_gone, first_key = items_changed_page(before=before, after=None, limit=2)
    second, second_gone, second_key = items_changed_page(before=before, after=first_key, limit=2)
    third, third_gone, third_key = items_changed_page(before=before, after=second_key, limit=2)

    # then
    assert ([i.item_id for i in first], first_gone, first_key) == (["movie_1"], ["movie_2"], (t2, "movie_2"))
    assert ([i.item_id for i in second], second_gone, second_key) == (["movie_3"], [], (t2, "movie_3"))
    assert (third, third_gone, third_key) == ([], [], None)


def test_items_active_count_through_counts_active_rows_up_to_the_key():
    # given
    now = timezone.now()
    t1, t2 = now - dt.timedelta(minutes=10), now - dt.timedelta(minutes=5)
    for tmdb_id, at, status in [(1, t1, "active"), (2, t2, "gone"), (3, t2, "active"), (4, t2, "active")]:
        _stamp(ContentItemFactory.create(tmdb_id=tmdb_id, tmdb_status=status), at)

    # when / then
    assert items_active_count_through(key=(t2, "movie_3")) == 2
    assert items_active_count_through(key=(t1, "movie_1")) == 1
