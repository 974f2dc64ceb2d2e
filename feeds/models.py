"""Prepared rows: what each of a user's ten ChillLink rows shows, and why.

One row per user holds the ready-to-serve document, so ``GET /feeds`` is a single primary-key read.
``user_id`` is the users app's UUID (no FK: feeds sits above users and reads it through selectors).
"""

from __future__ import annotations

from django.db import models


class PreparedFeeds(models.Model):
    user_id = models.UUIDField(primary_key=True)
    # Lower-cased Trakt username, for ChillLink's `username` fallback when `user_id` is absent.
    trakt_username = models.CharField(max_length=100, blank=True, db_index=True)
    # The ten ChillLink Feed objects, in order, exactly as /feeds serves them.
    feeds = models.JSONField(default=list)
    # The same document as ready-to-send JSON bytes ({"feeds": [...]}, validated when written):
    # /feeds sends them as they are, without parsing or re-serialising (feeds/documents.py). Empty on
    # rows written before it existed or by hand: /feeds then builds the body from ``feeds``.
    body = models.BinaryField(default=b"", blank=True, editable=False)
    # Per row: key, feed id, source, the titles chosen (item ids), where they came from, fallback reason.
    rows = models.JSONField(default=list)
    # The "Because You Watched" anchors used: {"movie": "movie_157336", "tv": "tv_1399"} (null = none).
    anchors = models.JSONField(default=dict)
    # The last valid `last_watched` hint a refresh consumed ("movie:157336"); a request carrying a
    # different one enqueues a refresh.
    last_hint = models.CharField(max_length=32, blank=True)
    last_hint_at = models.DateTimeField(null=True, blank=True)
    # What went wrong in the last refresh (row key → message), for the admin; empty when all went well.
    problems = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "prepared feeds"
        verbose_name_plural = "prepared feeds"

    def __str__(self) -> str:
        return f"feeds of {self.user_id}"


class ServedTitle(models.Model):
    """A title Reclio chose and served in one of a viewer's rows, and whether the viewer then watched it.

    Only rows whose titles we picked count (a ``trakt_list`` row we materialised); a ``tmdb_query``
    row's titles are TMDB's, chosen by Chillio. One row per (viewer, row, title), bounded by
    ``FEEDS_HIT_KEEP_DAYS`` and ``FEEDS_HIT_MAX_PER_ROW``. This is the online quality metric:
    served → watched within ``FEEDS_HIT_WINDOW_DAYS`` (feeds.services.hits).
    """

    user_id = models.UUIDField()
    row_key = models.CharField(max_length=32)
    item_id = models.CharField(max_length=32)
    # Best (lowest, 1-based) position the title held: Chillio shows about the first ten.
    position = models.PositiveSmallIntegerField()
    first_served_at = models.DateTimeField()
    last_served_at = models.DateTimeField()
    # The first watch after it was served (within the window); null = not (yet) a hit.
    watched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "row_key", "item_id"], name="feeds_served_title_unique"),
        ]
        indexes = [
            # The oldest title a viewer still has open, where each refresh starts matching watches.
            models.Index(
                fields=["user_id", "first_served_at"],
                name="feeds_served_user_open",
                condition=models.Q(watched_at__isnull=True),
            ),
            models.Index(fields=["first_served_at"], name="feeds_served_first"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.row_key} {self.item_id}"
