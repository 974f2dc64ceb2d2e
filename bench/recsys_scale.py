"""Training and scoring time of the local engine on synthetic catalogs.

Run: /work/main/.venv/bin/python bench/recsys_scale.py [--sizes 10000x1000,50000x10000] [--per-user 100]
     [--tune-seconds 120]

Synthetic world: item popularity is Zipf-like (as in real catalogs), each user has ~``per-user``
interactions (views with a 30 % chance of a rating) over two years, and every title has a
384-d unit vector (the local MiniLM size). Prints fit time, peak memory, per-user scoring latency
(the production path: one history row against the saved model) and the artefact size. Training is
timed as production runs it: self-tuning (``engine_tune``, within ``--tune-seconds``) then the fit.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recsys.engine.artifact import TrainedModel, model_load, model_save
from recsys.engine.model import EXPOSURE_SAMPLE, EngineConfig, HybridEngine, Interactions, ItemSide, Kind
from recsys.engine.tuning import engine_tune


def synthetic(
    n_items: int, n_users: int, per_user: int, dim: int = 384, seed: int = 1
) -> tuple[Interactions, ItemSide]:
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_items + 1) ** 0.9
    weights /= weights.sum()
    counts = rng.poisson(per_user, size=n_users).clip(1, n_items // 2)
    users = np.repeat(np.arange(n_users), counts)
    items = rng.choice(n_items, size=len(users), p=weights)
    kinds = np.where(rng.random(len(users)) < 0.3, Kind.RATING, Kind.VIEW).astype(np.int8)
    values = np.where(kinds == Kind.RATING, rng.integers(1, 11, len(users)), np.nan)
    now = time.time()
    times = now - rng.random(len(users)) * 2 * 365 * 86400
    vectors = rng.standard_normal((n_items, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    side = ItemSide(
        vectors=vectors,
        catalog_popularity=rng.integers(0, 10_000, n_items).astype(float),
        quality=rng.uniform(4, 9, n_items),
    )
    return Interactions(n_users, n_items, users, items, kinds, values, times), side


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(n_items: int, n_users: int, per_user: int, max_cf_items: int, tune_seconds: float) -> None:
    data, side = synthetic(n_items, n_users, per_user)
    print(
        f"\n== {n_items:,} titles × {n_users:,} users, {len(data.users):,} interactions, max_cf_items={max_cf_items:,}"
    )
    start, cpu = time.perf_counter(), time.process_time()
    tuning = engine_tune(
        data=data, items=side, base=EngineConfig(max_cf_items=max_cf_items), budget_seconds=tune_seconds
    )
    tuned, tuned_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"self-tuning: {tuned:.1f}s wall, {tuned_cpu:.1f}s CPU (budget {tune_seconds:.0f}s) status={tuning.status!r} "
        f"viewers={tuning.validation_users} trials={tuning.trials} val NDCG@10 {tuning.validation_ndcg} "
        f"(defaults {tuning.default_ndcg}, popularity {tuning.popularity_ndcg})"
    )
    start, cpu = time.perf_counter(), time.process_time()
    engine = HybridEngine(tuning.config).fit(data, side).fit_exposure()
    fit, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"fit: {fit:.1f}s wall, {fit_cpu:.1f}s CPU  (EASE over {len(engine.cf_active):,} titles; chosen "
        f"exposure {tuning.config.exposure}, diversity {tuning.config.diversity}, novelty {tuning.config.novelty})"
    )
    # What the exposure shares cost when the tuning turns the penalty on (nothing is computed when off).
    trained, shares = engine.config, engine.exposure
    start, cpu = time.perf_counter(), time.process_time()
    engine.config = replace(trained, exposure=trained.exposure or 0.4)
    engine.fit_exposure()
    print(
        f"exposure shares ({min(EXPOSURE_SAMPLE, n_users):,} viewers): "
        f"{time.perf_counter() - start:.1f}s wall, {time.process_time() - cpu:.1f}s CPU"
    )
    engine.config, engine.exposure = trained, shares
    print(f"peak RSS so far {peak_rss_mb():,.0f} MB")
    print(f"training with self-tuning: {tuned + fit:.1f}s wall, {tuned_cpu + fit_cpu:.1f}s CPU")

    with tempfile.TemporaryDirectory() as tmp:
        ids = np.array([f"movie_{i}" for i in range(n_items)])
        start = time.perf_counter()
        path = model_save(TrainedModel("bench", ids, np.full(n_items, "movie"), ids, engine), directory=Path(tmp))
        saved = time.perf_counter() - start
        size = os.path.getsize(path) / 1e6
        start = time.perf_counter()
        loaded = model_load(path).engine
        load = time.perf_counter() - start
    print(f"artefact: {size:,.0f} MB, save {saved:.1f}s, load {load:.1f}s")

    rng = np.random.default_rng(2)
    sample = rng.choice(n_users, size=min(200, n_users), replace=False)
    latencies = []
    for user in sample:
        mask = data.users == user
        H = loaded.history_row(
            items=data.items[mask], kinds=data.kinds[mask], values=data.values[mask], times=data.times[mask]
        )
        start = time.perf_counter()
        loaded.recommend_row(H=H, last_time=float(data.times[mask].max()), ratings={}, count=50)
        latencies.append(time.perf_counter() - start)
    latencies_ms = np.array(latencies) * 1000
    print(
        f"score one user (50 picks): median {np.median(latencies_ms):.0f} ms, "
        f"p95 {np.percentile(latencies_ms, 95):.0f} ms"
    )
    print(f"→ rescoring all {n_users:,} users ≈ {np.median(latencies) * n_users / 60:.1f} min on one worker")
    print(f"peak RSS {peak_rss_mb():,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000x1000,50000x10000", help="titles x users, comma-separated")
    parser.add_argument("--per-user", type=int, default=100)
    parser.add_argument("--max-cf-items", type=int, default=12_000)
    parser.add_argument("--tune-seconds", type=float, default=120.0, help="self-tuning budget (RECSYS_TUNE_SECONDS)")
    args = parser.parse_args()
    for size in args.sizes.split(","):
        n_items, n_users = (int(x) for x in size.lower().split("x"))
        run(n_items, n_users, args.per_user, args.max_cf_items, args.tune_seconds)


if __name__ == "__main__":
    main()
