"""Reads of recsys state: stored picks (what feeds shows) and the engine's training state."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from catalog.selectors import items_recommendable
from recsys.contracts import ScoredItem
from recsys.models import EngineState, Recommendation

if TYPE_CHECKING:
    from recsys.engine.dataset import CatalogRow

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


def catalog_rows_for_engine() -> list[CatalogRow]:
    """Every recommendable catalog title with its priors and vector, for training."""
    # Imported here: the engine pulls in scipy, which the web tier reading picks never needs.
    from recsys.engine.dataset import CatalogRow

    return [
        CatalogRow(
            item_id=item.item_id,
            media_type=item.media_type,
            title=item.title,
            vote_average=item.vote_average or 0.0,
            vote_count=item.vote_count or 0,
            vector=list(item.embedding) if item.embedding is not None else None,
        )
        for item in items_recommendable()
    ]


def evaluation_latest() -> dict[str, Any]:
    """The newest offline evaluation table ``manage.py evaluate`` wrote (``results-<mode>.csv`` in
    ``RECSYS_EVAL_RESULTS_DIR``), and what the trained engine records about its own tuning, if anything."""
    import csv
    import datetime as dt

    from django.conf import settings

    directory = settings.RECSYS_EVAL_RESULTS_DIR
    tables = sorted(directory.glob("results-*.csv"), key=lambda p: p.stat().st_mtime, reverse=True)
    state = engine_state_get()
    # Whatever the training stored beside the model about its weights (keys vary by engine version).
    engine = {
        key: state[key] for key in ("version", "trained_at", "weights", "tuned", "params", "tuning") if key in state
    }
    if not tables:
        return {"mode": None, "path": None, "modified_at": None, "rows": [], "engine": engine}
    latest = tables[0]
    with latest.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        "mode": latest.stem.removeprefix("results-"),
        "path": str(latest),
        "modified_at": dt.datetime.fromtimestamp(latest.stat().st_mtime, tz=dt.UTC),
        "rows": rows,
        "engine": engine,
    }
