"""The engine on small synthetic worlds where the right answer is known."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from recsys.engine.model import EngineConfig, HybridEngine, Interactions, ItemSide, Kind, mmr_order

# Items 0-4 are sci-fi, 5-9 are romance. Unit vectors: sci-fi along axis 0, romance along axis 1.
N_ITEMS = 10
SCIFI, ROMANCE = list(range(5)), list(range(5, 10))


def _vectors() -> np.ndarray:
    vectors = np.zeros((N_ITEMS, 3), dtype=np.float32)
    vectors[SCIFI, 0] = 1.0
    vectors[ROMANCE, 1] = 1.0
    vectors[:, 2] = np.linspace(0.0, 0.2, N_ITEMS)  # a little spread so neighbours are ordered
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _interactions(rows: Sequence[tuple[int, int, int, float]], n_users: int) -> Interactions:
    users, items, kinds, values = zip(*rows, strict=True) if rows else ((), (), (), ())
    arrays = (np.asarray(users), np.asarray(items), np.asarray(kinds), np.asarray(values))
    return Interactions(n_users, N_ITEMS, *arrays, np.arange(len(rows), dtype=float))


def mmr_rerank(items: np.ndarray, scores: np.ndarray, vectors: np.ndarray, **options: Any) -> list[int]:
    """``mmr_order`` for one list: ``items`` in their re-ranked order."""
    penalty = options.pop("penalty", None)
    order = mmr_order(
        np.asarray(scores, dtype=np.float64)[None, :],
        np.asarray(vectors)[None, :, :],
        penalty=None if penalty is None else np.asarray(penalty)[None, :],
        **options,
    )[0]
    return [int(items[i]) for i in order]


def _content_only_config(**profile: Any) -> EngineConfig:
    """Warm (community) weights rank by content only; ``profile`` sets the cold or solo weights under test."""
    return EngineConfig(w_content=1.0, w_popularity=0.0, w_quality=0.0, w_cf=0.0, **profile)


def _quality_side() -> ItemSide:
    # Sci-fi is what the users watch (close by content), romance is "better" (higher quality).
    return ItemSide(vectors=_vectors(), quality=np.array([0, 0, 0, 0, 0, 9, 8, 7, 6, 5], dtype=float))


def _community() -> list[tuple[int, int, Kind, float]]:
    # Users 0-5 watch all sci-fi, users 6-11 all romance; user 12 watched sci-fi 0-3 only.
    rows = []
    for user in range(6):
        rows += [(user, item, Kind.VIEW, np.nan) for item in SCIFI]
    for user in range(6, 12):
        rows += [(user, item, Kind.VIEW, np.nan) for item in ROMANCE]
    rows += [(12, item, Kind.VIEW, np.nan) for item in SCIFI[:4]]
    return rows


def test_collaborative_signal_recommends_the_missing_title_of_the_users_cluster():
    # given
    engine = HybridEngine(
        EngineConfig(ease_lambda=1.0, w_content=0.0, w_trend=0.0, w_popularity=0.0, w_quality=0.0, cold_threshold=0)
    )
    engine.fit(_interactions(_community(), 13))
    # when
    picks = engine.recommend(user=12, count=3)
    # then: sci-fi 4 first, explained by a watched sci-fi title, never a watched one
    assert picks[0].item == 4
    assert picks[0].source == "cf"
    assert picks[0].anchor in SCIFI[:4]
    assert not {p.item for p in picks} & set(SCIFI[:4])


def test_one_user_instance_ranks_by_content_when_collaborative_filtering_has_nothing_to_learn():
    # given: a single user who watched two sci-fi titles; no other users at all
    rows = [(0, 0, Kind.VIEW, np.nan), (0, 1, Kind.VIEW, np.nan)]
    engine = HybridEngine(EngineConfig()).fit(_interactions(rows, 1), ItemSide(vectors=_vectors()))
    # when
    picks = engine.recommend(user=0, count=3)
    # then: the three remaining sci-fi titles, because of content
    assert {p.item for p in picks} == {2, 3, 4}
    assert {p.source for p in picks} == {"content"}
    assert engine.cf_B.size == 0


def test_a_low_rating_is_a_negative_that_pushes_similar_titles_down():
    # given: loved romance 5 (10/10), hated sci-fi 0 (3/10)
    rows = [(0, 5, Kind.RATING, 10.0), (0, 0, Kind.RATING, 3.0)]
    engine = HybridEngine(EngineConfig()).fit(_interactions(rows, 1), ItemSide(vectors=_vectors()))
    # when
    ranked = [p.item for p in engine.recommend(user=0, count=8)]
    # then: every romance title ranks above every sci-fi title, and neither rated title comes back
    assert ranked[:4] == sorted(ranked[:4]) and set(ranked[:4]) == {6, 7, 8, 9}
    assert set(ranked[4:]) == {1, 2, 3, 4}
    picks = engine.recommend(user=0, count=1)
    assert picks[0].anchor == 5 and picks[0].anchor_rating == 10.0


def test_without_vectors_or_other_users_priors_still_rank_and_nothing_seen_returns():
    # given: no embeddings (EMBEDDING_PROVIDER=none), one user, catalog priors only
    rows = [(0, 0, Kind.VIEW, np.nan)]
    quality = np.array([9, 1, 2, 3, 8, 4, 5, 6, 7, 0], dtype=float)
    engine = HybridEngine(EngineConfig(cw_popularity=0.0, cw_quality=1.0)).fit(
        _interactions(rows, 1), ItemSide(quality=quality)
    )
    # when
    picks = engine.recommend(user=0, count=3)
    # then
    assert [p.item for p in picks] == [4, 8, 7]
    assert {p.source for p in picks} == {"quality"}


def test_watchlist_counts_as_intent():
    rows = [(0, 6, Kind.WATCHLIST, np.nan)]
    engine = HybridEngine(EngineConfig()).fit(_interactions(rows, 1), ItemSide(vectors=_vectors()))
    picks = engine.recommend(user=0, count=4)
    assert {p.item for p in picks} == {5, 7, 8, 9}


def test_allowed_mask_and_exclusions_are_respected():
    engine = HybridEngine(EngineConfig()).fit(_interactions(_community(), 13), ItemSide(vectors=_vectors()))
    allowed = np.zeros(N_ITEMS, dtype=bool)
    allowed[[4, 7, 8]] = True
    picks = engine.recommend(user=12, count=5, allowed=allowed, exclude=np.array([4]))
    assert [p.item for p in picks] == [7, 8] or [p.item for p in picks] == [8, 7]


def test_history_row_from_fresh_records_scores_like_the_training_row():
    # given: a trained community model and user 12's history given as raw arrays
    engine = HybridEngine(EngineConfig()).fit(_interactions(_community(), 13), ItemSide(vectors=_vectors()))
    items = np.array(SCIFI[:4])
    H = engine.history_row(items=items, kinds=np.zeros(4, np.int8), values=np.full(4, np.nan), times=np.arange(4.0))
    # when
    picks = engine.recommend_row(H=H, last_time=np.inf, ratings={}, count=1)
    # then
    assert picks[0].item == 4


@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_mmr_keeps_the_best_first_and_spreads_the_rest(lam):
    vectors = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    order = mmr_rerank(np.array([10, 11, 12]), np.array([1.0, 0.9, 0.8]), vectors, lam=lam, depth=3)
    assert order[0] == 10
    assert order == ([10, 11, 12] if lam == 0.0 else [10, 12, 11])


def test_thin_histories_use_the_cold_weights():
    # given: cold weights rank by quality only, warm weights by content only
    config = _content_only_config(solo_max_users=0, cold_threshold=2, cw_content=0.0, cw_popularity=0.0, cw_quality=1.0)
    one = [(0, 0, Kind.VIEW, np.nan)]
    two = [(0, 0, Kind.VIEW, np.nan), (0, 1, Kind.VIEW, np.nan)]
    side = _quality_side()
    # when
    cold = HybridEngine(config).fit(_interactions(one, 1), side).recommend(user=0, count=1)
    warm = HybridEngine(config).fit(_interactions(two, 1), side).recommend(user=0, count=1)
    # then
    assert cold[0].item == 5 and cold[0].source == "quality"
    assert warm[0].item in SCIFI and warm[0].source == "content"


def test_a_model_trained_on_a_handful_of_users_uses_the_solo_profile():
    # given: solo weights rank by quality only; community weights by content only
    config = _content_only_config(
        solo_max_users=2, sw_content=0.0, sw_popularity=0.0, sw_quality=1.0, sw_cf=0.0, cold_threshold=0
    )
    side = _quality_side()
    one_user = [(0, 0, Kind.VIEW, np.nan), (0, 1, Kind.VIEW, np.nan)]
    two_users = [*one_user, (1, 9, Kind.VIEW, np.nan)]
    # when
    solo = HybridEngine(config).fit(_interactions(one_user, 1), side)
    community = HybridEngine(config).fit(_interactions(two_users, 2), side)
    # then
    assert solo.solo and not community.solo
    assert solo.recommend(user=0, count=1)[0].item == 5
    assert community.recommend(user=0, count=1)[0].item in SCIFI


def test_a_title_nobody_watched_borrows_collaborative_signal_from_its_content_neighbours(tmp_path):
    # given: viewers who watch sci-fi 0 also watch sci-fi 1-3; sci-fi 4 is new (no viewer at all) but
    # its vector sits with the sci-fi titles
    rows = [(user, item, Kind.VIEW, float("nan")) for user in range(4) for item in (0, 1, 2, 3)]
    rows += [(user, item, Kind.VIEW, float("nan")) for user in range(4, 8) for item in (5, 6, 7, 8)]
    rows += [(8, 0, Kind.VIEW, float("nan"))]
    config = EngineConfig(neighbour_cf_k=2, neighbour_cf_weight=1.0)
    engine = HybridEngine(config).fit(_interactions(rows, 9), ItemSide(vectors=_vectors()))
    # when
    cf = engine.signals(np.array([8]))["cf"][0]
    # then: the new sci-fi title scores like its neighbours, far above the new romance title 9
    assert 4 in engine.neighbour_items and 9 in engine.neighbour_items
    assert cf[4] > 0 and cf[4] > cf[9]
    # and the saved model scores it the same way
    from recsys.engine.artifact import TrainedModel, model_load, model_save

    ids = np.array([f"movie_{i}" for i in range(N_ITEMS)])
    path = model_save(TrainedModel("t", ids, np.full(N_ITEMS, "movie"), ids, engine), directory=tmp_path)
    loaded = model_load(path).engine
    H = loaded.history_row(
        items=np.array([0]), kinds=np.array([Kind.VIEW]), values=np.array([np.nan]), times=np.array([0.0])
    )
    assert np.allclose(loaded.signals_for_rows(H, np.array([0.0]))["cf"][0][[4, 9]], cf[[4, 9]], atol=1e-2)


def test_new_title_weights_lift_only_titles_nobody_interacted_with():
    # given: two viewers watched sci-fi 0-3 and romance 5-8; titles 4 and 9 are unseen; 9 is the best rated
    rows = [(user, item, Kind.VIEW, float("nan")) for user in range(2) for item in (0, 1, 2, 3, 5, 6, 7, 8)]
    rows += [(2, 0, Kind.VIEW, float("nan"))]
    quality = np.array([0, 0, 0, 0, 1, 9, 9, 9, 9, 5], dtype=float)
    side = ItemSide(vectors=_vectors(), quality=quality)
    plain = EngineConfig(solo_max_users=0, w_cf=0.0, w_content=1.0, w_popularity=0.0, w_quality=0.0)
    lifted = replace(plain, nw_quality=5.0)
    # when
    before = HybridEngine(plain).fit(_interactions(rows, 3), side).recommend(user=2, count=1)
    after = HybridEngine(lifted).fit(_interactions(rows, 3), side).recommend(user=2, count=1)
    # then: content alone picks a seen sci-fi title; the new-title quality weight lifts unseen 9 (not romance 5-8)
    assert before[0].item in (1, 2, 3, 4)
    assert after[0].item == 9


def _head_heavy_world() -> tuple[Interactions, ItemSide, list[int]]:
    """20 background viewers all watched titles 0-4 (the head); 20 test viewers watched 5 tail titles each."""
    rng = np.random.default_rng(3)
    n_items = 40
    rows = []
    for user in range(20):
        rows += [(user, item, Kind.VIEW) for item in range(5)]
        rows += [(user, int(item), Kind.VIEW) for item in rng.choice(np.arange(5, n_items), 3, replace=False)]
    test_users = list(range(20, 40))
    for user in test_users:
        rows += [(user, int(item), Kind.VIEW) for item in rng.choice(np.arange(10, n_items), 5, replace=False)]
    users, items, kinds = (np.array(column) for column in zip(*rows, strict=True))
    data = Interactions(40, n_items, users, items, kinds, np.full(len(rows), np.nan), np.arange(len(rows), dtype=float))
    vectors = rng.normal(size=(n_items, 8)).astype(np.float32)
    return data, ItemSide(vectors=vectors / np.linalg.norm(vectors, axis=1, keepdims=True)), test_users


def test_novelty_rerank_raises_catalog_coverage_for_established_viewers_only():
    # given: popularity-led warm weights, so without the penalty everyone gets the same head titles
    data, side, test_users = _head_heavy_world()
    config = EngineConfig(
        w_cf=0.0, w_content=0.3, w_popularity=1.0, w_quality=0.0, diversity=0.0, cold_threshold=5, solo_max_users=0
    )
    plain = HybridEngine(config).fit(data, side)
    novel = HybridEngine(replace(config, novelty=0.6)).fit(data, side)

    def coverage(engine: HybridEngine) -> int:
        return len({pick.item for user in test_users for pick in engine.recommend(user=user, count=5)})

    # then: more distinct titles across the viewers' top 5, and the head no longer fills every list
    assert coverage(novel) > coverage(plain)
    assert all({p.item for p in plain.recommend(user=u, count=5)} == set(range(5)) for u in test_users)
    # a thin history (2 titles < cold_threshold) is ranked exactly as without the penalty
    row = {"items": np.array([12, 13]), "kinds": np.full(2, Kind.VIEW), "values": np.full(2, np.nan)}
    H_plain = plain.history_row(**row, times=np.arange(2.0))
    H_novel = novel.history_row(**row, times=np.arange(2.0))
    picks = [
        [p.item for p in engine.recommend_row(H=H, last_time=1.0, ratings={}, count=5)]
        for engine, H in ((plain, H_plain), (novel, H_novel))
    ]
    assert picks[0] == picks[1]


def test_exposure_rerank_spreads_the_titles_everyone_gets_for_established_viewers_only():
    # given: popularity-led warm weights put the same head titles (0-4) at the top of every list
    data, side, test_users = _head_heavy_world()
    config = EngineConfig(
        w_cf=0.0,
        w_content=0.3,
        w_popularity=1.0,
        w_quality=0.0,
        diversity=0.0,
        diversity_depth=5,
        cold_threshold=5,
        solo_max_users=0,
    )
    plain = HybridEngine(config).fit(data, side).fit_exposure()
    spread = HybridEngine(replace(config, exposure=0.8)).fit(data, side).fit_exposure()

    def coverage(engine: HybridEngine) -> int:
        return len({pick.item for user in test_users for pick in engine.recommend(user=user, count=5)})

    # then: with the penalty off nothing is computed; on, the head's exposure is the largest share
    assert not plain.exposure.any()
    head_share = spread.exposure[:5].min()
    assert 0 < head_share <= 1 and head_share >= spread.exposure[5:].max()
    assert coverage(spread) > coverage(plain)
    # a thin history (2 titles < cold_threshold) is ranked exactly as without the penalty
    row = {"items": np.array([12, 13]), "kinds": np.full(2, Kind.VIEW), "values": np.full(2, np.nan)}
    picks = [
        [
            p.item
            for p in engine.recommend_row(
                H=engine.history_row(**row, times=np.arange(2.0)), last_time=1.0, ratings={}, count=5
            )
        ]
        for engine in (plain, spread)
    ]
    assert picks[0] == picks[1]


def test_novelty_penalty_lowers_a_popular_title_within_the_pool():
    # the first two titles tie on relevance; the popular one loses its place to the novel one
    vectors = np.eye(3, dtype=np.float32)
    scores = np.array([1.0, 0.95, 0.0])
    assert mmr_rerank(np.array([7, 8, 9]), scores, vectors, lam=0.0, depth=3) == [7, 8, 9]
    penalty = np.array([0.5, 0.0, 0.0])
    assert mmr_rerank(np.array([7, 8, 9]), scores, vectors, lam=0.0, depth=3, penalty=penalty)[0] == 8


def test_the_penalties_leave_the_first_picks_to_relevance():
    # given: four titles in relevance order; the two most relevant carry the largest penalty
    vectors = np.eye(4, dtype=np.float32)
    scores = np.array([1.0, 0.9, 0.8, 0.5])
    penalty = np.array([1.1, 1.1, 0.0, 0.0])
    items = np.array([10, 11, 12, 13])
    # when / then: penalised from the first pick, the penalised pair drops to the bottom
    assert mmr_rerank(items, scores, vectors, lam=0.0, depth=4, penalty=penalty) == [12, 13, 10, 11]
    # the first pick is left to relevance; the penalty applies from the second on
    assert mmr_rerank(items, scores, vectors, lam=0.0, depth=4, penalty=penalty, penalty_after=1) == [10, 12, 13, 11]


def _mmr_one_by_one(scores, vectors, *, lam, depth, penalty, penalty_after):
    """The re-rank spelled out one list and one candidate at a time (what the batched ``mmr_order`` must match)."""
    plain = (scores - scores.min()) / (np.ptp(scores) or 1.0)
    penalised = plain - penalty if penalty is not None else plain
    chosen: list[int] = []
    remaining = list(range(len(scores)))
    max_sim = np.zeros(len(scores))
    while remaining and len(chosen) < depth:
        rel = plain if len(chosen) < penalty_after else penalised
        value = [(1 - lam) * rel[i] - lam * max_sim[i] for i in remaining]
        best = remaining[int(np.argmax(value))]
        chosen.append(best)
        remaining.remove(best)
        max_sim = np.maximum(max_sim, vectors @ vectors[best])
    return chosen + remaining


@pytest.mark.parametrize("lam", [0.0, 0.35, 0.8])
@pytest.mark.parametrize("penalty_after", [0, 3])
def test_the_batched_rerank_orders_every_list_as_one_list_at_a_time(lam, penalty_after):
    rng = np.random.default_rng(int(lam * 100) + penalty_after)
    scores = rng.normal(size=(25, 30))
    scores[3] = 1.0  # a list of equal scores: ties go to the earlier position
    vectors = rng.normal(size=(25, 30, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=2, keepdims=True)
    penalty = 0.5 * rng.random((25, 30))
    batched = mmr_order(scores, vectors, lam=lam, depth=12, penalty=penalty, penalty_after=penalty_after)
    for row in range(25):
        expected = _mmr_one_by_one(
            scores[row], vectors[row], lam=lam, depth=12, penalty=penalty[row], penalty_after=penalty_after
        )
        assert batched[row].tolist() == expected


def _anchor_one_by_one(engine: HybridEngine, H: Any, item: int, source: str) -> int | None:
    """The per-pick anchor rule, spelled out item by item (what the vectorised ``_anchors`` must match)."""
    hist, weights = H.indices, H.data
    if len(hist) == 0 or source not in ("cf", "content"):
        return None
    if source == "cf" and engine.cf_B.size:
        position = np.searchsorted(engine.cf_active, item)
        if position >= len(engine.cf_active) or engine.cf_active[position] != item:
            return None
        contrib = np.full(len(hist), -np.inf)
        for k, h in enumerate(hist):
            row = np.searchsorted(engine.cf_active, h)
            if row < len(engine.cf_active) and engine.cf_active[row] == h:
                contrib[k] = weights[k] * engine.cf_B[row, position]
    elif engine.items.vectors is not None:
        contrib = weights * (engine.items.vectors[hist] @ engine.items.vectors[item])
    else:
        return None
    if not np.isfinite(contrib).any() or contrib.max() <= 0:
        return None
    return int(hist[int(np.argmax(contrib))])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_picks_for_several_subsets_match_one_call_per_subset_with_the_same_explanations(seed):
    # given: a random world of 60 titles (half "movies"), 40 users, some ratings, and a fresh history
    rng = np.random.default_rng(seed)
    n_items, n_users = 60, 40
    vectors = rng.standard_normal((n_items, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = []
    for user in range(n_users):
        for item in rng.choice(n_items - 10, size=8, replace=False):  # the last ten titles: nobody's
            rated = rng.random() < 0.3
            rows.append(
                (user, int(item), Kind.RATING if rated else Kind.VIEW, float(rng.integers(1, 11)) if rated else np.nan)
            )
    users, items, kinds, values = (np.asarray(column) for column in zip(*rows, strict=True))
    data = Interactions(n_users, n_items, users, items, kinds, values, np.arange(len(rows), dtype=float))
    engine = HybridEngine(EngineConfig()).fit(data, ItemSide(vectors=vectors))
    history = rng.choice(n_items, size=6, replace=False)
    H = engine.history_row(items=history, kinds=np.zeros(6, np.int8), values=np.full(6, np.nan), times=np.arange(6.0))
    movies = np.arange(n_items) % 2 == 0
    # when
    together = engine.recommend_rows(
        H=H, last_time=np.inf, ratings={}, count=20, allowed={"movie": movies, "tv": ~movies}, exclude=np.array([1])
    )
    # then: the same picks as one call each, and every anchor as the per-pick rule gives it
    for key, mask in (("movie", movies), ("tv", ~movies)):
        alone = engine.recommend_row(H=H, last_time=np.inf, ratings={}, count=20, allowed=mask, exclude=np.array([1]))
        assert together[key] == alone
        assert all(mask[pick.item] and pick.item != 1 and pick.item not in history for pick in alone)
        assert [pick.anchor for pick in alone] == [_anchor_one_by_one(engine, H, p.item, p.source) for p in alone]
    assert any(pick.anchor is not None for picks in together.values() for pick in picks)
