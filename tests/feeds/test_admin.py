from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from tests.feeds.factories import PreparedFeedsFactory

pytestmark = pytest.mark.django_db


def test_changelist_loads_and_searches(admin_client):
    # given
    prepared = PreparedFeedsFactory.create(trakt_username="sean", problems={"lists_write": "boom"})
    PreparedFeedsFactory.create(trakt_username="zoe")

    # when / then
    assert admin_client.get("/staff/feeds/preparedfeeds/").status_code == 200
    response = admin_client.get("/staff/feeds/preparedfeeds/", {"q": "sean"})
    assert response.status_code == 200
    assert str(prepared.user_id) in response.content.decode()
    assert "zoe" not in response.content.decode()
    assert admin_client.get("/staff/feeds/preparedfeeds/", {"problems": "yes"}).status_code == 200
    assert admin_client.get(f"/staff/feeds/preparedfeeds/{prepared.user_id}/change/").status_code == 200


def test_refresh_action_queues_one_refresh_per_row(admin_client, sent_tasks, django_capture_on_commit_callbacks):
    # given
    rows = [PreparedFeedsFactory.create(user_id=uuid.uuid4()) for _ in range(2)]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/staff/feeds/preparedfeeds/",
            {"action": "refresh_rows", "_selected_action": [str(r.user_id) for r in rows]},
            follow=True,
        )

    # then
    assert response.status_code == 200
    assert "Queued a refresh for 2 user(s)." in response.content.decode()
    assert sorted(kwargs["user_id"] for _, kwargs, _ in sent_tasks) == sorted(str(r.user_id) for r in rows)


def test_the_change_page_shows_what_chillio_would_show(admin_client):
    # given: a personal row of two catalog titles, and a TMDB query row
    from tests.catalog.factories import ContentItemFactory

    ContentItemFactory(item_id="movie_603", tmdb_id=603, title="The Matrix")
    ContentItemFactory(item_id="movie_604", tmdb_id=604, title="The Matrix Reloaded")
    prepared = PreparedFeedsFactory(
        feeds=[
            {
                "id": "recommended_movies",
                "title": "Recommended Movies",
                "source": "trakt_list",
                "source_metadata": {"id": 7},
                "content_type": "movies",
                "blurb": "Picked from what you watch",
            },
            {
                "id": "trending_shows",
                "title": "Trending Shows",
                "source": "tmdb_query",
                "source_metadata": {"path": "/trending/tv/week", "parameters": ""},
                "content_type": "shows",
            },
        ],
        rows=[
            {
                "key": "recommended_movies",
                "feed_id": "recommended_movies",
                "source": "trakt_list",
                "items": ["movie_603", "movie_604"],
                "origins": ["recommender", "vectors"],
            },
            {"key": "trending_shows", "feed_id": "trending_shows", "source": "tmdb_query", "items": []},
        ],
    )

    # when
    body = admin_client.get(f"/staff/feeds/preparedfeeds/{prepared.user_id}/change/").content.decode()

    # then: rows in the served order, our titles with where they came from, the query Chillio runs
    assert body.index("Recommended Movies") < body.index("Trending Shows")
    assert "The Matrix <small>[recommender]</small> · The Matrix Reloaded <small>[vectors]</small>" in body
    assert "Picked from what you watch" in body
    assert "TMDB query <code>/trending/tv/week</code>" in body


def test_served_titles_changelist_loads_with_its_filters(admin_client):
    from feeds.models import ServedTitle

    ServedTitle.objects.create(
        user_id=uuid.uuid4(),
        row_key="recommended_movies",
        item_id="movie_1",
        position=1,
        first_served_at=timezone.now(),
        last_served_at=timezone.now(),
    )
    for query in ("", "?hit=yes", "?hit=no", "?q=movie_1"):
        assert admin_client.get(f"/staff/feeds/servedtitle/{query}").status_code == 200
