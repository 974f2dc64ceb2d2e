"""Engine state: stored per-user picks and small key-value state (push cursors, model versions)."""

from __future__ import annotations

from django.db import models


class Recommendation(models.Model):
    """One stored pick for a user, so feeds and the list writer read picks without recomputing.

    ``user_id`` is the users app's UUID (no FK: recsys sits above users and reads it through selectors;
    rows of a deleted user are removed by ``recsys.services``).
    """

    user_id = models.UUIDField()
    media_type = models.CharField(max_length=8)  # "movie" / "tv"
    item = models.ForeignKey("catalog.ContentItem", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()  # 0 = best
    score = models.FloatField()
    reason = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=32, blank=True)  # "cf", "content", "recombee", "popularity", …
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "media_type", "rank"], name="recsys_reco_unique_rank"),
            models.UniqueConstraint(fields=["user_id", "media_type", "item"], name="recsys_reco_unique_item"),
        ]
        indexes = [models.Index(fields=["user_id", "media_type", "rank"], name="recsys_reco_lookup")]
        ordering = ["user_id", "media_type", "rank"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.media_type} #{self.rank}: {self.item_id}"


class EngineState(models.Model):
    """Small durable state of a backend: push cursors, trained-model version, last training stats."""

    key = models.CharField(max_length=100, unique=True)
    value = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key
