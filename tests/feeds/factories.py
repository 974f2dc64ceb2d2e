"""Factories for feeds tests: prepared rows (catalog titles come from tests/catalog/factories.py)."""

from __future__ import annotations

import uuid

import factory
from django.utils import timezone

from feeds import rows
from feeds.models import PreparedFeeds


class PreparedFeedsFactory(factory.django.DjangoModelFactory[PreparedFeeds]):
    class Meta:
        model = PreparedFeeds

    user_id = factory.LazyFunction(uuid.uuid4)
    trakt_username = factory.Sequence(lambda n: f"viewer{n}")
    feeds = factory.LazyFunction(
        lambda: [
            rows.trakt_feed(
                feed_id="recommended_movies", title="Recommended Movies for You", media_type="movie", list_id=101
            ),
            rows.trakt_feed(
                feed_id="recommended_shows", title="Recommended Shows for You", media_type="tv", list_id=102
            ),
            rows.trakt_feed(
                feed_id="because_watched_movie_tmdb_157336",
                title="Because You Watched Interstellar",
                media_type="movie",
                list_id=103,
                blurb="Watched by fans of Interstellar, plus titles like it",
            ),
            rows.because_watched_fallback_feed(media_type="tv", tmdb_id=1399, anchor_title="Game of Thrones"),
            rows.trending_feed(media_type="movie"),
            rows.trending_feed(media_type="tv"),
            rows.top_genre_feed(media_type="movie", genre_id=878),
            rows.top_genre_feed(media_type="tv", genre_id=18),
            rows.hidden_gems_feed(media_type="movie", genre_ids=[878, 18]),
            rows.hidden_gems_feed(media_type="tv", genre_ids=[18]),
        ]
    )
    rows = factory.LazyFunction(list)
    anchors = factory.LazyFunction(lambda: {"movie": "movie_157336", "tv": "tv_1399"})
    last_hint = ""
    computed_at = factory.LazyFunction(timezone.now)
