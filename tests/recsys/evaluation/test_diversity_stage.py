"""The harness's diversity stage: the most accurate setting that clears the EASE bar on validation, or none."""

from __future__ import annotations

import numpy as np

from recsys.evaluation.protocol import Metrics, ratings_load, split_temporal
from recsys.evaluation.runner import Context, metrics_by_half, rankings_for, tune_engine_diversity
from tests.recsys.evaluation.test_evaluate_command import _write_world


def _setup(tmp_path):
    ratings_path, _ = _write_world(tmp_path)
    ratings = ratings_load(ratings_path)
    validation = split_temporal(split_temporal(ratings).train)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(ratings.n_items, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ctx = Context(n_items=ratings.n_items, vectors=vectors, catalog_popularity=np.zeros(ratings.n_items))
    return validation, ctx


def _bar(coverage: float, ild: float) -> dict[str, Metrics]:
    return {part: Metrics(ndcg=0.0, recall=0.0, coverage=coverage, users=1, ild=ild) for part in ("all", "A", "B")}


def test_a_bar_every_setting_clears_yields_the_most_accurate_setting(tmp_path):
    validation, ctx = _setup(tmp_path)
    choice, trials = tune_engine_diversity(validation, ctx, params={}, reference=_bar(0.0, 0.0))
    assert choice.met
    assert choice.ndcg == max(metrics["all"].ndcg for _, metrics in trials)
    again = metrics_by_half(validation, rankings_for("engine", validation, choice.params, ctx, solo=False), ctx)
    assert again["all"].ndcg == choice.ndcg  # the recorded figure is the chosen setting's own


def test_an_unreachable_bar_keeps_the_params(tmp_path):
    validation, ctx = _setup(tmp_path)
    params = {"w_content": 0.5}
    choice, trials = tune_engine_diversity(validation, ctx, params=params, reference=_bar(1.01, 0.0))
    assert not choice.met and choice.params == params
    assert all(metrics["all"].coverage <= 1.0 for _, metrics in trials)
