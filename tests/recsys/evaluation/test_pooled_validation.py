"""Validation pooled over several splits (the time split's inner folds): one evaluation per (split, user)."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.evaluation.protocol import ratings_load, split_by_time_folds, split_temporal
from recsys.evaluation.runner import Context, evaluate_model, tune_engine, validation_ndcg
from tests.recsys.evaluation.test_evaluate_command import _write_world


def _world(tmp_path):
    ratings_path, _ = _write_world(tmp_path, interleaved=True)
    ratings = ratings_load(ratings_path)
    ctx = Context(n_items=ratings.n_items, catalog_popularity=np.arange(ratings.n_items, dtype=np.float64))
    return ratings, ctx


def test_pooled_ndcg_is_the_mean_over_every_split_user_pair(tmp_path):
    ratings, ctx = _world(tmp_path)
    folds = [fold.split for fold in split_by_time_folds(ratings, quantiles=(0.5, 0.7, 0.9))]
    folds = [split for split in folds if len(split.eval_users)]
    assert len(folds) >= 2
    per_user = [n for split in folds for n in evaluate_model("engine", split, {}, ctx, solo=False).per_user_ndcg]
    assert validation_ndcg("engine", folds, {}, ctx, solo=False) == pytest.approx(np.mean(per_user))
    # one split: exactly the split's own NDCG@10
    single = evaluate_model("engine", folds[0], {}, ctx, solo=False).ndcg
    assert validation_ndcg("engine", folds[0], {}, ctx, solo=False) == pytest.approx(single)


def test_tune_engine_on_pooled_splits_reports_the_pooled_figure_of_its_choice(tmp_path):
    ratings, ctx = _world(tmp_path)
    folds = [fold.split for fold in split_by_time_folds(ratings, quantiles=(0.5, 0.7, 0.9))]
    search: dict[str, tuple[float, ...]] = {"w_popularity": (0.0, 1.0), "w_cf": (0.0, 1.0)}
    params, best, trials = tune_engine(folds, ctx, solo=False, rounds=1, search=search)
    assert best == pytest.approx(max(ndcg for _, ndcg in trials))
    assert validation_ndcg("engine", folds, params, ctx, solo=False) == pytest.approx(best)
    assert validation_ndcg("engine", split_temporal(ratings), params, ctx, solo=False) >= 0.0


def test_models_tuned_chooses_accuracy_knobs_on_the_accuracy_validation(tmp_path):
    from recsys.evaluation.report import EvaluationRequest, models_tuned

    ratings, ctx = _world(tmp_path)
    validation = split_temporal(split_temporal(ratings).train)
    folds = [fold.split for fold in split_by_time_folds(ratings, quantiles=(0.5, 0.7, 0.9))]
    request = EvaluationRequest(ratings=tmp_path / "ratings.csv", movies=tmp_path / "movies.csv", content="none")
    (ease,) = models_tuned(("ease",), validation, ctx, train=None, request=request, accuracy_validation=folds)
    assert ease.validation_ndcg == pytest.approx(validation_ndcg("ease", folds, ease.params, ctx, solo=False))
    grid = [{"lam": lam} for lam in (100.0, 250.0, 500.0, 1000.0)]
    assert ease.validation_ndcg == pytest.approx(max(validation_ndcg("ease", folds, g, ctx, solo=False) for g in grid))
