"""Self-tuning at training time: it stays inside its budget, keeps defaults on thin data, and never
picks a blend that loses to popularity on its own validation split."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from recsys.engine import tuning
from recsys.engine.model import SIGNALS, EngineConfig, Interactions, ItemSide, Kind
from recsys.engine.tuning import engine_tune, validation_split

N_ITEMS = 60
POPULAR = np.arange(8)  # items 0-7: what everybody ends up watching


def _world(n_users: int = 60, seed: int = 3) -> tuple[Interactions, ItemSide]:
    """Each viewer watches 8 random niche titles, then 4 of the popular ones (the latest: held out)."""
    rng = np.random.default_rng(seed)
    users, items, times = [], [], []
    for user in range(n_users):
        history = [*rng.choice(np.arange(8, N_ITEMS), size=8, replace=False), *rng.choice(POPULAR, 4, replace=False)]
        for position, item in enumerate(history):
            users.append(user)
            items.append(int(item))
            times.append(float(user * 100 + position))
    n = len(users)
    kinds, values = np.full(n, Kind.VIEW), np.full(n, np.nan)
    data = Interactions(n_users, N_ITEMS, np.array(users), np.array(items), kinds, values, np.array(times))
    vectors = rng.normal(size=(N_ITEMS, 8)).astype(np.float32)  # content that says nothing useful
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return data, ItemSide(vectors=vectors)


def test_validation_split_holds_out_each_viewers_latest_fifth():
    data, _ = _world(n_users=3)
    train, positives = validation_split(data, rng=np.random.default_rng(0))
    assert len(train.users) == 3 * 12 - 3 * 2  # round_half_up(0.2 · 12) = 2 held out per viewer
    for user in range(3):
        latest = data.items[data.users == user][-2:]
        assert sorted(positives[user]) == sorted(latest)
        assert not np.isin(latest, train.items[train.users == user]).any()


def test_thin_data_keeps_the_defaults():
    data, items = _world(n_users=10)
    result = engine_tune(data=data, items=items, base=EngineConfig(), budget_seconds=30)
    assert result.status.startswith("defaults")
    assert result.config == EngineConfig()


def test_zero_budget_keeps_the_defaults():
    data, items = _world()
    result = engine_tune(data=data, items=items, base=EngineConfig(), budget_seconds=0)
    assert result.status == "defaults: no tuning budget"
    assert result.config == EngineConfig()


def test_search_stops_at_the_deadline(monkeypatch: pytest.MonkeyPatch):
    # A clock that moves one second per reading: a 12 s budget allows a handful of readings only.
    clock = itertools.count()
    monkeypatch.setattr(tuning.time, "monotonic", lambda: float(next(clock)))
    evaluated_after_deadline = []
    original = tuning._Slate.ndcg

    def spy(self, weights):
        now = float(next(clock))
        evaluated_after_deadline.append(now > 12)
        return original(self, weights)

    monkeypatch.setattr(tuning._Slate, "ndcg", spy)
    data, items = _world()
    result = engine_tune(data=data, items=items, base=EngineConfig(), budget_seconds=12)
    assert result.trials < 10
    # Only the bookkeeping right after the search (default/popularity/threshold scores) may follow it.
    assert sum(evaluated_after_deadline) <= 4


def test_never_chooses_a_blend_that_loses_to_popularity(monkeypatch: pytest.MonkeyPatch):
    # Start from content alone (random vectors: useless) and search nothing but content weights: every
    # reachable blend loses to popularity, so popularity alone must be chosen.
    monkeypatch.setattr(tuning, "WARM_SEARCH", {"w_content": (0.5, 1.0)})
    monkeypatch.setattr(tuning, "COLD_SEARCH", {"cw_content": (0.5, 1.0)})
    base = EngineConfig(w_cf=0.0, w_content=1.0, w_popularity=0.0, w_quality=0.0, cw_content=1.0, cw_popularity=0.0)
    data, items = _world()
    result = engine_tune(data=data, items=items, base=base, budget_seconds=60)
    assert result.status.startswith("popularity")
    chosen, popularity, default = result.validation_ndcg, result.popularity_ndcg, result.default_ndcg
    assert chosen is not None and popularity is not None and default is not None
    assert chosen >= popularity > default
    assert result.config.w_popularity == 1.0 and result.config.w_content == 0.0
    cold, cold_popularity = result.cold_validation_ndcg, result.cold_popularity_ndcg
    assert cold is not None and cold_popularity is not None and cold >= cold_popularity


def test_tuned_blend_is_at_least_as_good_as_defaults_and_popularity():
    data, items = _world()
    result = engine_tune(data=data, items=items, base=EngineConfig(), budget_seconds=60)
    assert result.validation_users == 60
    chosen, popularity, default = result.validation_ndcg, result.popularity_ndcg, result.default_ndcg
    assert chosen is not None and popularity is not None and default is not None
    assert chosen >= max(default, popularity)
    state = result.as_state()
    assert state["weights"]["w_cf"] == result.config.w_cf
    assert "config" not in state


def test_diversity_stage_meets_the_collaborative_bar_without_losing_to_popularity():
    data, items = _world()
    result = engine_tune(data=data, items=items, base=EngineConfig(), budget_seconds=60)
    record = result.diversity
    assert record["status"] in ("bar met", "bar not met: shipped diversity kept")
    assert result.as_state()["weights"]["novelty"] == result.config.novelty
    if record["status"] == "bar met":
        # the chosen lists are at least as broad and as diverse as CF alone, and still beat popularity
        assert record["validation_coverage"] >= record["bar_coverage"]
        assert record["validation_ild"] >= record["bar_ild"]
        assert result.popularity_ndcg is not None
        assert record["validation_ndcg"] >= result.popularity_ndcg
    else:
        assert (result.config.diversity, result.config.novelty) == (EngineConfig().diversity, EngineConfig().novelty)


N_VIEWERS, WIDTH, N_ITEMS = 30, 40, 60


def _head_slate(head: dict[str, float], tail: Callable[[np.random.Generator], np.ndarray]) -> tuning._Slate:
    """Every viewer's slate holds the same ten head titles (``head`` signal z-scores) and 30 random others
    (``tail``: their cf z-scores)."""
    rng = np.random.default_rng(0)
    items_ = np.stack(
        [np.r_[np.arange(10), rng.choice(np.arange(10, N_ITEMS), WIDTH - 10, replace=False)] for _ in range(N_VIEWERS)]
    )
    z = np.zeros((N_VIEWERS, len(SIGNALS), WIDTH), dtype=np.float32)
    for name, value in head.items():
        z[:, SIGNALS.index(name), :10] = value
    z[:, SIGNALS.index("cf"), 10:] = tail(rng)
    return tuning._Slate(
        z=z,
        hits=np.zeros((N_VIEWERS, WIDTH), np.float32),
        ideal=np.ones(N_VIEWERS),
        sizes=np.full(N_VIEWERS, 10),
        items=items_,
    )


def test_novelty_raises_coverage_on_the_validation_slate():
    # Every viewer's slate ranks the same head titles first; the novelty penalty lets the tail through.
    slate = _head_slate({"popularity": 3.0}, lambda rng: 0.3 * rng.normal(size=(N_VIEWERS, WIDTH - 10)))
    pop01 = np.r_[np.ones(10), np.full(N_ITEMS - 10, 0.2)]
    weights = np.array([1.0 if name in ("cf", "popularity") else 0.0 for name in SIGNALS], dtype=np.float32)
    kwargs: dict[str, Any] = {"lam": 0.0, "vectors": None, "pop01": pop01, "depth": 20}
    plain = tuning.list_stats(slate, weights, novelty=0.0, **kwargs)["all"]
    novel = tuning.list_stats(slate, weights, novelty=0.9, **kwargs)["all"]
    assert plain.coverage == 10 / N_ITEMS
    assert novel.coverage > plain.coverage


def test_exposure_raises_coverage_on_the_validation_slate_where_popularity_cannot_tell_titles_apart():
    # Every viewer's slate ranks the same ten titles first, and every title is equally watched, so
    # the novelty penalty has nothing to go on; the exposure penalty sees the shared head itself.
    slate = _head_slate({"cf": 3.0}, lambda rng: 2.0 + 0.3 * rng.normal(size=(N_VIEWERS, WIDTH - 10)))
    weights = np.array([1.0 if name == "cf" else 0.0 for name in SIGNALS], dtype=np.float32)
    kwargs: dict[str, Any] = {"lam": 0.0, "vectors": None, "pop01": np.full(N_ITEMS, 0.5), "depth": 10}
    plain = tuning.list_stats(slate, weights, novelty=0.9, **kwargs)["all"]
    spread = tuning.list_stats(slate, weights, novelty=0.9, exposure=0.8, **kwargs)["all"]
    assert plain.coverage == 10 / N_ITEMS
    assert spread.coverage > 2 * plain.coverage


def test_a_step_starts_only_if_its_estimated_cost_fits_the_budget():
    # A fake clock: each step takes 5 s; the budget is 12 s.
    now = [0.0]
    budget = tuning.Budget(12.0, clock=lambda: now[0])
    ran = 0
    while budget.fits("trial"):
        with budget.step("trial"):
            now[0] += 5.0
        ran += 1
    # 0-5 and 5-10 fit; at 10 s, 2 s are left and a step costs 5: the third never starts
    assert ran == 2 and budget.spent() == 10.0 <= budget.seconds
    # a kind never measured needs only time left
    assert budget.fits("slate")
    now[0] = 12.0
    assert not budget.fits("slate")


def test_the_search_ends_within_its_budget(monkeypatch: pytest.MonkeyPatch):
    # every scored blend costs 1 s of a fake clock; the search must stop before it runs past 30 s
    now = [0.0]
    monkeypatch.setattr(tuning.time, "monotonic", lambda: now[0])
    original = tuning._Slate.ndcg

    def slow(self, weights):
        now[0] += 1.0
        return original(self, weights)

    monkeypatch.setattr(tuning._Slate, "ndcg", slow)
    data, items = _world()
    result = engine_tune(data=data, items=items, base=EngineConfig(), budget_seconds=30)
    # the search stops with a trial's cost still to spare; only the fixed bookkeeping (default,
    # popularity and threshold scores: a few readings) may follow it
    assert result.trials > 5
    assert result.seconds <= 30 + 6
