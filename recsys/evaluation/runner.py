"""Run the protocol: tune every model on a validation split carved from train, then score the test split.

No database: everything is numpy/scipy over the files, so a full run takes minutes on two cores.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from scipy import sparse

from recsys.engine.model import (
    EngineConfig,
    HybridEngine,
    Interactions,
    ItemSide,
    Kind,
    exposure_counts,
    exposure_viewers,
    mmr_order,
    popularity01,
    rerank_penalty,
)
from recsys.engine.tuning import TuningResult, engine_tune
from recsys.evaluation import baselines
from recsys.evaluation.content import ItemMeta
from recsys.evaluation.protocol import COVERAGE_K, Metrics, Ratings, Split, evaluate_rankings, top_k_excluding

logger = logging.getLogger(__name__)

BASELINES = ("popularity", "itemknn", "als", "ease")
# "self-tuned" is the engine exactly as production trains it: shipped defaults, then ``engine_tune`` on
# the train rows (recsys/engine/tuning.py), no harness search. Community mode only.
SELF_TUNED = "self-tuned"
MODELS = (*BASELINES, "engine", SELF_TUNED)
SELF_TUNE_SECONDS = 120.0  # RECSYS_TUNE_SECONDS' default
BATCH = 256

# Grids for the baselines (the usual ranges of the papers and of RecBole's defaults).
GRIDS: dict[str, list[dict]] = {
    "popularity": [{}],
    "itemknn": [{"k": k, "shrink": s} for k, s in itertools.product((20, 50, 100, 200, 400), (0.0, 10.0))],
    "als": [
        {"factors": f, "regularization": r, "alpha": a}
        for f, r, a in itertools.product((32, 64, 128), (0.01, 0.1, 1.0), (1.0, 5.0, 20.0))
    ],
    "ease": [{"lam": lam} for lam in (50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0)],
}


@dataclass
class Context:
    """Item-side knowledge shared by every model run."""

    n_items: int
    vectors: np.ndarray | None = None
    catalog_popularity: np.ndarray | None = None
    quality: np.ndarray | None = None

    @classmethod
    def from_meta(cls, meta: list[ItemMeta], vectors: np.ndarray | None) -> Context:
        votes = np.array([m.vote_count for m in meta], dtype=np.float64)
        averages = np.array([m.vote_average for m in meta], dtype=np.float64)
        # Bayesian average (IMDb's weighted rating): shrink thin vote counts toward the catalog mean.
        m = 50.0
        known = votes > 0
        mean = float(averages[known].mean()) if known.any() else 0.0
        quality = np.where(known, (votes * averages + m * mean) / (votes + m), mean)
        return cls(n_items=len(meta), vectors=vectors, catalog_popularity=votes, quality=quality)


def interactions_from_ratings(ratings: Ratings) -> Interactions:
    """Every train rating is an implicit interaction whose value (×2 → 1–10 scale) the engine may use."""
    return Interactions(
        n_users=ratings.n_users,
        n_items=ratings.n_items,
        users=ratings.users,
        items=ratings.items,
        kinds=np.full(len(ratings.users), Kind.RATING, dtype=np.int8),
        values=ratings.values * 2.0,
        times=ratings.times.astype(np.float64),
    )


# A scorer: (train ratings, users to score, params, context) → dense scores users × items.
Scorer = Callable[[Ratings, np.ndarray, dict, Context], np.ndarray]


def _score_popularity(
    train: Ratings, users: np.ndarray, params: dict, ctx: Context, *, solo: bool = False
) -> np.ndarray:
    if solo:
        # The self-hosted case has no other users: "popular" can only mean the catalog's popularity.
        pop = ctx.catalog_popularity if ctx.catalog_popularity is not None else np.zeros(ctx.n_items)
    else:
        pop = baselines.popularity_scores(train.matrix())
    return np.broadcast_to(pop, (len(users), ctx.n_items))


def _score_itemknn(train: Ratings, users: np.ndarray, params: dict, ctx: Context) -> np.ndarray:
    X = _binary(train)
    sim = baselines.itemknn_similarity(X, k=params["k"], shrink=params["shrink"])
    return np.asarray((X[users] @ sim.T).todense())


def _score_als(train: Ratings, users: np.ndarray, params: dict, ctx: Context) -> np.ndarray:
    model = baselines.als_model(_binary(train), **params)
    return baselines.als_scores(model, users)


def _score_ease(train: Ratings, users: np.ndarray, params: dict, ctx: Context) -> np.ndarray:
    X = _binary(train)
    active, B = baselines.ease_weights(X, lam=params["lam"])
    return baselines.ease_scores(X[users], active, B, ctx.n_items)


_FIT_KEYS = ("ease_lambda", "max_cf_items", "dislike_at", "neighbour_cf_k")
_HISTORY_KEYS = (
    "half_life_interactions",
    "solo_half_life_interactions",
    "rating_slope",
    "dislike_weight",
    "watchlist_weight",
)
_engine_cache: dict[tuple, tuple[Ratings, HybridEngine]] = {}


def _score_engine(train: Ratings, users: np.ndarray, params: dict, ctx: Context) -> np.ndarray:
    """Engine scores; fits and raw signals are memoised so a weight sweep costs a blend, not a fit."""
    config = replace(EngineConfig(), **params)
    fit_key = (id(train), id(ctx), *(getattr(config, k) for k in _FIT_KEYS))
    cached = _engine_cache.get(fit_key)
    # The cache holds the train object itself, so its id cannot be recycled while the entry lives.
    engine = cached[1] if cached is not None and cached[0] is train else None
    if engine is None:
        if len(_engine_cache) > 8:
            _engine_cache.clear()
        engine = HybridEngine(config).fit(
            interactions_from_ratings(train),
            ItemSide(vectors=ctx.vectors, catalog_popularity=ctx.catalog_popularity, quality=ctx.quality),
        )
        engine.raw_cache = {}  # type: ignore[attr-defined]
        _engine_cache[fit_key] = (train, engine)
    history_key = tuple(getattr(config, k) for k in _HISTORY_KEYS)
    if (
        tuple(getattr(engine.config, k) for k in _HISTORY_KEYS) != history_key
        or engine.config.solo_max_users != config.solo_max_users
    ):
        engine.config = config
        engine.history_weights = engine._history_weights()
    engine.config = config
    raw_key = (*history_key, config.trend_tau_days, config.neighbour_cf_weight, users.tobytes())
    raw = engine.raw_cache.get(raw_key)  # type: ignore[attr-defined]
    if raw is None:
        raw = {}
        for i in range(0, len(users), BATCH):
            part = engine.signals(users[i : i + BATCH])
            for name, value in part.items():
                raw.setdefault(name, []).append(np.asarray(value, dtype=np.float32))
        raw = {name: np.vstack(chunks) for name, chunks in raw.items()}
        if len(engine.raw_cache) > 6:  # type: ignore[attr-defined]
            engine.raw_cache.clear()  # type: ignore[attr-defined]
        engine.raw_cache[raw_key] = raw  # type: ignore[attr-defined]
    return engine.blend(raw, engine.history_sizes(users))


def self_tuned_params(train: Ratings, ctx: Context) -> tuple[dict, TuningResult]:
    """What production's self-tuning chooses on these train rows (only the knobs that differ from the defaults)."""
    result = engine_tune(
        data=interactions_from_ratings(train),
        items=ItemSide(vectors=ctx.vectors, catalog_popularity=ctx.catalog_popularity, quality=ctx.quality),
        base=EngineConfig(),
        budget_seconds=SELF_TUNE_SECONDS,
    )
    defaults = asdict(EngineConfig())
    params = {k: v for k, v in asdict(result.config).items() if v != defaults[k]}
    logger.info(
        "self-tuned status=%s params=%s trials=%d seconds=%.1f", result.status, params, result.trials, result.seconds
    )
    return params, result


def _binary(train: Ratings) -> sparse.csr_matrix:
    X = train.matrix()
    X.data[:] = 1.0
    return X


SCORERS: dict[str, Scorer] = {
    "popularity": _score_popularity,
    "itemknn": _score_itemknn,
    "als": _score_als,
    "ease": _score_ease,
    "engine": _score_engine,
}


def _top(
    model: str,
    scores: np.ndarray,
    seen: sparse.csr_matrix,
    users: np.ndarray,
    params: dict,
    ctx: Context,
    k: int,
    *,
    train: Ratings | None = None,
    solo: bool = False,
) -> np.ndarray:
    """Top-k rows; the engine re-ranks its first positions (MMR, novelty) exactly as in production."""
    if model != "engine":
        return top_k_excluding(scores, seen, users, k)
    config = replace(EngineConfig(), **params)
    # The same rules as HybridEngine._rank: the history length is the number of distinct train titles;
    # thin histories (cold profile) use their own λ and no novelty penalty; solo rows use ``diversity``.
    sizes = np.diff(seen.indptr)[users]
    cold = np.zeros(len(users), dtype=bool) if solo else sizes < config.cold_threshold
    lams = np.where(cold, config.cw_diversity, config.diversity) if ctx.vectors is not None else np.zeros(len(users))
    novelty = config.novelty if (train is not None and not solo) else 0.0
    exposure = config.exposure if (train is not None and not solo) else 0.0
    if not (lams > 0).any() and novelty <= 0 and exposure <= 0:
        return top_k_excluding(scores, seen, users, k)
    vectors = ctx.vectors if ctx.vectors is not None else np.zeros((ctx.n_items, 1), dtype=np.float32)
    pop01 = popularity01(engine_counts(train, config)) if novelty > 0 and train is not None else None
    shares = engine_exposure(train, params, ctx) if exposure > 0 and train is not None else None
    top = top_k_excluding(scores, seen, users, 3 * max(k, config.diversity_depth))
    ranked = np.empty((len(users), min(k, top.shape[1])), dtype=top.dtype)
    for is_cold in (True, False):  # the rows of each profile are re-ranked together
        rows = np.flatnonzero(cold == is_cold)
        if not len(rows):
            continue
        pools = top[rows]
        order = mmr_order(
            np.take_along_axis(scores[rows], pools, axis=1),
            vectors[pools],
            lam=float(lams[rows[0]]),
            depth=config.diversity_depth,
            penalty=None
            if is_cold
            else rerank_penalty(pools, novelty=novelty, pop01=pop01, exposure=exposure, shares=shares),
            penalty_after=config.penalty_after,
        )
        ranked[rows] = np.take_along_axis(pools, order[:, : ranked.shape[1]], axis=1)
    return ranked


def engine_exposure(train: Ratings, params: dict, ctx: Context) -> np.ndarray:
    """``HybridEngine.fit_exposure`` on these train rows: the same warm-viewer sample, the whole catalog."""
    config = replace(EngineConfig(), **params)
    seen = train.matrix()
    warm = exposure_viewers(np.diff(seen.indptr), config)
    if not len(warm):
        return np.zeros(train.n_items)
    # One call for the whole sample: the engine's raw-signal cache is keyed by the user set.
    counts = exposure_counts(_score_engine(train, warm, params, ctx), seen[warm], config.diversity_depth)
    return counts / len(warm)


def engine_counts(train: Ratings, config: EngineConfig) -> np.ndarray:
    """Per title, the users with a non-negative interaction: ``HybridEngine.counts`` for these rows."""
    positive = train.values * 2.0 > config.dislike_at
    X = sparse.csr_matrix(
        (np.ones(int(positive.sum()), dtype=np.float32), (train.users[positive], train.items[positive])),
        shape=(train.n_users, train.n_items),
    )
    X.data[:] = 1.0
    return np.asarray(X.sum(axis=0)).ravel()


def rankings_for(
    model: str, split: Split, params: dict, ctx: Context, *, solo: bool, k: int = 20
) -> dict[int, np.ndarray]:
    """Top-k per evaluated user; ``solo`` fits one model per user on that user's rows alone."""
    seen = split.train.matrix()
    users = split.eval_users
    if not len(users):  # a robustness slice can be empty on a small file
        return {}
    if not solo:
        if model == "popularity":
            # New titles have no interactions: the only popularity they have is the catalog's.
            scores = _score_popularity(split.train, users, params, ctx, solo=split.candidates is not None)
        else:
            scores = SCORERS[model](split.train, users, params, ctx)
        top = _top(model, _allowed(split, scores), seen, users, params, ctx, k, train=split.train)
        return {int(u): top[i] for i, u in enumerate(users)}
    rankings: dict[int, np.ndarray] = {}
    for user in users:
        own = split.train.subset(split.train.users == user)
        one = np.array([user])
        if model == "popularity":
            scores = _score_popularity(own, one, params, ctx, solo=True)
        else:
            scores = SCORERS[model](own, one, params, ctx)
        rankings[int(user)] = _top(model, _allowed(split, scores), seen, one, params, ctx, k, solo=True)[0]
    return rankings


def _allowed(split: Split, scores: np.ndarray) -> np.ndarray:
    """Non-candidate items pushed below every candidate (the new-titles slice ranks its shelf only).

    Finite on purpose: MMR normalises scores by their range, which an -inf would turn into NaN.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if split.candidates is None:
        return scores
    return np.where(split.candidates, scores, -1e9)


def evaluate_model(model: str, split: Split, params: dict, ctx: Context, *, solo: bool) -> Metrics:
    return evaluate_rankings(split, rankings_for(model, split, params, ctx, solo=solo))


# One validation split, or several pooled (the time split's folds carved from train).
Validation = Split | Sequence[Split]


def validation_ndcg(model: str, validation: Validation, params: dict, ctx: Context, *, solo: bool) -> float:
    """Validation NDCG@10; over several splits every (split, user) pair is one evaluation, as in the time slices."""
    splits = [validation] if isinstance(validation, Split) else list(validation)
    ndcgs = [ndcg for split in splits for ndcg in evaluate_model(model, split, params, ctx, solo=solo).per_user_ndcg]
    return float(np.mean(ndcgs)) if ndcgs else 0.0


def tune(
    model: str, validation: Validation, ctx: Context, *, solo: bool, grid: Iterable[dict] | None = None
) -> tuple[dict, float, list[tuple[dict, float]]]:
    """Best params by validation NDCG@10, pooled over several splits (ties → the earlier, simpler grid point)."""
    trials: list[tuple[dict, float]] = []
    grid = list(grid if grid is not None else GRIDS[model])
    if len(grid) == 1:  # nothing to choose: skip the validation run (NaN in the table's val column)
        return grid[0], float("nan"), []
    for params in grid:
        ndcg = validation_ndcg(model, validation, params, ctx, solo=solo)
        trials.append((params, ndcg))
        logger.info("tune model=%s params=%s ndcg=%.4f", model, params, ndcg)
    best = max(trials, key=lambda trial: trial[1])
    return best[0], best[1], trials


# The engine's knobs searched by coordinate ascent from the defaults (a few values per knob).
ENGINE_SEARCH: dict[str, tuple[float, ...]] = {
    "w_cf": (0.0, 0.5, 1.0, 2.0),
    "w_content": (0.0, 0.2, 0.4, 0.8, 1.2, 1.6),
    "w_trend": (0.0, 0.2, 0.35, 0.6, 1.0),
    "w_popularity": (0.0, 0.05, 0.15, 0.3),
    "w_quality": (0.0, 0.05, 0.15, 0.3),
    "half_life_interactions": (0.0, 10.0, 20.0, 40.0, 80.0),
    "ease_lambda": (100.0, 250.0, 500.0, 1000.0),
    "rating_slope": (0.0, 0.3, 0.6),
    "trend_tau_days": (7.0, 30.0, 60.0, 180.0),
    "neighbour_cf_weight": (0.0, 0.25, 0.5, 1.0),
}
# Solo mode (one user per model) tunes the solo profile only.
ENGINE_SOLO_SEARCH: dict[str, tuple[float, ...]] = {
    "sw_content": (0.0, 0.1, 0.2, 0.4, 0.8),
    "sw_popularity": (0.0, 0.1, 0.3, 0.6, 1.0),
    "sw_quality": (0.0, 0.1, 0.3, 0.6),
    "solo_half_life_interactions": (0.0, 5.0, 10.0, 20.0, 40.0),
}
# The cold slice tunes only the weights used for thin histories.
ENGINE_COLD_SEARCH: dict[str, tuple[float, ...]] = {
    "cw_cf": (0.0, 0.25, 0.5, 1.0),
    "cw_content": (0.0, 0.1, 0.2, 0.4),
    "cw_trend": (0.0, 0.2, 0.5),
    "cw_popularity": (0.1, 0.3, 0.6, 1.0),
    "cw_quality": (0.0, 0.05, 0.15, 0.3),
    "cw_diversity": (0.0, 0.2, 0.35, 0.5),
}


# The new-titles slice tunes only the extra weights of titles nobody has interacted with.
ENGINE_NEW_SEARCH: dict[str, tuple[float, ...]] = {
    "nw_popularity": (0.0, 0.3, 1.0, 2.0, 4.0),
    "nw_quality": (0.0, 0.15, 0.5, 1.0),
    "nw_content": (0.0, 0.4, 1.0),
    "nw_cf": (0.0, 0.5, 1.0),
    "neighbour_cf_weight": (0.0, 0.5, 1.0),
}


def tune_engine(
    validation: Validation,
    ctx: Context,
    *,
    solo: bool,
    start: dict | None = None,
    rounds: int = 2,
    search: dict[str, tuple[float, ...]] | None = None,
) -> tuple[dict, float, list[tuple[dict, float]]]:
    """Coordinate ascent over ENGINE_SEARCH on validation NDCG@10 (pooled when ``validation`` is several splits)."""
    current = dict(start or {})
    best = validation_ndcg("engine", validation, current, ctx, solo=solo)
    trials = [(dict(current), best)]
    knobs = search or (ENGINE_SOLO_SEARCH if solo else ENGINE_SEARCH)
    for _ in range(rounds):
        improved = False
        for knob, values in knobs.items():
            for value in values:
                if current.get(knob, getattr(EngineConfig(), knob)) == value:
                    continue
                candidate = {**current, knob: value}
                ndcg = validation_ndcg("engine", validation, candidate, ctx, solo=solo)
                trials.append((candidate, ndcg))
                logger.info("tune model=engine params=%s ndcg=%.4f", candidate, ndcg)
                if ndcg > best + 1e-6:
                    best, current, improved = ndcg, candidate, True
        if not improved:
            break
    return current, best, trials


# Diversity stage (issue 16): after the accuracy knobs, a grid over MMR λ, the novelty and exposure
# penalties and a lighter content weight (the content signal is what makes lists look alike).
ENGINE_DIVERSITY_SEARCH: dict[str, tuple[float, ...]] = {
    "diversity": (0.2, 0.35, 0.5, 0.65, 0.8),
    "novelty": (0.0, 0.3, 0.6, 0.9),
    "exposure": (0.0, 0.2, 0.4),
    "content_scale": (1.0, 0.75, 0.5),  # times the tuned w_content
}
PARTS = ("all", "A", "B")


# The diversity stage prefers settings that clear the bar by a one-sided 95 % margin: the second pass's
# choice cleared EASE's validation ILD by 0.003 and then fell 0.004 short of it on test.
MARGIN_Z = 1.645
BOOTSTRAP_SAMPLES = 200


@dataclass(frozen=True)
class Margin:
    """How far above the bar a setting must be to clear it "by a margin": z × bootstrap standard error."""

    coverage: float = 0.0
    ild: float = 0.0


@dataclass(frozen=True)
class DiversityChoice:
    params: dict
    metrics: dict[str, Metrics]  # the chosen setting on validation: all users and each half
    met: bool  # whether a setting matched the reference's coverage and ILD on validation and both halves
    by_margin: bool = False  # whether it also cleared them by the margin

    @property
    def ndcg(self) -> float:
        return self.metrics["all"].ndcg


def metrics_by_half(split: Split, rankings: dict[int, np.ndarray], ctx: Context) -> dict[str, Metrics]:
    """Metrics (with ILD) on every evaluated user and on each disjoint half of them."""
    return {
        part: evaluate_rankings(split, rankings, users, vectors=ctx.vectors)
        for part, users in _parts(split.eval_users).items()
    }


def _parts(users: np.ndarray) -> dict[str, np.ndarray | None]:
    half_a, half_b = user_halves(users)
    return {"all": None, "A": half_a, "B": half_b}


def bar_margins(
    split: Split, rankings: dict[int, np.ndarray], ctx: Context, *, samples: int = BOOTSTRAP_SAMPLES, seed: int = 5
) -> dict[str, Margin]:
    """MARGIN_Z × the bootstrap standard error (users resampled) of the bar's Cov@10 and ILD@10, per part."""
    rng = np.random.default_rng(seed)
    out = {}
    for part, chosen in _parts(split.eval_users).items():
        users = split.eval_users if chosen is None else chosen
        if len(users) < 2:
            out[part] = Margin()
            continue
        tops = [np.asarray(rankings[int(u)][:COVERAGE_K]) for u in users]
        lists = sparse.csr_matrix(
            (
                np.ones(sum(len(t) for t in tops)),
                (np.repeat(np.arange(len(users)), [len(t) for t in tops]), np.concatenate(tops)),
            ),
            shape=(len(users), split.ratings.n_items),
        )
        ilds = np.array([_ild(ctx.vectors, top) for top in tops]) if ctx.vectors is not None else None
        draws = rng.multinomial(len(users), np.full(len(users), 1.0 / len(users)), size=samples).astype(np.float64)
        coverages = np.asarray((sparse.csr_matrix(draws) @ lists > 0).sum(axis=1)).ravel() / split.ratings.n_items
        ild_means = draws @ ilds / len(users) if ilds is not None else np.zeros(samples)
        out[part] = Margin(coverage=MARGIN_Z * float(coverages.std()), ild=MARGIN_Z * float(ild_means.std()))
    return out


def _ild(vectors: np.ndarray, top: np.ndarray) -> float:
    if len(top) < 2:
        return 0.0
    v = vectors[top]
    sims = v @ v.T
    return float(1.0 - (sims.sum() - np.trace(sims)) / (len(top) * (len(top) - 1)))


def _broad_enough(mine: Metrics, bar: Metrics, margin: Margin = Margin()) -> bool:
    return mine.coverage >= bar.coverage + margin.coverage and (
        bar.ild is None or (mine.ild or 0.0) >= bar.ild + margin.ild
    )


def tune_engine_diversity(
    validation: Split,
    ctx: Context,
    *,
    params: dict,
    reference: dict[str, Metrics],
    margins: dict[str, Margin] | None = None,
) -> tuple[DiversityChoice, list[tuple[dict, dict[str, Metrics]]]]:
    """The most accurate diversity setting whose validation Cov@10 and ILD@10 are not below ``reference``.

    ``reference`` is the tuned EASE baseline on the same validation split (all users and each half):
    the issue's bar is "not below EASE's" at equal NDCG, on the whole set and on both user halves, and
    this applies it where tuning is allowed — on validation, never on test. Requiring the halves too
    keeps the choice off a knife edge that only the whole validation set happens to clear. Settings that
    clear the bar by ``margins`` (``bar_margins``) on every part are preferred; only when none does is a
    setting that merely reaches the bar taken. When no setting reaches the bar, ``params`` stay as they are.
    """
    trials: list[tuple[dict, dict[str, Metrics]]] = []
    base_content = params.get("w_content", EngineConfig().w_content)
    for lam, novelty, exposure, scale in itertools.product(*ENGINE_DIVERSITY_SEARCH.values()):
        candidate = {
            **params,
            "diversity": lam,
            "novelty": novelty,
            "exposure": exposure,
            "w_content": round(base_content * scale, 4),
        }
        metrics = metrics_by_half(validation, rankings_for("engine", validation, candidate, ctx, solo=False), ctx)
        trials.append((candidate, metrics))
        logger.info(
            "tune diversity params=%s ndcg=%.4f cov=%.4f ild=%s",
            candidate,
            metrics["all"].ndcg,
            metrics["all"].coverage,
            metrics["all"].ild,
        )
    margins = margins or {part: Margin() for part in PARTS}
    clear = [(p, m) for p, m in trials if all(_broad_enough(m[part], reference[part], margins[part]) for part in PARTS)]
    ok = [(p, m) for p, m in trials if all(_broad_enough(m[part], reference[part]) for part in PARTS)]
    if not ok:
        current = metrics_by_half(validation, rankings_for("engine", validation, params, ctx, solo=False), ctx)
        return DiversityChoice(params, current, met=False), trials
    best_params, best = max(clear or ok, key=lambda trial: trial[1]["all"].ndcg)
    return DiversityChoice(best_params, best, met=True, by_margin=bool(clear)), trials


@dataclass
class Row:
    model: str
    params: dict
    validation_ndcg: float
    test: Metrics
    cold: Metrics | None = None
    halves: tuple[float, float] = (0.0, 0.0)
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def user_halves(users: np.ndarray, *, seed: int = 2024) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of the evaluated users (robustness: the ordering must hold on both)."""
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(users)
    mid = len(shuffled) // 2
    return np.sort(shuffled[:mid]), np.sort(shuffled[mid:])


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start
