"""What the users app shares with other apps: its vocabularies (interaction kinds, connection and
list states, sync buckets) and the frozen dataclasses that cross its boundary (recsys, feeds,
admin_tools read these)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from django.db import models


class ConnectionState(models.TextChoices):
    CONNECTED = "connected", "Connected"
    # The refresh token was refused (revoked, expired): the viewer must connect again. Not synced.
    NEEDS_REAUTH = "needs_reauth", "Needs re-auth"
    DISCONNECTED = "disconnected", "Disconnected"


class InteractionKind(models.TextChoices):
    VIEW = "view", "Watched"
    RATING = "rating", "Rated"
    WATCHLIST = "watchlist", "Watchlisted"
    # Roadmap ("not for me" in the viewer portal): a first-class negative signal. Trakt sync never
    # writes it; a rating of 1–4 stays a rating.
    DISLIKE = "dislike", "Disliked"


class InteractionSource(models.TextChoices):
    TRAKT = "trakt", "Trakt"
    PORTAL = "portal", "Viewer portal"
    IMPORT = "import", "Import"


class ListState(models.TextChoices):
    OK = "ok", "OK"
    PENDING = "pending", "Not written yet"
    # Trakt answered 420: the account holds as many lists / items as its plan allows.
    LIMIT_REACHED = "limit_reached", "Trakt account limit reached"
    ERROR = "error", "Error"


class SyncBucket(models.TextChoices):
    """How often a viewer is polled (adaptive cadence, users.services.cadence; intervals are settings)."""

    HEAVY = "heavy", "Heavy"
    REGULAR = "regular", "Regular"
    QUIET = "quiet", "Quiet"
    DORMANT = "dormant", "Dormant"


class SyncRunStatus(models.TextChoices):
    OK = "ok", "Succeeded"
    FAILED = "failed", "Failed"


@dataclass(frozen=True)
class InteractionRecord:
    item_id: str  # catalog item id: movie_{tmdb} / tv_{tmdb}
    kind: str  # InteractionKind value
    value: int | None  # rating 1–10; None otherwise
    occurred_at: dt.datetime


@dataclass(frozen=True)
class InteractionRow:
    """One interaction of any user, for bulk readers (recommender training and pushes).

    ``id`` only grows: a changed rating is stored as a new row, so "everything after id N" is complete.
    """

    id: int
    user_id: str  # our user UUID as a string
    item_id: str
    kind: str
    value: int | None
    occurred_at: dt.datetime
    # When it was stored (stamped before commit). None: unknown, treat as just now.
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class ManagedListSpec:
    """What one managed Trakt list must hold, best first. ``key`` is stable across runs."""

    key: str  # recommended_movies / recommended_shows / because_watched_movie / because_watched_show
    name: str
    description: str
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class ManagedListState:
    key: str
    name: str
    trakt_list_id: int | None
    item_count: int
    last_written_at: dt.datetime | None
    state: str  # ListState value
    detail: str = ""
    # The titles feeds last asked the list to hold (``user_lists_request``); "ok" means written with these.
    wanted_item_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListWriteResult:
    key: str
    trakt_list_id: int | None
    state: str
    created: bool = False
    adopted: bool = False
    added: int = 0
    removed: int = 0
    reordered: bool = False
    writes: int = 0
    not_found: tuple[str, ...] = ()
    # Given but never sent: ids Trakt cannot resolve (Netflix-only titles with negative TMDB ids).
    skipped: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class ListWriteReport:
    user_id: str
    lists: tuple[ListWriteResult, ...] = ()
    requests: int = 0  # HTTP requests made, reads and writes (retries included)
    writes: int = 0
    skipped_reason: str = ""  # non-empty when nothing was attempted (not connected, …)
    retryable: bool = False  # a transient Trakt failure left a list behind: run again later
    retry_after: float | None = None  # Trakt's longest Retry-After among those failures, if it gave one

    @property
    def limit_reached(self) -> bool:
        return any(result.state == ListState.LIMIT_REACHED for result in self.lists)


@dataclass(frozen=True)
class SyncCounts:
    """What one Trakt sync stored, counted while storing (``users.services.interactions``)."""

    views_added: int = 0
    views_removed: int = 0
    ratings_added: int = 0
    ratings_updated: int = 0
    ratings_removed: int = 0
    watchlist_added: int = 0
    watchlist_removed: int = 0
    pending: int = 0  # interactions kept aside: title not in the catalog yet
    promoted: int = 0  # pending interactions moved into history by this sync

    def __add__(self, other: SyncCounts) -> SyncCounts:
        return SyncCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(SyncCounts)})

    @property
    def stored(self) -> int:
        """History rows added, replaced or removed (pending rows are not history yet)."""
        return (
            self.views_added
            + self.views_removed
            + self.ratings_added
            + self.ratings_updated
            + self.ratings_removed
            + self.watchlist_added
            + self.watchlist_removed
            + self.promoted
        )


@dataclass(frozen=True, kw_only=True)
class UserSyncSummary(SyncCounts):
    """One viewer's sync: the counts plus what was asked and why nothing happened, if so."""

    user_id: str
    changed: bool = False  # something was stored (the recommender is notified)
    full: bool = False
    areas: tuple[str, ...] = ()  # what last_activities said changed: history / ratings / watchlist
    unmapped: int = 0  # rows without a TMDB id (cannot ever join the catalog)
    skipped_rows: int = 0  # rows that did not parse
    requests: int = 0
    skipped_reason: str = ""
