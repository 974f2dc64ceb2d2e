"""Short, honest, user-facing reasons for a pick, from the signal that contributed most."""

from __future__ import annotations

import math

from recsys.engine.model import Kind

MAX_TITLE = 120


def _title(title: str) -> str:
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def pick_reason(*, source: str, anchor_title: str | None, anchor_rating: float | None, anchor_kind: int | None) -> str:
    """E.g. "because you watched Heat", "similar to what you rated 9: Heat", "popular right now"."""
    if source in ("cf", "content") and anchor_title:
        title = _title(anchor_title)
        if anchor_rating is not None and not math.isnan(anchor_rating):
            return f"similar to what you rated {anchor_rating:g}: {title}"
        if anchor_kind == Kind.WATCHLIST:
            return f"like {title} on your watchlist"
        return f"because you watched {title}"
    if source == "content":
        return "matches your taste"
    if source == "cf":
        return "liked by viewers with your taste"
    if source == "trend":
        return "popular right now"
    if source == "quality":
        return "highly rated"
    return "popular with everyone"


def similar_reason(*, source: str, seed_title: str) -> str:
    if source == "cf":
        return f"watched together with {_title(seed_title)}"
    return f"similar to {_title(seed_title)}"
