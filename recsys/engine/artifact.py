"""A trained engine on disk: one ``.npz`` per training run, loaded once per worker process.

Kept out of the database on purpose: the item-item matrix is tens to hundreds of MB, and numpy's
own format loads it in one read (https://numpy.org/doc/stable/reference/generated/numpy.savez.html).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from recsys.engine.model import EngineConfig, HybridEngine, ItemSide


@dataclass
class TrainedModel:
    version: str
    item_ids: np.ndarray  # catalog ids ("movie_603"), the engine's item index
    media_types: np.ndarray
    titles: np.ndarray
    engine: HybridEngine

    def __post_init__(self) -> None:
        self.index = {str(item_id): i for i, item_id in enumerate(self.item_ids)}


def model_save(model: TrainedModel, *, directory: Path) -> Path:
    engine = model.engine
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"engine-{model.version}.npz"
    tmp = path.with_suffix(".tmp.npz")
    vectors = engine.items.vectors
    # Only the trend window matters at scoring time: keep the last 6·τ of interaction times.
    times, items_by_time = engine._times_sorted, engine._items_by_time
    if len(times):
        keep = times >= times[-1] - 6 * engine.config.trend_tau_days * 86400.0
        times, items_by_time = times[keep], items_by_time[keep]
    np.savez(
        tmp,
        config=np.array(json.dumps(asdict(engine.config))),
        item_ids=model.item_ids.astype(str),
        media_types=model.media_types.astype(str),
        titles=model.titles.astype(str),
        counts=engine.counts.astype(np.float32),
        cf_active=engine.cf_active,
        cf_B=engine.cf_B.astype(np.float32),
        vectors=vectors.astype(np.float16) if vectors is not None else np.zeros((0, 0), np.float16),
        catalog_popularity=_or_empty(engine.items.catalog_popularity),
        quality=_or_empty(engine.items.quality),
        times=times,
        items_by_time=items_by_time,
        solo=np.array(bool(getattr(engine, "solo", False))),
        neighbour_items=engine.neighbour_items,
        neighbour_index=engine.neighbour_index,
        neighbour_weights=engine.neighbour_weights,
        exposure=engine.exposure.astype(np.float32),
    )
    tmp.replace(path)  # atomic: a reader never sees a half-written file
    for old in sorted(directory.glob("engine-*.npz"))[:-2]:
        old.unlink(missing_ok=True)
    return path


def _or_empty(array: np.ndarray | None) -> np.ndarray:
    return np.zeros(0, np.float32) if array is None else np.asarray(array, dtype=np.float32)


def model_load(path: Path) -> TrainedModel:
    with np.load(path, allow_pickle=False) as data:
        config = EngineConfig(**json.loads(str(data["config"])))
        vectors = data["vectors"].astype(np.float32) if data["vectors"].size else None
        engine = HybridEngine.from_arrays(
            config=config,
            counts=data["counts"].astype(np.float64),
            cf_active=data["cf_active"],
            cf_B=data["cf_B"],
            items=ItemSide(
                vectors=vectors,
                catalog_popularity=data["catalog_popularity"] if data["catalog_popularity"].size else None,
                quality=data["quality"] if data["quality"].size else None,
            ),
            times=data["times"],
            items_by_time=data["items_by_time"],
            solo=bool(data["solo"]),
            # Artefacts written before item cold start have no neighbour table: they score as before.
            neighbours=(data["neighbour_items"], data["neighbour_index"], data["neighbour_weights"])
            if "neighbour_items" in data
            else None,
            # Artefacts written before the exposure penalty have none: their config has it off.
            exposure=data["exposure"] if "exposure" in data else None,
        )
        version = path.stem.removeprefix("engine-")
        return TrainedModel(version, data["item_ids"], data["media_types"], data["titles"], engine)


_cache_lock = threading.Lock()
_cached: dict[str, TrainedModel] = {}


def model_load_cached(path: Path) -> TrainedModel:
    """Load once per process and version; a new training run has a new file name."""
    key = str(path)
    with _cache_lock:
        model = _cached.get(key)
        if model is None:
            _cached.clear()
            model = _cached[key] = model_load(path)
        return model
