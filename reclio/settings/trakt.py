"""Trakt: token encryption key(s), sync cadence and list-writer pacing (users app).

Reference: https://trakt.docs.apiary.io/ (rate limits: 1,000 authenticated GETs per 5 minutes,
1 POST/PUT/DELETE per second; access tokens live 24 h). The client id/secret and base URLs live in
``vendors.py``; this module adds what the users app needs on top. See docs/design/trakt.md.
"""

from __future__ import annotations

import enum

from cryptography.fernet import Fernet

from reclio.env import env_enum, env_float, env_int, env_secret
from reclio.settings.runtime import EMBEDDED_DATABASE, data_dir_secret

# Fernet keys for OAuth tokens at rest, comma-separated, newest first (MultiFernet: decrypt with any,
# encrypt with the first). Production must set it (system check users.E001 when Trakt is configured
# without it); the embedded default generates one into the data dir. Read here only: a second read in
# another concern module would overwrite the generated key, depending on star-import order.
TOKEN_ENCRYPTION_KEYS = env_secret("TOKEN_ENCRYPTION_KEYS")
if TOKEN_ENCRYPTION_KEYS is None and EMBEDDED_DATABASE:
    TOKEN_ENCRYPTION_KEYS = data_dir_secret("token_encryption_key", generate=lambda: Fernet.generate_key().decode())


class Signups(enum.Enum):
    """Who may become a new viewer through /connect/trakt (docs/configuration.md, "Trakt")."""

    OPEN = "open"  # anyone who finds the page
    INVITE = "invite"  # only with an unused, unexpired, unrevoked invite code (made in the admin)
    CLOSED = "closed"  # nobody new; known viewers may still reconnect


# Every viewer spends the operator's TMDB, embedding, recommender and training budget, so a server on
# the open internet takes new viewers by invite unless told otherwise (the demo is open). Known
# viewers reconnect in every mode; the terminal device flow (`connect_trakt`) is the operator's own.
SIGNUPS = env_enum("SIGNUPS", Signups, Signups.INVITE)

# Client-side pacing of authenticated reads: 1,000 per 5 minutes ≈ 3.3/s. 0 disables (fake servers).
TRAKT_READS_PER_SECOND = env_float("TRAKT_READS_PER_SECOND", 3.0)
# Seconds between two writes of one Trakt account, across every worker process (Trakt: 1/s).
TRAKT_WRITE_INTERVAL_SECONDS = env_float("TRAKT_WRITE_INTERVAL_SECONDS", 1.0)
# The refresh sweep (every 6 h) refreshes tokens that expire within this many hours.
TRAKT_TOKEN_REFRESH_WINDOW_HOURS = env_int("TRAKT_TOKEN_REFRESH_WINDOW_HOURS", 12, minimum=1)

# Adaptive sync cadence (minutes between two polls of a user's last_activities), per bucket.
TRAKT_SYNC_HEAVY_MINUTES = env_int("TRAKT_SYNC_HEAVY_MINUTES", 60, minimum=5)
TRAKT_SYNC_REGULAR_MINUTES = env_int("TRAKT_SYNC_REGULAR_MINUTES", 6 * 60, minimum=5)
TRAKT_SYNC_QUIET_MINUTES = env_int("TRAKT_SYNC_QUIET_MINUTES", 24 * 60, minimum=5)
TRAKT_SYNC_DORMANT_MINUTES = env_int("TRAKT_SYNC_DORMANT_MINUTES", 7 * 24 * 60, minimum=5)
# "Heavy": at least this many /feeds hits per day (decayed average) and one in the last 24 h.
TRAKT_SYNC_HEAVY_FEED_HITS_PER_DAY = env_float("TRAKT_SYNC_HEAVY_FEED_HITS_PER_DAY", 4.0)
# "Dormant": no Trakt activity (any last_activities timestamp) for this many days.
TRAKT_SYNC_DORMANT_DAYS = env_int("TRAKT_SYNC_DORMANT_DAYS", 30, minimum=1)
# Incremental history fetches miss back-dated plays and removals; reconcile fully this often.
TRAKT_FULL_RECONCILE_DAYS = env_int("TRAKT_FULL_RECONCILE_DAYS", 7, minimum=1)
