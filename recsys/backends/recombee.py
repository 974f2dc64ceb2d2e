"""The Recombee backend (RECOMMENDER=recombee): a SaaS recommender fed by our pushes.

Reference: https://docs.recombee.com/api. The client, schema, pushes and diagnosis live in
``recsys/recombee/``; this module answers the ``RecommenderBackend`` contract.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import Any

from django.conf import settings

from catalog.contracts import MEDIA_TYPES
from catalog.selectors import items_active_titles
from recsys.backends.base import InteractionsPushFailed, RecommenderBackend, RecommenderError
from recsys.contracts import InteractionsPushed, ScoredItem
from recsys.recombee.client import RecombeeApi, RecombeeCallError, RecombeeSetupError, recombee_api_build
from recsys.recombee.payloads import recommendations_parse
from recsys.recombee.push import (
    PushReport,
    recombee_catalog_push,
    recombee_interactions_push,
    recombee_user_removals_push,
)
from recsys.recombee.reachability import recombee_reachability_get, recombee_reachability_record
from users import selectors as user_selectors
from users.contracts import InteractionKind

logger = logging.getLogger(__name__)

SOURCE = "recombee"
# RecommendItemsToItem needs a target user; for a seed without a viewer we use one fixed id so no
# throwaway users pile up in the Recombee database (https://docs.recombee.com/api#recommend-items-to-item).
ANONYMOUS_TARGET_USER = "reclio-anonymous"
# Recombee may still return titles the viewer has seen or disliked, or titles our catalog dropped:
# we ask for that many more (bounded) plus some slack, and drop them.
MAX_OVERFETCH = 200


def _ask_count(count: int, blocked: int) -> int:
    return count + min(blocked, MAX_OVERFETCH) + max(5, count // 10)


def media_type_filter(media_type: str) -> str:
    """ReQL filter on our `media_type` property (https://docs.recombee.com/reql_filtering_and_boosting)."""
    if media_type not in MEDIA_TYPES:
        raise ValueError(f"unknown media type {media_type!r}")
    return f"'media_type' == \"{media_type}\""


def _blocked_item_ids(*, user_id: str) -> set[str]:
    """Watched or rated titles and explicit dislikes: never recommended (users selectors contract)."""
    blocked = set(user_selectors.user_seen_item_ids(user_id=user_id))
    blocked.update(
        record.item_id
        for record in user_selectors.user_interactions(user_id=user_id)
        if record.kind == InteractionKind.DISLIKE
    )
    return blocked


def _rank_score(rank: int, total: int) -> float:
    # Recombee returns an order, not scores; callers blend scores, so give a rank-based one in (0, 1].
    return round(1.0 - rank / max(total, 1), 4)


class RecombeeBackend(RecommenderBackend):
    name = "recombee"
    supports_user_sync = True
    supports_realtime_events = False
    needs_training = False  # Recombee trains its own models from what we push

    def __init__(self) -> None:
        self._api: RecombeeApi | None = None

    # --- plumbing ------------------------------------------------------------------------------

    def api(self) -> RecombeeApi:
        """The built client (cached). Raises ``RecombeeSetupError`` when it cannot be built."""
        if self._api is None:
            self._api = recombee_api_build()
        return self._api

    def _send(self, request: Any) -> Any:
        try:
            payload = self.api().send(request)
        except RecombeeCallError as exc:
            if exc.unreachable or (exc.status or 0) >= 500:
                recombee_reachability_record(ok=False, reason=str(exc))
            raise
        recombee_reachability_record(ok=True)
        return payload

    @property
    def available(self) -> bool:
        try:
            api = self.api()
        except RecombeeSetupError as exc:
            logger.debug("recombee_unavailable verdict=%s reason=%s", exc.verdict, exc)
            return False
        known = recombee_reachability_get()
        if known is not None:
            return known
        try:
            api_ping = recombee_api_build(timeout_seconds=settings.RECOMBEE_PROBE_TIMEOUT_SECONDS, max_retries=0)
            api_ping.send(api.requests.ListItems(count=1))
        except (RecombeeCallError, RecombeeSetupError) as exc:
            recombee_reachability_record(ok=False, reason=str(exc))
            return False
        recombee_reachability_record(ok=True)
        return True

    # --- recommendations ---------------------------------------------------------------------

    def recommend_for_user(
        self, *, user_id: str, media_type: str, count: int, exclude: Collection[str] = ()
    ) -> list[ScoredItem]:
        """RecommendItemsToUser filtered on media_type; seen, disliked and excluded titles dropped.

        Raises ``RecommenderError`` when Recombee fails (callers keep the previous picks).
        """
        if count <= 0:
            return []
        blocked = _blocked_item_ids(user_id=user_id) | set(exclude)
        api = self.api()
        extra: dict[str, Any] = {}
        if settings.RECOMBEE_SCENARIO_USER:
            extra["scenario"] = settings.RECOMBEE_SCENARIO_USER
        request = api.requests.RecommendItemsToUser(
            str(user_id),
            _ask_count(count, len(blocked)),
            filter=media_type_filter(media_type),
            cascade_create=True,
            **extra,
        )
        recomms = recommendations_parse(self._send(request))
        titles = items_active_titles(item_ids=recomms.item_ids, media_type=media_type)
        picked = [item_id for item_id in recomms.item_ids if item_id in titles and item_id not in blocked][:count]
        return [
            ScoredItem(
                item_id=item_id,
                score=_rank_score(rank, len(picked)),
                reason="picked for you by viewers with similar taste",
                source=SOURCE,
            )
            for rank, item_id in enumerate(picked)
        ]

    def similar_items(
        self, *, item_id: str, count: int, media_type: str | None = None, user_id: str | None = None
    ) -> list[ScoredItem]:
        """RecommendItemsToItem: titles watched by the same viewers as ``item_id``."""
        if count <= 0:
            return []
        blocked = _blocked_item_ids(user_id=user_id) if user_id else set()
        blocked.add(item_id)
        api = self.api()
        extra: dict[str, Any] = {}
        if media_type:
            extra["filter"] = media_type_filter(media_type)
        if settings.RECOMBEE_SCENARIO_ITEM:
            extra["scenario"] = settings.RECOMBEE_SCENARIO_ITEM
        request = api.requests.RecommendItemsToItem(
            item_id,
            str(user_id) if user_id else ANONYMOUS_TARGET_USER,
            _ask_count(count, len(blocked)),
            cascade_create=True,
            **extra,
        )
        recomms = recommendations_parse(self._send(request))
        titles = items_active_titles(item_ids=[*recomms.item_ids, item_id])
        seed_title = titles.get(item_id)
        allowed = items_active_titles(item_ids=recomms.item_ids, media_type=media_type)
        picked = [other for other in recomms.item_ids if other in allowed and other not in blocked][:count]
        reason = f"often watched with {seed_title}" if seed_title else "often watched together"
        return [
            ScoredItem(item_id=other, score=_rank_score(rank, len(picked)), reason=reason, source=SOURCE)
            for rank, other in enumerate(picked)
        ]

    # --- pushes ------------------------------------------------------------------------------

    @staticmethod
    def _raise_on_failure(report: PushReport) -> None:
        if report.failed:
            # Transient by default: the cursor did not move, so a later retry resends the same batch.
            raise RecommenderError(f"Recombee {report.kind} push failed: {report.error}", permanent=False)

    def push_catalog(self, *, item_ids: Sequence[str]) -> int:
        """Send these catalog rows; an empty sequence sends every row changed since the last push.

        Returns how many Recombee confirmed. Raises ``RecommenderError`` when a batch failed (the
        confirmed batches before it stay recorded).
        """
        report = recombee_catalog_push(api=self.api(), item_ids=list(item_ids) or None)
        self._raise_on_failure(report)
        return report.accepted

    def push_interactions(self) -> InteractionsPushed:
        """Send every interaction Recombee has not confirmed (one global cursor plus late rows).

        Raises ``RecommenderError`` when a batch failed (the confirmed batches before it stay recorded).
        """
        report = recombee_interactions_push(api=self.api())
        pushed = InteractionsPushed(accepted=report.accepted, user_ids=tuple(sorted(report.user_ids)))
        if report.failed:
            # Transient: the cursor stayed before the failed batch, so a later run resends it.
            raise InteractionsPushFailed(f"Recombee interactions push failed: {report.error}", pushed=pushed)
        return pushed

    def push_removals(self, *, user_id: str) -> int:
        """Delete the viewer's ratings and bookmarks Recombee holds and we do not."""
        return recombee_user_removals_push(api=self.api(), user_id=str(user_id))
