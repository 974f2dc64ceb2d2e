"""The recommender backend contract. One module per vendor; chosen by RECOMMENDER via the registry."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from recsys.contracts import InteractionsPushed, ScoredItem


class RecommenderError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class InteractionsPushFailed(RecommenderError):
    """A push stopped at a failed batch; ``pushed`` is what the batches before it confirmed (those
    viewers still get rescored: the next push will not carry their rows again)."""

    def __init__(self, message: str, *, pushed: InteractionsPushed) -> None:
        super().__init__(message, permanent=False)
        self.pushed = pushed


class RecommenderBackend:
    name = "base"
    # Capabilities callers branch on (never on the vendor's name).
    supports_user_sync = False  # needs catalog/interactions pushed to it (push_* do real work)
    supports_realtime_events = False
    needs_training = False  # scores from a model we fit ourselves (the nightly job trains it first)

    @property
    def available(self) -> bool:
        """False → callers use their fallback (e.g. the Recommended For You rows fall back to TMDB)."""
        raise NotImplementedError

    def recommend_for_user(
        self, *, user_id: str, media_type: str, count: int, exclude: Collection[str] = ()
    ) -> list[ScoredItem]:
        """Up to ``count`` titles of ``media_type`` ("movie"/"tv") for the user, best first.

        Never returns what the user watched or rated, titles they disliked, or ids in ``exclude``.
        Each result carries a score and a short reason.
        """
        raise NotImplementedError

    def recommend_for_user_by_type(
        self, *, user_id: str, media_types: Sequence[str], count: int, exclude: Collection[str] = ()
    ) -> dict[str, list[ScoredItem]]:
        """``recommend_for_user`` for each media type; a backend that can score them together overrides it."""
        return {
            media_type: self.recommend_for_user(user_id=user_id, media_type=media_type, count=count, exclude=exclude)
            for media_type in media_types
        }

    def similar_items(
        self, *, item_id: str, count: int, media_type: str | None = None, user_id: str | None = None
    ) -> list[ScoredItem]:
        """Titles similar to ``item_id`` in the collaborative (co-watch) sense, best first."""
        raise NotImplementedError

    def push_catalog(self, *, item_ids: Sequence[str]) -> int:
        """Send catalog rows the backend needs; returns how many were accepted. No-op when not needed."""
        return 0

    def push_interactions(self) -> InteractionsPushed:
        """Send every interaction the backend has not confirmed yet, whoever it belongs to.

        Returns how many it confirmed and whose, so callers rescore those viewers: picks computed
        before a viewer's history reached the backend are generic. A row committed before the call
        is in the backend when it returns (nothing is held back). No-op when not needed.
        """
        return InteractionsPushed()

    def push_removals(self, *, user_id: str) -> int:
        """Drop from the backend's copy what the viewer no longer has (removed ratings, watchlist
        entries, a replaced rating); returns how many were dropped. No-op when not needed."""
        return 0
