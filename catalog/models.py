"""The catalog: every movie and show a row can be made of."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from pgvector.django import VectorField

from catalog.contracts import MediaType


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
    # Last time a viewer's history, ratings or watchlist asked for this title (catalog_items_ensure).
    # The sync keeps these rows fresh and discovers more titles in their genres; the catalog never
    # imports the users app, so demand is recorded here rather than read from users' tables.
    requested_at = models.DateTimeField(null=True, blank=True)
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
            # The sync's "stale rows first" refresh and the admin's "never confirmed" view.
            models.Index(fields=["tmdb_confirmed_at"], name="catalog_confirmed_at"),
            models.Index(
                fields=["requested_at"], name="catalog_requested_at", condition=models.Q(requested_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


class SyncMode(models.TextChoices):
    FULL = "full", "Full"
    INCREMENTAL = "incremental", "Incremental (TMDB changes)"


class SyncStatus(models.TextChoices):
    RUNNING = "running", "Running"
    OK = "ok", "Succeeded"
    PARTIAL = "partial", "Succeeded with failed titles"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (another sync was running)"


class ContentSyncRun(models.Model):
    """One content sync: what it did, for the admin, and the cursor of the next incremental run.

    The next run asks TMDB's /changes from the ``started_at`` of the last run that finished
    ``ok``/``partial`` (changes made while a run was in flight are then seen again: harmless).
    """

    mode = models.CharField(max_length=16, choices=SyncMode.choices)
    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    candidates = models.IntegerField(default=0)  # ids considered (lists, discover, changes, demand)
    fetched = models.IntegerField(default=0)  # detail calls that returned a title
    created = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)  # content changed (re-embed, re-push)
    refreshed = models.IntegerField(default=0)  # only popularity / votes changed
    unchanged = models.IntegerField(default=0)
    gone = models.IntegerField(default=0)  # TMDB answered 404: marked, never deleted
    failed = models.IntegerField(default=0)
    reembed_queued = models.IntegerField(default=0)
    requests = models.IntegerField(default=0)  # HTTP requests made to TMDB, retries included
    # [{"key": "movie_12", "error": "..."}] capped (see catalog.services.sync.MAX_FAILURES_KEPT)
    failures = models.JSONField(default=list, blank=True)
    # Every (media_type, tmdb_id) whose details failed (uncapped): the next incremental run fetches
    # them again, since its /changes window starts after this run and would not list them.
    retry_keys = models.JSONField(default=list, blank=True)
    detail = models.TextField(blank=True)  # why a run failed or was skipped

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "-started_at"], name="catalog_syncrun_status")]

    def __str__(self) -> str:
        return f"{self.mode} sync {self.started_at:%Y-%m-%d %H:%M} ({self.status})"
