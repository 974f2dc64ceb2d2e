"""Feeds: the ten ChillLink rows (row size, cold start, list freshness, refresh dedupe).

Every variable is listed in docs/design/feeds.md. The /feeds request path reads none of these
except the hint and lock windows; composition runs in the ``feeds.user_rows_refresh`` task.
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
# Off → rows are never written to Trakt lists and always serve their TMDB queries (accounts that
# cannot hold more lists, or installations without a Trakt app).
FEEDS_WRITE_TRAKT_LISTS = env_bool("FEEDS_WRITE_TRAKT_LISTS", True)
# Short, honest one-line reasons on rows ("Because you rated Heat 9/10").
FEEDS_BLURBS = env_bool("FEEDS_BLURBS", True)
# Hit rate (served → watched): a watch counts as a hit when the title was served in one of the
# viewer's Reclio-picked rows at most this many days before it.
FEEDS_HIT_WINDOW_DAYS = env_int("FEEDS_HIT_WINDOW_DAYS", 14, minimum=1)
# What is kept per viewer for it: titles served within this many days, at most this many per row.
FEEDS_HIT_KEEP_DAYS = env_int("FEEDS_HIT_KEEP_DAYS", 90, minimum=1)
FEEDS_HIT_MAX_PER_ROW = env_int("FEEDS_HIT_MAX_PER_ROW", 500, minimum=10)
