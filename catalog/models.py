"""The catalog: every movie and show a row can be made of."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from pgvector.django import VectorField


class MediaType(models.TextChoices):
    MOVIE = "movie", "Movie"
    TV = "tv", "TV show"


class TmdbStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    # TMDB answered 404 for the title: kept (users' history may point at it) but never recommended.
    GONE = "gone", "Gone from TMDB"


class ContentItem(models.Model):
    # `movie_{tmdb_id}` / `tv_{tmdb_id}`: TMDB numbers movies and shows separately, so the prefix
    # keeps `movie_1399` and `tv_1399` apart. The same id is used with Recombee and in admin URLs.
    item_id = models.CharField(primary_key=True, max_length=32)
    tmdb_id = models.IntegerField()
    media_type = models.CharField(max_length=8, choices=MediaType.choices)

    title = models.CharField(max_length=500)
    original_title = models.CharField(max_length=500, blank=True)
    original_language = models.CharField(max_length=16, blank=True)
    tagline = models.TextField(blank=True)
    overview = models.TextField(blank=True)
    # [{"id": 28, "name": "Action"}, …] as TMDB gives them; genre_ids mirrors the ids for indexed filters.
    genres = models.JSONField(default=list, blank=True)
    genre_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)  # ["time travel", …], TMDB order
    year = models.SmallIntegerField(null=True, blank=True)
    release_date = models.DateField(null=True, blank=True)
    vote_average = models.FloatField(default=0.0)
    vote_count = models.IntegerField(default=0)
    popularity = models.FloatField(default=0.0)
    cast = models.JSONField(default=list, blank=True)  # top 5 names by credit order
    director = models.CharField(max_length=500, blank=True)  # movies: Director; shows: creators
    poster_path = models.CharField(max_length=200, blank=True)
    adult = models.BooleanField(default=False)

    # SHA-256 of the embedding input text; a change means the vector is stale.
    source_hash = models.CharField(max_length=64, blank=True)
    # pgvector column without a fixed dimension so vectors of two providers coexist while a switch
    # rolls out; HNSW indexes are partial expression indexes per dimension (embeddings migrations).
    embedding = VectorField(null=True, blank=True)
    embedding_model = models.CharField(max_length=200, blank=True, db_index=True)
    embedding_dim = models.SmallIntegerField(null=True, blank=True)
    # The source_hash the stored vector was computed from; differs from source_hash → re-embed.
    embedding_source_hash = models.CharField(max_length=64, blank=True)
    recombee_synced = models.BooleanField(default=False)

    tmdb_status = models.CharField(max_length=8, choices=TmdbStatus.choices, default=TmdbStatus.ACTIVE)
    tmdb_confirmed_at = models.DateTimeField(null=True, blank=True)  # last time TMDB returned this title
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "content_catalog"
        constraints = [
            models.UniqueConstraint(fields=["media_type", "tmdb_id"], name="content_catalog_unique_tmdb"),
        ]
        indexes = [
            models.Index(fields=["media_type", "-popularity"], name="catalog_type_popularity"),
            models.Index(fields=["media_type", "-vote_average"], name="catalog_type_vote_avg"),
            models.Index(fields=["-updated_at"], name="catalog_updated"),
            GinIndex(fields=["genre_ids"], name="catalog_genre_ids"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    @staticmethod
    def make_item_id(*, media_type: str, tmdb_id: int) -> str:
        return f"{media_type}_{tmdb_id}"
