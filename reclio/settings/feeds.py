"""Feeds: the ten ChillLink rows (row size, cold start, list freshness, refresh dedupe).

Every variable is listed in docs/design/feeds.md. The /feeds request path reads only the hint and
lock windows and the outage settings at the end; composition runs in the ``feeds.user_rows_refresh`` task.
"""

from __future__ import annotations

from reclio.env import env_bool, env_int

# Titles per materialised row (the Trakt lists). Chillio on Android shows the first 10-20, and a free
# Trakt account holds 1,000 items across lists: 4 lists x 50 leaves room for the user's own lists.
FEEDS_ROW_SIZE = env_int("FEEDS_ROW_SIZE", 50, minimum=10)
# Fewer usable recommender picks than this → cold start: seed from the highest-rated title's neighbours.
FEEDS_COLD_START_MIN_PICKS = env_int("FEEDS_COLD_START_MIN_PICKS", 5, minimum=1)
# A materialised Trakt list written longer ago than this is stale: the row serves its TMDB fallback.
FEEDS_LIST_MAX_AGE_HOURS = env_int("FEEDS_LIST_MAX_AGE_HOURS", 72, minimum=1)
# A `last_watched` hint anchors "Because You Watched" for this long; afterwards Trakt history decides.
FEEDS_HINT_TTL_HOURS = env_int("FEEDS_HINT_TTL_HOURS", 24, minimum=1)
# A burst of /feeds requests carrying the same new hint enqueues one refresh per this many seconds.
FEEDS_REFRESH_LOCK_SECONDS = env_int("FEEDS_REFRESH_LOCK_SECONDS", 60, minimum=1)
# Viewer-triggered refreshes (a new `last_watched`, no rows yet) per viewer per hour, beyond the
# per-anchor dedupe: a viewer (or whoever holds their addon URL) cannot keep the one-process
# `trakt_lists` queue busy by cycling anchors. Operator refreshes (admin, command) are not counted.
FEEDS_VIEWER_REFRESHES_PER_HOUR = env_int("FEEDS_VIEWER_REFRESHES_PER_HOUR", 12, minimum=1)
# `/feeds?username=` serves the rows of the Trakt account with that (public) username. Off by default:
# the addon URL's `user_id` is the credential. When on, the fallback is read-only: it never queues a
# refresh, never anchors on `last_watched` and never counts a hit.
FEEDS_USERNAME_FALLBACK = env_bool("FEEDS_USERNAME_FALLBACK", False)
# Off → rows are never written to Trakt lists and always serve their TMDB queries (accounts that
# cannot hold more lists, or installations without a Trakt app).
FEEDS_WRITE_TRAKT_LISTS = env_bool("FEEDS_WRITE_TRAKT_LISTS", True)
# Short, honest one-line reasons on rows ("Because you rated Heat 9/10").
FEEDS_BLURBS = env_bool("FEEDS_BLURBS", True)
# /feeds keeps this many viewers' documents in each web process and answers them without any I/O,
# also while the database is down or slow (with a shared copy in Redis). About 3 KB each.
FEEDS_LOCAL_COPIES = env_int("FEEDS_LOCAL_COPIES", 10_000, minimum=0)
# /feeds stops waiting for the database after this long: the request (and, for
# FEEDS_DATABASE_RETRY_SECONDS, every /feeds request of the process) is answered from the copies.
FEEDS_DATABASE_WAIT_MS = env_int("FEEDS_DATABASE_WAIT_MS", 500, minimum=10)
# After a database error or a wait past FEEDS_DATABASE_WAIT_MS, /feeds serves copies without asking
# the database for this long; then one request tries it again.
FEEDS_DATABASE_RETRY_SECONDS = env_int("FEEDS_DATABASE_RETRY_SECONDS", 5, minimum=1)
# Hit rate (served → watched): a watch counts as a hit when the title was served in one of the
# viewer's Reclio-picked rows at most this many days before it.
FEEDS_HIT_WINDOW_DAYS = env_int("FEEDS_HIT_WINDOW_DAYS", 14, minimum=1)
# What is kept per viewer for it: titles served within this many days, at most this many per row.
FEEDS_HIT_KEEP_DAYS = env_int("FEEDS_HIT_KEEP_DAYS", 90, minimum=1)
FEEDS_HIT_MAX_PER_ROW = env_int("FEEDS_HIT_MAX_PER_ROW", 500, minimum=10)
