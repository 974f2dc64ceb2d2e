from __future__ import annotations

import numpy as np

from recsys.engine.artifact import TrainedModel, model_load, model_save
from recsys.engine.model import EngineConfig, HybridEngine, Interactions, ItemSide, Kind


def _engine(n_users: int = 6) -> HybridEngine:
    users = np.repeat(np.arange(n_users), 3)
    items = np.tile([0, 1, 2], n_users)
    data = Interactions(
        n_users,
        4,
        users,
        items,
        np.full(len(users), Kind.VIEW),
        np.full(len(users), np.nan),
        np.arange(len(users), dtype=float),
    )
    vectors = np.eye(4, 3, dtype=np.float32)
    return HybridEngine(EngineConfig(ease_lambda=2.0)).fit(
        data, ItemSide(vectors=vectors, quality=np.array([1.0, 2, 3, 4]))
    )


def test_saved_model_scores_like_the_trained_one_and_only_two_versions_are_kept(tmp_path):
    # given
    engine = _engine()
    ids = np.array(["movie_1", "movie_2", "movie_3", "tv_4"])
    types = np.array(["movie", "movie", "movie", "tv"])
    # when
    for version in ("v1", "v2", "v3"):
        path = model_save(TrainedModel(version, ids, types, ids, engine), directory=tmp_path)
    loaded = model_load(path)
    # then
    assert sorted(p.name for p in tmp_path.glob("engine-*.npz")) == ["engine-v2.npz", "engine-v3.npz"]
    assert loaded.version == "v3" and loaded.index["tv_4"] == 3
    assert loaded.engine.solo is False
    H = engine.history_weights[0]
    original = engine.recommend_row(H=H, last_time=np.inf, ratings={}, count=2)
    restored = loaded.engine.recommend_row(H=H, last_time=np.inf, ratings={}, count=2)
    assert [p.item for p in restored] == [p.item for p in original]
    assert np.allclose([p.score for p in restored], [p.score for p in original], atol=1e-3)


def test_the_exposure_shares_survive_the_artefact_and_an_older_artefact_loads_without_them(tmp_path):
    # given: an engine with the exposure penalty on, its shares computed at training
    engine = _engine()
    engine.config = EngineConfig(ease_lambda=2.0, exposure=0.8, cold_threshold=2, diversity_depth=2)
    engine.fit_exposure()
    ids = np.array(["movie_1", "movie_2", "movie_3", "tv_4"])
    path = model_save(TrainedModel("v1", ids, ids, ids, engine), directory=tmp_path)
    # when / then
    assert engine.exposure.any()
    assert np.array_equal(model_load(path).engine.exposure, engine.exposure)
    with np.load(path) as data:
        older = {key: data[key] for key in data.files if key != "exposure"}
    np.savez(tmp_path / "engine-v0.npz", **older)
    assert not model_load(tmp_path / "engine-v0.npz").engine.exposure.any()
