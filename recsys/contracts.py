"""Frozen dataclasses that cross the recsys boundary (backends → services → feeds)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScoredItem:
    item_id: str  # catalog item id: movie_{tmdb} / tv_{tmdb}
    score: float
    reason: str = ""  # short, honest, user-facing: "because you watched Heat"
    source: str = ""  # which signal produced it: "cf", "content", "popularity", "recombee", …
