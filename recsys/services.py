"""Writes of recsys: training the local engine, storing per-user picks, reacting to changes."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalog.contracts import MEDIA_TYPES
from catalog.selectors import item_ids_existing
from reclio.enqueue import enqueue_each_on_commit
from reclio.events import FEEDS_USER_ROWS_REFRESH, send_on_commit
from reclio.queues import BULK_PRIORITY
from recsys.contracts import RecombeeDiagnosis, ScoredItem
from recsys.engine.artifact import TrainedModel, model_save
from recsys.engine.dataset import dataset_build
from recsys.engine.model import EngineConfig, HybridEngine
from recsys.engine.tuning import engine_tune
from recsys.models import EngineState, Recommendation
from recsys.registry import get_recommender_backend
from recsys.selectors import (
    LOCAL_ENGINE_STATE_KEY,
    catalog_rows_for_engine,
    engine_state_get,
    recommendations_for_user,
)
from users import selectors as users_selectors

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainSummary:
    version: str
    users: int
    items: int
    interactions: int
    cf_items: int
    seconds: float
    user_ids: tuple[str, ...]


def _all_interactions() -> Iterable:
    """Every user's interactions from the users app (bulk selector ``interactions_all``)."""
    return users_selectors.interactions_all()


def engine_train(*, config: EngineConfig | None = None) -> TrainSummary:
    """Fit the local engine on every user's interactions and the catalog; save it as the current model."""
    started = time.perf_counter()
    config = config or EngineConfig(max_cf_items=settings.RECSYS_MAX_CF_ITEMS)
    dataset = dataset_build(catalog=catalog_rows_for_engine(), records=_all_interactions())
    tuning = engine_tune(
        data=dataset.interactions, items=dataset.items, base=config, budget_seconds=settings.RECSYS_TUNE_SECONDS
    )
    engine = HybridEngine(tuning.config).fit(dataset.interactions, dataset.items).fit_exposure()
    version = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = model_save(
        TrainedModel(version, dataset.item_ids, dataset.media_types, dataset.titles, engine),
        directory=settings.RECSYS_MODEL_DIR,
    )
    seconds = time.perf_counter() - started
    summary = TrainSummary(
        version=version,
        users=dataset.interactions.n_users,
        items=dataset.interactions.n_items,
        interactions=len(dataset.interactions.users),
        cf_items=len(engine.cf_active),
        seconds=round(seconds, 3),
        user_ids=tuple(dataset.user_ids),
    )
    EngineState.objects.update_or_create(
        key=LOCAL_ENGINE_STATE_KEY,
        defaults={
            "value": {
                "version": version,
                "path": str(path),
                "trained_at": timezone.now().isoformat(),
                "users": summary.users,
                "items": summary.items,
                "interactions": summary.interactions,
                "cf_items": summary.cf_items,
                "seconds": summary.seconds,
                "tuning": tuning.as_state(),
            }
        },
    )
    logger.info(
        "engine_trained version=%s users=%d items=%d interactions=%d seconds=%.1f",
        version,
        summary.users,
        summary.items,
        summary.interactions,
        seconds,
    )
    return summary


def _seen_item_ids(user_id: str) -> set[str]:
    return set(users_selectors.user_seen_item_ids(user_id=user_id))


def user_recommendations_refresh(*, user_id: str, bulk: bool = False) -> int:
    """Score and store picks (both media types) for one user; returns how many rows were stored.

    ``bulk``: part of a fan-out over every viewer (after training), so the rows are recomposed at
    the fan-out's priority, behind any viewer's interactive work (``reclio.queues.BULK_PRIORITY``).

    The backend unavailable → the stored picks stay as they are and 0 is returned (feeds fall back).
    Rows are replaced in one transaction, so readers see the old picks or the new ones, never a mix.
    """
    backend = get_recommender_backend()
    if not backend.available:
        logger.info("user_recommendations_skipped user_id=%s reason=backend_unavailable", user_id)
        return 0
    seen = _seen_item_ids(user_id)
    limit = settings.RECSYS_PICKS_PER_TYPE
    scored = backend.recommend_for_user_by_type(user_id=user_id, media_types=MEDIA_TYPES, count=limit, exclude=seen)
    picks: dict[str, list[ScoredItem]] = {}
    for media_type in MEDIA_TYPES:
        # Belt and braces: whatever a backend returns, never store a seen title or a duplicate.
        unique: dict[str, ScoredItem] = {}
        for item in scored.get(media_type, []):
            if item.item_id not in seen and item.item_id not in unique:
                unique[item.item_id] = item
        picks[media_type] = list(unique.values())[:limit]
    stored = _picks_store(user_id=user_id, picks=picks)
    # feeds (a higher app) rebuilds the rows from the new picks; lower apps never import it.
    send_on_commit(FEEDS_USER_ROWS_REFRESH, bulk=bulk, user_id=str(user_id), last_watched=None)
    return stored


def user_recommendations_preview(*, user_id: str, count: int) -> tuple[bool, dict[str, list[ScoredItem]]]:
    """Score one viewer now without storing anything (``GET /admin/engine/preview``): (live, picks by media type).

    With the backend unavailable (no trained model, Recombee down) the stored picks are shown instead
    and ``live`` is False.
    """
    backend = get_recommender_backend()
    if not backend.available:
        return False, {
            media_type: recommendations_for_user(user_id=user_id, media_type=media_type, limit=count)
            for media_type in MEDIA_TYPES
        }
    seen = _seen_item_ids(user_id)
    scored = backend.recommend_for_user_by_type(user_id=user_id, media_types=MEDIA_TYPES, count=count, exclude=seen)
    picks = {
        media_type: [item for item in scored.get(media_type, []) if item.item_id not in seen][:count]
        for media_type in MEDIA_TYPES
    }
    return True, picks


def _picks_store(*, user_id: str, picks: dict[str, list[ScoredItem]]) -> int:
    all_ids = {item.item_id for items in picks.values() for item in items}
    known = item_ids_existing(item_ids=all_ids)
    rows: list[Recommendation] = []
    for media_type, items in picks.items():
        kept = [item for item in items if item.item_id in known]
        rows.extend(
            Recommendation(
                user_id=user_id,
                media_type=media_type,
                item_id=item.item_id,
                rank=rank,
                score=item.score,
                reason=item.reason[:300],
                source=item.source[:32],
            )
            for rank, item in enumerate(kept)
        )
    with transaction.atomic():
        # Two rescoring runs of one user (the chunked nightly refresh and a sync's notification) may
        # overlap: serialise their delete-then-insert so the second does not collide on the ranks.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"recsys.picks:{user_id}"])
        Recommendation.objects.filter(user_id=user_id, media_type__in=list(picks)).delete()
        Recommendation.objects.bulk_create(rows)
    return len(rows)


def item_similar(*, item_id: str, count: int, media_type: str | None = None) -> list[ScoredItem]:
    """Collaborative item-to-item from the active backend; ``[]`` when it is unavailable or fails."""
    from recsys.backends.base import RecommenderError

    backend = get_recommender_backend()
    if not backend.available:
        return []
    try:
        return backend.similar_items(item_id=item_id, count=count, media_type=media_type)
    except RecommenderError as exc:
        logger.warning("item_similar_failed item_id=%s error=%s", item_id, exc)
        return []


def _trained_model_exists() -> bool:
    # The state can name a file this worker cannot see (another host, a lost container disk):
    # that is "untrained" too, so the next change trains instead of scoring against nothing.
    path = engine_state_get().get("path")
    return isinstance(path, str) and bool(path) and Path(path).exists()


def user_interactions_process(*, user_id: str) -> str:
    """What the ``recsys.user_interactions_changed`` task does; returns what it decided.

    - a backend that keeps its own copy (``supports_user_sync``) gets the new interactions and the
      removals pushed first; the task is sent when the sync commits and the push holds nothing back,
      so the picks computed next already see this viewer's history;
    - no trained local model yet (a fresh instance) → train first (training rescores everyone after);
    - otherwise the user's picks are rescored now against the current model.
    """
    from recsys.tasks import engine_train_task

    backend = get_recommender_backend()
    if backend.supports_user_sync:
        # Other viewers' rows this push carried are rescored by their own event (every sync sends
        # one on commit); the periodic push rescores whatever an event left behind.
        backend.push_interactions()
        backend.push_removals(user_id=user_id)
    elif backend.needs_training and not _trained_model_exists():
        transaction.on_commit(lambda: engine_train_task.delay())
        return "train"
    user_recommendations_refresh(user_id=user_id)
    return "refreshed"


def catalog_changed(*, item_ids: Sequence[str]) -> int:
    """Catalog rows changed: push them when the backend keeps a copy; the local engine retrains on schedule."""
    backend = get_recommender_backend()
    if not backend.supports_user_sync:
        return 0
    return backend.push_catalog(item_ids=list(item_ids))


def recommender_push_run() -> dict[str, int]:
    """Send the backend everything it has not confirmed (catalog rows, interactions), then rescore
    the viewers whose interactions this run delivered.

    The periodic safety net for backends that keep their own copy (Recombee): it picks up what the
    per-event pushes left behind (a failed batch, retries used up, a lost message). Picks scored
    before those rows arrived were generic, so their viewers are rescored now (in chunks, after
    commit) instead of at the next nightly run. The local engine reads the database directly, so
    there is nothing to push.
    """
    backend = get_recommender_backend()
    if not backend.supports_user_sync:
        return {"catalog": 0, "interactions": 0, "rescored": 0}
    from recsys.backends.base import InteractionsPushFailed

    catalog = backend.push_catalog(item_ids=[])
    try:
        pushed = backend.push_interactions()
    except InteractionsPushFailed as exc:
        users_recommendations_refresh_enqueue(user_ids=list(exc.pushed.user_ids))
        raise
    users_recommendations_refresh_enqueue(user_ids=list(pushed.user_ids))
    return {"catalog": catalog, "interactions": pushed.accepted, "rescored": len(pushed.user_ids)}


def recommender_nightly_run() -> TrainSummary:
    """The nightly job: train the local engine when the backend scores from it, then (the task) rescore
    every viewer with history. A backend that trains itself (``needs_training`` false) skips training."""
    if get_recommender_backend().needs_training:
        return engine_train()
    user_ids = tuple(users_selectors.user_ids_with_interactions())
    logger.info("engine_train_skipped reason=backend_trains_itself users=%d", len(user_ids))
    return TrainSummary(
        version="", users=len(user_ids), items=0, interactions=0, cf_items=0, seconds=0.0, user_ids=user_ids
    )


def engine_train_enqueue() -> int:
    """Queue one training run on the recsys queue after commit (admin, Operations page; beat sends the same task)."""
    from recsys.tasks import engine_train_task

    transaction.on_commit(lambda: engine_train_task.delay())
    return 1


def users_recommendations_refresh_enqueue(*, user_ids: Sequence[str], chunk: int = 100) -> int:
    """Fan out rescoring in chunks on the recsys queue (after commit); returns the number of chunks.

    The chunks go at the fan-out's priority: a viewer's own rescoring (new interactions) runs first.
    """
    from recsys.tasks import users_recommendations_refresh_task

    chunks = [list(user_ids[i : i + chunk]) for i in range(0, len(user_ids), chunk)]
    # A chunk whose send fails is logged and left out: those viewers keep yesterday's picks until
    # the next training; the other chunks still go (reclio.enqueue).
    return enqueue_each_on_commit(
        lambda ids: users_recommendations_refresh_task.apply_async(kwargs={"user_ids": ids}, priority=BULK_PRIORITY),
        chunks,
        what="users_recommendations_refresh",
    )


def recombee_diagnosis_run(*, write_test: bool = False) -> RecombeeDiagnosis:
    """Why Recombee does (not) work: one verdict with facts and next steps. Never raises.

    ``write_test`` writes a probe item, reads it back and deletes it. The admin API and the
    ``recombee_diagnose`` command call this; the hourly probe runs the same diagnosis.
    """
    # Imported here: the Recombee integration loads only when someone asks about Recombee.
    from recsys.recombee.diagnosis import recombee_diagnose

    return recombee_diagnose(write_test=write_test)
