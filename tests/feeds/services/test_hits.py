from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from feeds.models import ServedTitle
from feeds.selectors import hit_rate_summary
from feeds.services.hits import served_hits_record, served_titles_prune, served_titles_record, served_titles_update
from tests.catalog.factories import ContentItemFactory
from tests.users.factories import InteractionFactory, UserFactory
from users.contracts import InteractionKind

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


def served_row(key: str, items: list[str], source: str = "trakt_list") -> dict:
    return {"key": key, "feed_id": key, "source": source, "items": items, "origins": [], "note": ""}


def watch(user, item_id: str, at: dt.datetime) -> None:
    InteractionFactory.create(
        user=user, item=ContentItemFactory.create(item_id=item_id), kind=InteractionKind.VIEW, occurred_at=at
    )


@pytest.mark.parametrize(
    ("watched_at", "hit"),
    [
        (T0 + dt.timedelta(days=3), True),  # served at t, watched at t+3 days
        (T0 - dt.timedelta(days=1), False),  # watched before it was served
        (T0 + dt.timedelta(days=15), False),  # outside the 14-day window
    ],
)
def test_a_watch_after_serving_within_the_window_is_a_hit(settings, watched_at, hit):
    # given
    settings.FEEDS_HIT_WINDOW_DAYS = 14
    user = UserFactory.create()
    items = [f"movie_{n}" for n in range(1, 13)]
    served_titles_record(user_id=str(user.pk), row_records=[served_row("recommended_movies", items)], at=T0)
    watch(user, "movie_3", watched_at)

    # when
    hits = served_hits_record(user_id=str(user.pk), now=T0 + dt.timedelta(days=16))

    # then
    assert hits == int(hit)
    row = ServedTitle.objects.get(user_id=user.pk, item_id="movie_3")
    assert row.position == 3
    assert row.watched_at == (watched_at if hit else None)


def test_tmdb_query_rows_are_not_recorded():
    # given
    user = UserFactory.create()

    # when
    recorded = served_titles_record(
        user_id=str(user.pk), row_records=[served_row("trending_movies", ["movie_1"], source="tmdb_query")], at=T0
    )

    # then
    assert recorded == 0
    assert not ServedTitle.objects.exists()


def test_serving_again_keeps_first_serving_and_best_position():
    # given
    user = UserFactory.create()
    served_titles_record(user_id=str(user.pk), row_records=[served_row("recommended_movies", ["a", "b"])], at=T0)

    # when
    later = T0 + dt.timedelta(days=2)
    served_titles_record(user_id=str(user.pk), row_records=[served_row("recommended_movies", ["b", "a"])], at=later)

    # then
    row = ServedTitle.objects.get(item_id="b")
    assert (row.first_served_at, row.last_served_at, row.position) == (T0, later, 1)


def test_the_summary_counts_hits_per_row_and_in_the_first_ten(settings):
    # given
    settings.FEEDS_HIT_WINDOW_DAYS = 14
    user = UserFactory.create()
    items = [f"movie_{n}" for n in range(1, 21)]
    served_titles_record(user_id=str(user.pk), row_records=[served_row("recommended_movies", items)], at=T0)
    watch(user, "movie_2", T0 + dt.timedelta(days=1))
    watch(user, "movie_15", T0 + dt.timedelta(days=2))
    served_hits_record(user_id=str(user.pk), now=T0 + dt.timedelta(days=3))

    # when
    summary = hit_rate_summary(days=30, now=T0 + dt.timedelta(days=3))

    # then
    assert summary["rows"] == [
        {
            "row_key": "recommended_movies",
            "served": 20,
            "hits": 2,
            "served_top10": 10,
            "hits_top10": 1,
            "rate": 0.1,
            "rate_top10": 0.1,
        }
    ]
    assert summary["total"]["hits"] == 2
    assert [week["hits"] for week in summary["weeks"]] == [2]


def test_prune_keeps_what_is_recent_and_caps_each_row(settings):
    # given
    settings.FEEDS_HIT_KEEP_DAYS = 30
    settings.FEEDS_HIT_MAX_PER_ROW = 10
    user = UserFactory.create()
    served_titles_record(user_id=str(user.pk), row_records=[served_row("r", ["old"])], at=T0)
    later = T0 + dt.timedelta(days=40)
    served_titles_record(user_id=str(user.pk), row_records=[served_row("r", [f"m{n}" for n in range(12)])], at=later)

    # when
    deleted = served_titles_prune(user_id=str(user.pk), now=later)

    # then
    assert deleted == 3
    assert ServedTitle.objects.filter(user_id=user.pk).count() == 10
    assert not ServedTitle.objects.filter(item_id="old").exists()


def test_the_refresh_bookkeeping_never_raises(monkeypatch):
    # given
    monkeypatch.setattr("feeds.services.hits.served_hits_record", lambda **kw: 1 / 0)

    # when / then
    served_titles_update(user_id=str(UserFactory.create().pk), row_records=[], now=timezone.now())


def test_serving_a_title_again_after_its_hit_leaves_the_hit_as_it_was(settings):
    # given
    settings.FEEDS_HIT_WINDOW_DAYS = 14
    user = UserFactory.create()
    served_titles_record(user_id=str(user.pk), row_records=[served_row("r", ["movie_1", "movie_2"])], at=T0)
    watch(user, "movie_2", T0 + dt.timedelta(days=1))
    served_hits_record(user_id=str(user.pk), now=T0 + dt.timedelta(days=2))

    # when
    later = T0 + dt.timedelta(days=3)
    served_titles_record(user_id=str(user.pk), row_records=[served_row("r", ["movie_2", "movie_1"])], at=later)

    # then
    hit = ServedTitle.objects.get(item_id="movie_2")
    assert (hit.last_served_at, hit.position, hit.watched_at) == (T0, 2, T0 + dt.timedelta(days=1))
    still_open = ServedTitle.objects.get(item_id="movie_1")
    assert (still_open.last_served_at, still_open.position, still_open.watched_at) == (later, 1, None)


def test_a_late_synced_watch_matches_the_oldest_open_title_and_not_the_ones_served_after_it(settings):
    # given: one title served long ago and still open, another served after the watch
    settings.FEEDS_HIT_WINDOW_DAYS = 14
    user = UserFactory.create()
    served_titles_record(user_id=str(user.pk), row_records=[served_row("r", ["movie_1"])], at=T0)
    served_titles_record(
        user_id=str(user.pk), row_records=[served_row("r", ["movie_1", "movie_2"])], at=T0 + dt.timedelta(days=5)
    )
    watch(user, "movie_1", T0 + dt.timedelta(days=2))
    watch(user, "movie_2", T0 + dt.timedelta(days=2))

    # when: the watches arrive with a sync days later
    hits = served_hits_record(user_id=str(user.pk), now=T0 + dt.timedelta(days=6))

    # then
    assert hits == 1
    assert list(ServedTitle.objects.exclude(watched_at=None).values_list("item_id", flat=True)) == ["movie_1"]
