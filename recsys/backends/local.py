"""The local engine as a recommender backend: no SaaS, nothing to sign up for.

Scoring reads the newest trained artefact (``recsys.services.engine_train`` writes it) and the
user's current interactions, so a pick reflects what was watched since the last training run even
though the collaborative weights are from that run.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from recsys.backends.base import RecommenderBackend
from recsys.contracts import ScoredItem
from recsys.engine.artifact import TrainedModel, model_load_cached
from recsys.engine.dataset import history_arrays
from recsys.engine.reasons import pick_reason, similar_reason

logger = logging.getLogger(__name__)


class LocalBackend(RecommenderBackend):
    name = "local"
    supports_user_sync = False  # it reads our own tables; nothing to push
    supports_realtime_events = False
    needs_training = True  # the nightly job fits it before rescoring

    def _model(self) -> TrainedModel | None:
        from recsys.selectors import engine_model_path

        path = engine_model_path()
        if path is None or not Path(path).exists():
            return None
        try:
            return model_load_cached(Path(path))
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("local_engine_model_unreadable path=%s error=%s", path, exc)
            return None

    @property
    def available(self) -> bool:
        """True once a model has been trained (until then the Recommended rows fall back)."""
        return self._model() is not None

    def recommend_for_user(
        self, *, user_id: str, media_type: str, count: int, exclude: Collection[str] = ()
    ) -> list[ScoredItem]:
        return self.recommend_for_user_by_type(
            user_id=user_id, media_types=(media_type,), count=count, exclude=exclude
        ).get(media_type, [])

    def recommend_for_user_by_type(
        self, *, user_id: str, media_types: Sequence[str], count: int, exclude: Collection[str] = ()
    ) -> dict[str, list[ScoredItem]]:
        """One scoring of the history for every media type (the nightly rescoring asks for both)."""
        model = self._model()
        if model is None:
            return {}
        from users import selectors as users_selectors

        records = list(users_selectors.user_interactions(user_id=user_id))
        items, kinds, values, times = history_arrays(records=records, index=model.index)
        engine = model.engine
        H = engine.history_row(items=items, kinds=kinds, values=values, times=times)
        excluded = np.array([model.index[i] for i in exclude if i in model.index], dtype=np.int64)
        ratings = {int(i): float(v) for i, k, v in zip(items, kinds, values, strict=True) if not np.isnan(v)}
        kind_of = {int(i): int(k) for i, k in zip(items, kinds, strict=True)}
        picks = engine.recommend_rows(
            H=H,
            # "Popular right now" means now in production (inf → the newest interactions in the model);
            # the harness uses each user's own last activity because its users live in the past.
            last_time=float("inf"),
            ratings=ratings,
            count=count,
            allowed={media_type: model.media_types == media_type for media_type in media_types},
            exclude=excluded,
        )
        return {
            media_type: [
                ScoredItem(
                    item_id=str(model.item_ids[pick.item]),
                    score=round(float(pick.score), 6),
                    reason=pick_reason(
                        source=pick.source,
                        anchor_title=str(model.titles[pick.anchor]) if pick.anchor is not None else None,
                        anchor_rating=pick.anchor_rating,
                        anchor_kind=kind_of.get(pick.anchor) if pick.anchor is not None else None,
                    ),
                    source=pick.source,
                )
                for pick in media_picks
            ]
            for media_type, media_picks in picks.items()
        }

    def similar_items(
        self, *, item_id: str, count: int, media_type: str | None = None, user_id: str | None = None
    ) -> list[ScoredItem]:
        """Co-watch neighbours from the EASE weights; titles outside the CF set use content vectors."""
        model = self._model()
        if model is None or item_id not in model.index:
            return []
        engine = model.engine
        seed = model.index[item_id]
        scores = np.full(engine.n_items, -np.inf)
        source = "cf"
        position = int(np.searchsorted(engine.cf_active, seed)) if engine.cf_B.size else 0
        if engine.cf_B.size and position < len(engine.cf_active) and engine.cf_active[position] == seed:
            scores[engine.cf_active] = engine.cf_B[position]
        elif engine.items.vectors is not None and np.any(engine.items.vectors[seed]):
            scores = engine.items.vectors @ engine.items.vectors[seed]
            source = "content"
        else:
            return []
        scores[seed] = -np.inf
        if media_type is not None:
            scores[model.media_types != media_type] = -np.inf
        order = np.argsort(-scores, kind="stable")[:count]
        seed_title = str(model.titles[seed])
        return [
            ScoredItem(
                item_id=str(model.item_ids[i]),
                score=round(float(scores[i]), 6),
                reason=similar_reason(source=source, seed_title=seed_title),
                source=source,
            )
            for i in order
            if np.isfinite(scores[i]) and scores[i] > 0
        ]
