"""Health probe of the feeds: can /feeds read prepared rows, and are the rows being refreshed?

Listed in ``admin_tools.probes.SCHEDULED_PROBES``. One aggregate query over a one-row-per-user
table; never raises (``reclio.health.probe_guarded`` also wraps it).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from feeds import rows
from feeds.middleware import middleware_fallbacks_recent
from feeds.models import PreparedFeeds
from reclio.health import ProbeResult

# More than this share of users whose last refresh had problems points at a systemic failure
# (recommender or Trakt writer down) rather than one odd account.
PROBLEM_SHARE_LIMIT = 0.5
# /feeds requests answered with generic rows because they failed before or around the view, in about
# the last hour: a few are strangers with odd requests; many mean every viewer gets generic rows.
MIDDLEWARE_FALLBACK_LIMIT = 50


def feeds_probe() -> ProbeResult:
    started = time.perf_counter()

    def elapsed() -> float:
        return (time.perf_counter() - started) * 1000

    defaults = rows.default_feeds()
    if len(defaults) != 10 or not all(rows.feed_is_valid(feed) for feed in defaults):
        return ProbeResult("feeds", False, "default document is invalid", elapsed())
    stale_before = timezone.now() - timedelta(hours=settings.FEEDS_LIST_MAX_AGE_HOURS)
    try:
        counts = PreparedFeeds.objects.aggregate(
            users=Count("user_id"),
            stale=Count("user_id", filter=Q(computed_at__lt=stale_before)),
            with_problems=Count("user_id", filter=~Q(problems={})),
        )
    except Exception as exc:  # noqa: BLE001 - reported, /feeds itself still serves fallbacks
        return ProbeResult("feeds", False, f"prepared rows unreadable: {type(exc).__name__}", elapsed())
    facts: dict[str, object] = dict(counts)
    try:
        refused = middleware_fallbacks_recent()
    except Exception:  # noqa: BLE001 - Redis down: the redis probe says so
        refused = {}
    facts["refused_requests_last_hour"] = refused_total = sum(refused.values())
    facts["refused_by_reason"] = {reason: n for reason, n in refused.items() if n}
    if refused_total > MIDDLEWARE_FALLBACK_LIMIT:
        reasons = ", ".join(f"{n} {reason}" for reason, n in refused.items() if n)
        return ProbeResult(
            "feeds",
            False,
            f"{refused_total} /feeds requests in the last hour got generic rows because the request was refused "
            f"({reasons}); a bad_request on every request usually means ALLOWED_HOSTS misses the host Chillio calls",
            elapsed(),
            facts,
        )
    users = counts["users"] or 0
    if users and counts["with_problems"] / users > PROBLEM_SHARE_LIMIT:
        return ProbeResult(
            "feeds", False, f"{counts['with_problems']} of {users} users' last refresh had problems", elapsed(), facts
        )
    return ProbeResult(
        "feeds",
        True,
        f"{users} users with prepared rows, {counts['stale']} older than {settings.FEEDS_LIST_MAX_AGE_HOURS} h",
        elapsed(),
        facts,
    )
