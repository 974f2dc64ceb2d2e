"""The harness's diversity stage: the most accurate setting that clears the EASE bar on validation, or none."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from recsys.engine.model import EngineConfig, HybridEngine, ItemSide
from recsys.evaluation.protocol import Metrics, ratings_load, split_temporal
from recsys.evaluation.runner import (
    Context,
    Margin,
    bar_margins,
    engine_exposure,
    interactions_from_ratings,
    metrics_by_half,
    rankings_for,
    tune_engine_diversity,
)
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


def test_settings_that_clear_the_bar_by_the_margin_are_preferred(tmp_path):
    validation, ctx = _setup(tmp_path)
    _, trials = tune_engine_diversity(validation, ctx, params={}, reference=_bar(0.0, 0.0))
    widest = max(metrics["all"].coverage for _, metrics in trials)
    margins = {"all": Margin(coverage=widest - 1e-9), "A": Margin(), "B": Margin()}
    # when: only the settings with the widest lists clear the bar by the margin
    choice, _ = tune_engine_diversity(validation, ctx, params={}, reference=_bar(0.0, 0.0), margins=margins)
    # then: the most accurate of them, not the most accurate overall
    assert choice.met and choice.by_margin
    assert choice.metrics["all"].coverage == widest
    assert choice.ndcg == max(m["all"].ndcg for _, m in trials if m["all"].coverage == widest)


def test_when_no_setting_clears_the_margin_the_plain_bar_decides(tmp_path):
    validation, ctx = _setup(tmp_path)
    plain, _ = tune_engine_diversity(validation, ctx, params={}, reference=_bar(0.0, 0.0))
    margins = {part: Margin(coverage=2.0) for part in ("all", "A", "B")}
    choice, _ = tune_engine_diversity(validation, ctx, params={}, reference=_bar(0.0, 0.0), margins=margins)
    assert choice.met and not choice.by_margin and choice.params == plain.params


def test_the_margin_is_the_bootstrap_spread_of_the_bars_lists(tmp_path):
    validation, ctx = _setup(tmp_path)
    same = {int(u): np.arange(10) for u in validation.eval_users}
    # overlapping lists shifted by 0-14 titles: a resample's coverage depends on which users it draws
    varied = {u: np.arange(10) + i % 15 for i, u in enumerate(same)}
    # every user with the same list: nothing to resample, no margin
    assert all(m.coverage < 1e-9 and m.ild < 1e-9 for m in bar_margins(validation, same, ctx).values())
    spread = bar_margins(validation, varied, ctx)
    assert all(m.coverage > 0 and m.ild > 0 for m in spread.values())


def test_the_harness_estimates_exposure_as_the_trained_engine_does(tmp_path):
    # The engine row must be ranked as production would rank it: the same shares from the same viewers.
    validation, ctx = _setup(tmp_path)
    params: dict[str, Any] = {"exposure": 0.8, "diversity_depth": 5}
    engine = HybridEngine(replace(EngineConfig(), **params)).fit(
        interactions_from_ratings(validation.train),
        ItemSide(vectors=ctx.vectors, catalog_popularity=ctx.catalog_popularity, quality=ctx.quality),
    )
    shares = engine_exposure(validation.train, params, ctx)
    assert shares.any()
    assert np.allclose(shares, engine.fit_exposure().exposure)
    # and the stage searches the penalty: some trial turns it on
    _, trials = tune_engine_diversity(validation, ctx, params={}, reference=_bar(0.0, 0.0))
    assert any(trial["exposure"] > 0 for trial, _ in trials)
