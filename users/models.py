"""Viewers (``User``), what they did on Trakt (``Interaction``) and the Trakt lists we write for them.

``User`` is a viewer of the ChillLink addon, not a Django login: staff sign into the admin with
Django's own ``auth.User``. Tokens are stored encrypted (``users.crypto``); the model never holds
plaintext in a field, so neither the admin, ``repr`` nor a serializer can show one by accident.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from users.contracts import ConnectionState, InteractionKind, InteractionSource, ListState, SyncBucket, SyncRunStatus


class User(models.Model):
    # Our id; goes into the personal addon URL (`{BASE_URL}/?user_id=<uuid>`).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trakt_username = models.CharField(max_length=100, blank=True)
    # Trakt's stable account key (usernames can change); unique among connected accounts.
    trakt_slug = models.CharField(max_length=100, unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    trakt_vip = models.BooleanField(default=False)

    # Fernet tokens (MultiFernet, users.crypto); never plaintext. Not editable: hidden from forms.
    access_token_encrypted = models.TextField(blank=True, editable=False)
    refresh_token_encrypted = models.TextField(blank=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    connection_state = models.CharField(
        max_length=16, choices=ConnectionState.choices, default=ConnectionState.CONNECTED, db_index=True
    )
    connection_detail = models.CharField(max_length=300, blank=True)  # why re-auth is needed

    # Sync bookkeeping. `last_history_sync` advances only after a sync stored everything.
    last_history_sync = models.DateTimeField(null=True, blank=True)
    last_full_sync = models.DateTimeField(null=True, blank=True)
    last_activities = models.JSONField(default=dict, blank=True)  # snapshot of /sync/last_activities
    last_trakt_activity_at = models.DateTimeField(null=True, blank=True)  # newest timestamp in it
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sync_bucket = models.CharField(max_length=16, choices=SyncBucket.choices, blank=True)
    last_sync_error = models.CharField(max_length=300, blank=True)

    # /feeds usage, flushed from cache counters by the hourly sweep (adaptive cadence).
    feed_hits_total = models.PositiveBigIntegerField(default=0)
    feed_hits_per_day = models.FloatField(default=0.0)  # exponentially decayed (24 h half-life)
    last_feed_hit_at = models.DateTimeField(null=True, blank=True)
    feed_hits_flushed_at = models.DateTimeField(null=True, blank=True)

    # Account limits from /users/settings (free 2026: 5 lists of 250 items).
    list_limit = models.PositiveIntegerField(null=True, blank=True)
    list_item_limit = models.PositiveIntegerField(null=True, blank=True)
    limits_checked_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "users_user"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.trakt_username or self.display_name or str(self.id)

    def __repr__(self) -> str:
        # Explicit so no future field (or a debugger's default repr) ever prints token columns.
        return f"<User {self.id} trakt={self.trakt_slug!r} state={self.connection_state}>"


class Interaction(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="interactions")
    # PROTECT: a viewer's history must never point at a missing catalog row (the catalog marks titles
    # gone from TMDB instead of deleting them).
    item = models.ForeignKey("catalog.ContentItem", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=InteractionKind.choices)
    value = models.SmallIntegerField(null=True, blank=True)  # rating 1–10; views: episodes at that time
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=InteractionSource.choices, default=InteractionSource.TRAKT)
    # When the row was stored (not when it happened; stamped before commit, so it orders nothing).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "users_interaction"
        constraints = [
            # Views are events: one per (title, time). Several episodes marked at the same moment
            # collapse into one view of the show.
            models.UniqueConstraint(
                fields=["user", "item", "kind", "occurred_at"],
                condition=Q(kind=InteractionKind.VIEW),
                name="users_interaction_unique_view",
            ),
            # Ratings, watchlist entries and dislikes are states: one per title.
            models.UniqueConstraint(
                fields=["user", "item", "kind"],
                condition=~Q(kind=InteractionKind.VIEW),
                name="users_interaction_unique_state",
            ),
            models.CheckConstraint(
                condition=~Q(kind=InteractionKind.RATING) | Q(value__gte=1, value__lte=10),
                name="users_interaction_rating_range",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "kind", "-occurred_at"], name="users_inter_user_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.item_id}"


class PendingInteraction(models.Model):
    """An interaction whose title is not in the catalog yet (TMDB down, or not yet fetched).

    Kept so nothing is lost, and promoted into ``Interaction`` by the next sync that finds the title
    in the catalog. Views are kept per event; ratings/watchlist per title (latest wins).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="pending_interactions")
    media_type = models.CharField(max_length=8)  # catalog media type: movie / tv
    tmdb_id = models.IntegerField()
    kind = models.CharField(max_length=16, choices=InteractionKind.choices)
    value = models.SmallIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "users_pending_interaction"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "media_type", "tmdb_id", "kind", "occurred_at"],
                name="users_pending_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.media_type}_{self.tmdb_id} (pending)"


class ManagedList(models.Model):
    """A Trakt list Reclio owns for a viewer ("Reclio • Recommended Movies", …)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="managed_lists")
    key = models.CharField(max_length=64)  # recommended_movies, because_watched_movie, …
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    trakt_list_id = models.BigIntegerField(null=True, blank=True)
    trakt_slug = models.CharField(max_length=200, blank=True)
    # What the list holds on Trakt after our last write, in order (catalog item ids).
    item_ids = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    state = models.CharField(max_length=16, choices=ListState.choices, default=ListState.PENDING)
    detail = models.CharField(max_length=300, blank=True)
    # Last time the writer confirmed the list holds exactly ``item_ids``: written, or read back unchanged.
    last_written_at = models.DateTimeField(null=True, blank=True)
    # What feeds last asked this list to hold ({"name", "description", "item_ids"}) and when. The
    # ``users.user_lists_write`` task writes this, whatever message woke it; a request that changes
    # it sets ``state`` back to pending, and a write finishing after a newer request leaves it pending.
    wanted = models.JSONField(null=True, blank=True)
    wanted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "users_managed_list"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="users_managed_list_unique_key")]
        ordering = ["user", "key"]

    def __str__(self) -> str:
        return self.name

    @property
    def item_count(self) -> int:
        return len(self.item_ids)


class UserSyncRun(models.Model):
    """One Trakt sync of one viewer: what it stored or why it failed, for the admin.

    Bounded: each viewer keeps their latest ``users.services.sync.SYNC_RUNS_KEPT`` runs.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sync_runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=SyncRunStatus.choices)
    changed = models.BooleanField(default=False)
    full = models.BooleanField(default=False)
    areas = models.JSONField(default=list, blank=True)  # what last_activities said changed
    counts = models.JSONField(default=dict, blank=True)  # UserSyncSummary's counters
    requests = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-started_at"], name="users_syncrun_user_started")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


def invite_code_generate() -> str:
    # 128 bits, URL-safe: an invite link must not be guessable.
    return secrets.token_urlsafe(16)


class InviteCode(models.Model):
    """Lets a new viewer connect when ``SIGNUPS=invite``; made and revoked in the admin.

    Known viewers reconnect without one; a code counts one use per new viewer it admitted.
    """

    code = models.CharField(max_length=64, unique=True, default=invite_code_generate)
    note = models.CharField(max_length=200, blank=True, help_text="who it is for (shown only in the admin)")
    uses_allowed = models.PositiveIntegerField(default=1, help_text="new viewers it may admit (1 = single use)")
    uses = models.PositiveIntegerField(default=0, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="empty: never expires")
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "users_invite_code"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.note or f"invite {self.code[:6]}…"

    def refusal(self, *, now: dt.datetime) -> str | None:
        """Why this code admits nobody now (shown to the person who holds it), or None."""
        if self.revoked:
            return "This invite was revoked."
        if self.expires_at is not None and self.expires_at <= now:
            return "This invite has expired."
        if self.uses >= self.uses_allowed:
            return "This invite was already used."
        return None
