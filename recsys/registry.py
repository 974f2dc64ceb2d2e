"""RECOMMENDER → backend class, imported lazily and cached (healthchecks' TRANSPORTS pattern).

A backend whose module cannot be imported (e.g. the Recombee SDK is missing) becomes the
``UnavailableBackend`` null object: ``available`` is False and every call returns nothing, so
callers take their fallback path instead of crashing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence

from django.conf import settings
from django.utils.module_loading import import_string

from recsys.backends.base import RecommenderBackend
from recsys.contracts import InteractionsPushed, ScoredItem

logger = logging.getLogger(__name__)

BACKENDS: dict[str, str] = {
    "local": "recsys.backends.local.LocalBackend",
    "recombee": "recsys.backends.recombee.RecombeeBackend",
}

_lock = threading.Lock()
_instance: RecommenderBackend | None = None
_instance_key: str | None = None


class UnavailableBackend(RecommenderBackend):
    """The null object for a backend that could not be loaded; says why in ``reason``."""

    name = "unavailable"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    @property
    def available(self) -> bool:
        return False

    def recommend_for_user(
        self, *, user_id: str, media_type: str, count: int, exclude: Collection[str] = ()
    ) -> list[ScoredItem]:
        return []

    def similar_items(
        self, *, item_id: str, count: int, media_type: str | None = None, user_id: str | None = None
    ) -> list[ScoredItem]:
        return []

    def push_catalog(self, *, item_ids: Sequence[str]) -> int:
        return 0

    def push_interactions(self) -> InteractionsPushed:
        return InteractionsPushed()

    def push_removals(self, *, user_id: str) -> int:
        return 0


def _setting_key() -> str:
    return settings.RECOMMENDER.value


def get_recommender_backend() -> RecommenderBackend:
    """The configured backend (one instance per process and setting value)."""
    global _instance, _instance_key
    key = _setting_key()
    with _lock:
        if _instance is not None and _instance_key == key:
            return _instance
        dotted = BACKENDS.get(key)
        if dotted is None:
            backend: RecommenderBackend = UnavailableBackend(f"unknown RECOMMENDER {key!r}")
        else:
            try:
                backend = import_string(dotted)()
            except Exception as exc:  # noqa: BLE001 - an SDK import or init failure must degrade, not crash
                logger.warning("recommender_backend_unavailable backend=%s error=%s", key, exc)
                backend = UnavailableBackend(f"{dotted} could not be loaded: {exc}")
        _instance, _instance_key = backend, key
        return backend


def recommender_backend_reset() -> None:
    """Forget the cached instance (tests, and after settings change at runtime)."""
    global _instance, _instance_key
    with _lock:
        _instance, _instance_key = None, None
