"""Guarded reads: a failing source degrades only what depends on it and is recorded, not raised."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

from catalog import selectors as catalog_selectors

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Reads:
    """Guarded reads for one user's refresh; what failed is kept in ``problems``."""

    user_id: str
    problems: dict[str, str] = field(default_factory=dict)

    def attempt(self, label: str, call: Callable[[], T], default: T) -> T:
        try:
            return call()
        except Exception as exc:
            logger.warning("feeds_source_failed user_id=%s source=%s", self.user_id, label, exc_info=True)
            self.problems[label] = f"{type(exc).__name__}: {exc}"[:300]
            return default

    def items(self, item_ids: Collection[str]) -> dict[str, Any]:
        """Catalog rows (``ContentItem``) by id, for titles and genres; {} when the catalog read fails."""
        if not item_ids:
            return {}
        return self.attempt("items", lambda: dict(catalog_selectors.items_by_ids(item_ids=list(item_ids))), {})
