"""Catalog sync (TMDB) and offline import.

TMDB credentials, base URL and the request rate live in ``reclio/settings/vendors.py``
(``TMDB_API_KEY``, ``TMDB_READ_ACCESS_TOKEN``, ``TMDB_BASE_URL``, ``TMDB_MAX_REQUESTS_PER_SECOND``).
Everything here is documented in ``docs/design/catalog.md``.
"""

from __future__ import annotations

from reclio.env import env_int

# Threads fetching details at once. Each has its own session; all share one RateLimiter, so this
# bounds latency hiding, not the request rate (TMDB_MAX_REQUESTS_PER_SECOND does that).
CATALOG_SYNC_CONCURRENCY = env_int("CATALOG_SYNC_CONCURRENCY", 8, minimum=1)
# Pages (20 titles each) read from every list: popular, top rated, trending (week), now playing /
# on the air, for movies and for shows. TMDB serves at most 500 pages.
CATALOG_SYNC_LIST_PAGES = env_int("CATALOG_SYNC_LIST_PAGES", 5, minimum=1)
# Discover: the N genres most common among titles our viewers asked for, M pages each.
CATALOG_SYNC_DISCOVER_GENRES = env_int("CATALOG_SYNC_DISCOVER_GENRES", 6, minimum=0)
CATALOG_SYNC_DISCOVER_PAGES = env_int("CATALOG_SYNC_DISCOVER_PAGES", 2, minimum=1)
# Incremental runs also re-fetch up to BATCH rows TMDB has not confirmed for STALE_DAYS days
# (oldest first): offline-imported rows get enriched and stats of long-tail titles stay current.
CATALOG_SYNC_STALE_DAYS = env_int("CATALOG_SYNC_STALE_DAYS", 30, minimum=1)
CATALOG_SYNC_STALE_BATCH = env_int("CATALOG_SYNC_STALE_BATCH", 500, minimum=0)
# Rows per upsert statement/transaction.
CATALOG_UPSERT_BATCH_SIZE = env_int("CATALOG_UPSERT_BATCH_SIZE", 500, minimum=1)
