"""Reads of recsys state: stored picks (what feeds shows) and the engine's training state."""

from __future__ import annotations

import uuid
from typing import Any

from recsys.contracts import ScoredItem
from recsys.models import EngineState, Recommendation

LOCAL_ENGINE_STATE_KEY = "local_engine"


def recommendations_for_user(*, user_id: str, media_type: str, limit: int = 50) -> list[ScoredItem]:
    """The stored picks, best first (a cheap indexed read; no scoring). ``[]`` for a malformed id."""
    try:
        user_uuid = uuid.UUID(str(user_id))
    except ValueError:
        return []
    rows = (
        Recommendation.objects.filter(user_id=user_uuid, media_type=media_type)
        .order_by("rank")
        .values_list("item_id", "score", "reason", "source")[:limit]
    )
    return [ScoredItem(item_id=i, score=s, reason=r, source=src) for i, s, r, src in rows]


def engine_state_get(*, key: str = LOCAL_ENGINE_STATE_KEY) -> dict[str, Any]:
    row = EngineState.objects.filter(key=key).values_list("value", flat=True).first()
    return dict(row or {})


def engine_model_path() -> str | None:
    return engine_state_get().get("path")


def catalog_rows_for_engine() -> list:
    """Every recommendable catalog title with its priors and vector, for training.

    Reads ``catalog.ContentItem`` directly (a read, never a write): the catalog app has no bulk
    selector for this yet; move it behind one when it exists.
    """
    from catalog.models import ContentItem, TmdbStatus
    from recsys.engine.dataset import CatalogRow

    rows = (
        ContentItem.objects.filter(adult=False)
        .exclude(tmdb_status=TmdbStatus.GONE)
        .order_by("item_id")
        .values_list("item_id", "media_type", "title", "vote_average", "vote_count", "embedding")
        .iterator(chunk_size=2000)
    )
    return [
        CatalogRow(
            item_id=i,
            media_type=m,
            title=t,
            vote_average=va or 0.0,
            vote_count=vc or 0,
            vector=list(e) if e is not None else None,
        )
        for i, m, t, va, vc, e in rows
    ]
