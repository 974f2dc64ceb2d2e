"""Self-tuning at each training: the blend weights and the cold-profile threshold, fitted to this instance.

The shipped defaults were tuned by hand on one MovieLens file; another instance's viewers and
catalog may want other weights. So before the real fit, ``engine_tune`` carves a validation split
from the training interactions — each viewer's latest ``VALIDATION_FRACTION`` of interactions held
out, exactly like the offline protocol — fits the engine once on the rest, and searches:

- the warm weights (``w_*``) on the viewers' full remaining histories;
- the cold weights (``cw_*``) on the same viewers cut to their first ``COLD_HISTORY`` titles;
- ``cold_threshold``: the smallest history length at which the warm weights beat the cold ones;
- the diversity knobs (MMR ``diversity``, the ``novelty`` penalty, a lighter ``w_content``): the most
  accurate setting whose top-10 lists cover at least as many titles, and are at least as diverse
  (ILD@10), as the collaborative signal alone on the same viewers (issue 16: "not below EASE's").

A search only re-blends cached, per-viewer z-normalised signals over a shortlist of candidates (the
union of each signal's top ``SHORTLIST`` titles), so a trial costs milliseconds and the time budget
goes to the one extra fit. Guards: with fewer than ``MIN_VALIDATION_USERS`` validation viewers the
defaults stay (too thin to trust); when the budget runs out the best point so far is kept; and a blend
that scores below popularity alone on validation is never chosen — popularity alone is then used.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from scipy import sparse

from recsys.engine.model import (
    SIGNALS,
    EngineConfig,
    HybridEngine,
    Interactions,
    ItemSide,
    Kind,
    history_weights,
    mmr_order,
    popularity01,
    rerank_penalty,
)

VALIDATION_FRACTION = 0.2
MIN_HISTORY = 5  # viewers with fewer interactions are not split (nothing left to learn from)
MIN_VALIDATION_USERS = 20
MAX_VALIDATION_USERS = 400  # a fixed random sample: the search cost must not grow with the user base
POSITIVE_AT = 8.0  # a held-out rating counts as a hit at 8/10 or more (4 stars, as in the evaluation)
COLD_HISTORY = 3
THRESHOLD_CUTS = (3, 5, 8, 12)
SHORTLIST = 150
K = 10

WARM_SEARCH: dict[str, tuple[float, ...]] = {
    "w_cf": (0.0, 0.5, 1.0, 2.0),
    "w_content": (0.0, 0.2, 0.4, 0.8, 1.2),
    "w_trend": (0.0, 0.2, 0.5),
    "w_popularity": (0.0, 0.1, 0.3, 0.6),
    "w_quality": (0.0, 0.05, 0.15, 0.3),
}
COLD_SEARCH: dict[str, tuple[float, ...]] = {
    "cw_cf": (0.0, 0.25, 0.5, 1.0),
    "cw_content": (0.0, 0.1, 0.2, 0.4, 0.8),
    "cw_trend": (0.0, 0.2, 0.5),
    "cw_popularity": (0.1, 0.3, 0.6, 1.0),
    "cw_quality": (0.0, 0.05, 0.15, 0.3),
}
# The same grid as the offline harness (recsys/evaluation/runner.py, ENGINE_DIVERSITY_SEARCH).
DIVERSITY_SEARCH: dict[str, tuple[float, ...]] = {
    "diversity": (0.2, 0.35, 0.5, 0.65, 0.8),
    "novelty": (0.0, 0.3, 0.6, 0.9),
    "exposure": (0.0, 0.2, 0.4),
    "content_scale": (1.0, 0.75, 0.5),  # times the tuned w_content
}
DIVERSITY_KNOBS = ("diversity", "novelty", "exposure")
BLEND_KNOBS = tuple(f"{prefix}{name}" for prefix in ("w_", "cw_") for name in SIGNALS)


@dataclass(frozen=True)
class TuningResult:
    config: EngineConfig
    status: str  # "tuned", "defaults: <why>", "popularity: <why>"
    validation_users: int = 0
    validation_ndcg: float | None = None  # the chosen warm blend, NDCG@10
    default_ndcg: float | None = None  # the defaults on the same split
    popularity_ndcg: float | None = None  # popularity alone on the same split
    cold_validation_ndcg: float | None = None
    cold_popularity_ndcg: float | None = None
    trials: int = 0
    seconds: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)
    # The diversity stage: the chosen setting's validation Cov@10 / ILD@10 against the bar (the
    # collaborative signal alone), and whether any setting reached it.
    diversity: dict[str, Any] = field(default_factory=dict)

    def as_state(self) -> dict:
        """JSON-ready summary stored with the model (shown in the admin's engine state)."""
        out = asdict(self)
        out.pop("config")
        return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in out.items()}


@dataclass
class _Slate:
    """Per-viewer z-scored signals over a candidate shortlist (viewers × signals × candidates)."""

    z: np.ndarray
    hits: np.ndarray  # viewers × candidates: held-out positive
    ideal: np.ndarray  # viewers: ideal DCG@10
    sizes: np.ndarray  # viewers: history length the slate was built from
    items: np.ndarray  # viewers × candidates: item index (-1 = padding)

    def scores(self, weights: np.ndarray) -> np.ndarray:
        return np.einsum("usc,s->uc", self.z, weights.astype(np.float32))

    def ndcg(self, weights: np.ndarray) -> float:
        scores = self.scores(weights)
        k = min(K, scores.shape[1])
        top = np.argpartition(-scores, kth=k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        discounts = 1.0 / np.log2(np.arange(2, k + 2))
        dcg = (np.take_along_axis(self.hits, top, axis=1) * discounts).sum(axis=1)
        return float(np.mean(dcg / self.ideal))


class Budget:
    """The search's time budget: a step starts only if its estimated cost fits in what is left.

    A step's estimate is the longest time a step of the same kind has taken so far (a kind never seen
    only needs time left). Checking "is there time left?" between steps let the second pass's search
    run 136 s on a 120 s budget: the last slate or trial started with seconds to spare and ran past.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] | None = None) -> None:
        # Read time.monotonic at call time, so a test's fake clock applies.
        self._clock = clock or (lambda: time.monotonic())
        self.seconds = seconds
        self.started = self._clock()
        self._costs: dict[str, float] = {}

    def spent(self) -> float:
        return self._clock() - self.started

    def left(self) -> float:
        return self.seconds - self.spent()

    def fits(self, step: str) -> bool:
        left = self.left()
        return left > 0 and self._costs.get(step, 0.0) <= left

    @contextmanager
    def step(self, kind: str) -> Iterator[None]:
        """Time one step of ``kind`` and keep the longest as that kind's estimate."""
        start = self._clock()
        yield
        self._costs[kind] = max(self._costs.get(kind, 0.0), self._clock() - start)


def validation_split(data: Interactions, *, rng: np.random.Generator) -> tuple[Interactions, dict[int, np.ndarray]]:
    """Train rows (everything but each viewer's latest interactions) and held-out positives per viewer."""
    order = np.lexsort((data.items, data.times, data.users))
    users = data.users[order]
    keep = np.ones(len(order), dtype=bool)
    positives: dict[int, np.ndarray] = {}
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1] if len(users) else np.zeros(0, dtype=np.int64)
    ends = np.r_[starts[1:], len(users)]
    # Watchlist entries are intent, not consumption: they stay in the history, never become targets.
    consumed = data.kinds[order] != Kind.WATCHLIST
    for start, end in zip(starts, ends, strict=True):
        rows = order[start:end][consumed[start:end]]
        if len(rows) < MIN_HISTORY:
            continue
        held = rows[len(rows) - max(1, math.floor(VALIDATION_FRACTION * len(rows) + 0.5)) :]
        keep[held] = False
        good = (data.kinds[held] != Kind.RATING) | (data.values[held] >= POSITIVE_AT)
        if good.any():
            positives[int(users[start])] = np.unique(data.items[held[good]])
    if len(positives) > MAX_VALIDATION_USERS:
        chosen = rng.choice(sorted(positives), size=MAX_VALIDATION_USERS, replace=False)
        positives = {int(u): positives[int(u)] for u in chosen}
    train = Interactions(
        data.n_users,
        data.n_items,
        data.users[keep],
        data.items[keep],
        data.kinds[keep],
        data.values[keep],
        data.times[keep],
    )
    return train, positives


def _cut(data: Interactions, size: int) -> Interactions:
    """Every viewer's first ``size`` interactions (what a young account shows)."""
    order = np.lexsort((data.items, data.times, data.users))
    users = data.users[order]
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1] if len(users) else np.zeros(0, dtype=np.int64)
    position = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rows = order[position < size]
    return Interactions(
        data.n_users,
        data.n_items,
        data.users[rows],
        data.items[rows],
        data.kinds[rows],
        data.values[rows],
        data.times[rows],
    )


def _slate(engine: HybridEngine, H: sparse.csr_matrix, last: np.ndarray, positives: list[np.ndarray]) -> _Slate:
    n_signals = len(SIGNALS)
    short = min(SHORTLIST, engine.n_items)
    width = min(n_signals * short, engine.n_items)
    z = np.zeros((H.shape[0], n_signals, width), dtype=np.float32)
    hits = np.zeros((H.shape[0], width), dtype=np.float32)
    items = np.full((H.shape[0], width), -1, dtype=np.int64)
    batch = 64
    for lo in range(0, H.shape[0], batch):
        rows = H[lo : lo + batch]
        raw = engine.signals_for_rows(rows, last[lo : lo + batch])
        zs = np.stack([_zscore_rows(np.asarray(raw[name], dtype=np.float32)) for name in SIGNALS], axis=1)
        for i in range(rows.shape[0]):
            seen = rows.indices[rows.indptr[i] : rows.indptr[i + 1]]
            per_signal = zs[i].copy()
            per_signal[:, seen] = -np.inf
            shortlist = np.unique(np.argpartition(-per_signal, short - 1, axis=1)[:, :short])
            shortlist = shortlist[np.isfinite(per_signal[:, shortlist]).all(axis=0)]
            z[lo + i, :, : len(shortlist)] = zs[i][:, shortlist]
            # Padding never wins: far below any real candidate on every signal.
            z[lo + i, :, len(shortlist) :] = -1e4
            hits[lo + i, : len(shortlist)] = np.isin(shortlist, positives[lo + i])
            items[lo + i, : len(shortlist)] = shortlist
    ideal = np.array([sum(1.0 / math.log2(r + 2) for r in range(min(len(p), K))) for p in positives])
    return _Slate(z=z, hits=hits, ideal=ideal, sizes=np.diff(H.indptr), items=items)


@dataclass(frozen=True)
class ListStats:
    ndcg: float
    coverage: float  # distinct titles in the top-10 lists / catalog size
    ild: float | None  # mean pairwise cosine distance of each top 10 (None without vectors)


PARTS = ("all", "A", "B")


def list_stats(
    slate: _Slate,
    weights: np.ndarray,
    *,
    lam: float,
    novelty: float,
    vectors: np.ndarray | None,
    pop01: np.ndarray,
    depth: int,
    exposure: float = 0.0,
    penalty_after: int = 0,
    halves: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, ListStats]:
    """NDCG@10, coverage and ILD of the re-ranked top 10 (the engine's ``_rank`` on the slate).

    The exposure shares are the slate's own viewers' (they are the sample ``fit_exposure`` would
    draw). Keyed "all", and "A"/"B" for the two halves of the slate's viewers when ``halves`` are given.
    """
    scores = slate.scores(weights)
    shares = _slate_exposure(slate, scores, depth, len(pop01)) if exposure > 0 else None
    pool = min(3 * max(K, depth), scores.shape[1])
    n_items = len(pop01)
    use_vectors: np.ndarray = vectors if vectors is not None and len(vectors) else np.zeros((n_items, 1), np.float32)
    has_vectors = vectors is not None and len(vectors) > 0
    lam = lam if has_vectors else 0.0
    discounts = 1.0 / np.log2(np.arange(2, K + 2))
    # Each viewer's pool: their real candidates in score order (padding sorts last), at most ``pool``.
    ranked = np.argsort(-np.where(slate.items >= 0, scores, -np.inf), axis=1, kind="stable")[:, :pool]
    sizes = np.minimum((slate.items >= 0).sum(axis=1), pool)
    tops: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * scores.shape[0]
    ndcgs = np.zeros(scores.shape[0])
    ilds = np.full(scores.shape[0], np.nan)
    for size in np.unique(sizes[sizes > 0]):  # nearly always one size: the whole slate at once
        rows = np.flatnonzero(sizes == size)
        top = ranked[rows, :size]
        items = np.take_along_axis(slate.items[rows], top, axis=1)
        penalty = rerank_penalty(items, novelty=novelty, pop01=pop01, exposure=exposure, shares=shares)
        if lam > 0 or penalty is not None:
            order = mmr_order(
                np.take_along_axis(scores[rows], top, axis=1).astype(np.float64),
                use_vectors[items],
                lam=lam,
                depth=depth,
                penalty=penalty,
                penalty_after=penalty_after,
            )
            top = np.take_along_axis(top, order[:, :K], axis=1)
        top = top[:, :K]
        chosen = np.take_along_axis(slate.items[rows], top, axis=1)
        gains = np.take_along_axis(slate.hits[rows], top, axis=1) * discounts[: top.shape[1]]
        ndcgs[rows] = gains.sum(axis=1) / slate.ideal[rows]
        for row, listed in zip(rows, chosen, strict=True):
            tops[row] = listed
        if has_vectors and top.shape[1] > 1:
            v = use_vectors[chosen]
            pair_sims = np.matmul(v, v.transpose(0, 2, 1))
            n = top.shape[1]
            off_diagonal = pair_sims.sum(axis=(1, 2)) - np.trace(pair_sims, axis1=1, axis2=2)
            ilds[rows] = 1.0 - off_diagonal / (n * (n - 1))
    groups = {"all": np.arange(scores.shape[0])}
    if halves is not None:
        groups.update(A=halves[0], B=halves[1])
    out = {}
    for part, rows in groups.items():
        covered = set(np.concatenate([tops[r] for r in rows]).tolist()) if len(rows) else set()
        part_ilds = ilds[rows][~np.isnan(ilds[rows])]
        out[part] = ListStats(
            ndcg=float(ndcgs[rows].mean()) if len(rows) else 0.0,
            coverage=len(covered) / max(n_items, 1),
            ild=float(part_ilds.mean()) if len(part_ilds) else None,
        )
    return out


def _slate_exposure(slate: _Slate, scores: np.ndarray, depth: int, n_items: int) -> np.ndarray:
    """Per title, the share of the slate's viewers holding it in their first ``depth`` before the re-rank."""
    ranked = np.where(slate.items >= 0, scores, -np.inf)
    depth = min(depth, ranked.shape[1])
    top = np.argpartition(-ranked, depth - 1, axis=1)[:, :depth]
    items = np.take_along_axis(slate.items, top, axis=1)
    counts = np.bincount(items[items >= 0], minlength=n_items)
    return counts / max(len(ranked), 1)


def _broad_enough(mine: ListStats, bar: ListStats) -> bool:
    return mine.coverage >= bar.coverage and (bar.ild is None or (mine.ild or 0.0) >= bar.ild)


def _diversity_search(
    slate: _Slate,
    params: dict[str, float],
    *,
    base: EngineConfig,
    vectors: np.ndarray | None,
    pop01: np.ndarray,
    floor: float,
    budget: Budget,
    rng: np.random.Generator,
) -> tuple[dict[str, float], dict[str, Any], int]:
    """The most accurate (λ, novelty, content weight) whose lists are at least as broad and diverse as CF's.

    "At least" on the validation viewers and on each random half of them, so the choice does not sit
    on a knife edge; the list's NDCG must also stay at or above popularity alone.
    """
    shuffled = rng.permutation(len(slate.ideal))
    halves = (np.sort(shuffled[: len(shuffled) // 2]), np.sort(shuffled[len(shuffled) // 2 :]))
    cf_only = np.array([1.0 if name == "cf" else 0.0 for name in SIGNALS], dtype=np.float32)
    bar = list_stats(
        slate, cf_only, lam=0.0, novelty=0.0, vectors=vectors, pop01=pop01, depth=base.diversity_depth, halves=halves
    )
    current = {
        "diversity": base.diversity,
        "novelty": base.novelty,
        "exposure": base.exposure,
        "w_content": params["w_content"],
    }
    best: tuple[dict[str, float], ListStats] | None = None
    trials = 0
    for lam, novelty, exposure, scale in itertools.product(*DIVERSITY_SEARCH.values()):
        if not budget.fits("diversity trial"):
            break
        candidate = {
            "diversity": lam,
            "novelty": novelty,
            "exposure": exposure,
            "w_content": round(params["w_content"] * scale, 4),
        }
        weights = _vector({**params, "w_content": candidate["w_content"]}, "w_")
        with budget.step("diversity trial"):
            stats = list_stats(
                slate,
                weights,
                lam=lam,
                novelty=novelty,
                exposure=exposure,
                penalty_after=base.penalty_after,
                vectors=vectors,
                pop01=pop01,
                depth=base.diversity_depth,
                halves=halves,
            )
        trials += 1
        broad = all(_broad_enough(stats[part], bar[part]) for part in PARTS)
        if broad and stats["all"].ndcg >= floor and (best is None or stats["all"].ndcg > best[1].ndcg + 1e-9):
            best = (candidate, stats["all"])
    record: dict[str, Any] = {"bar_coverage": round(bar["all"].coverage, 5), "bar_ild": _round(bar["all"].ild)}
    if best is None:
        record["status"] = "bar not met: shipped diversity kept"
        return current, record, trials
    chosen, stats_all = best
    record.update(
        status="bar met",
        validation_ndcg=round(stats_all.ndcg, 5),
        validation_coverage=round(stats_all.coverage, 5),
        validation_ild=_round(stats_all.ild),
    )
    return chosen, record, trials


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 5)


def _zscore_rows(scores: np.ndarray) -> np.ndarray:
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return np.where(std > 1e-12, (scores - mean) / np.where(std > 1e-12, std, 1.0), 0.0).astype(np.float32)


def _vector(params: dict[str, float], prefix: str) -> np.ndarray:
    return np.array([params[f"{prefix}{name}"] for name in SIGNALS], dtype=np.float32)


def _ascent(
    slate: _Slate, start: dict[str, float], search: dict[str, tuple[float, ...]], prefix: str, budget: Budget
) -> tuple[dict[str, float], float, int]:
    """Coordinate ascent from ``start`` until no knob improves or the next trial no longer fits the budget."""
    current = dict(start)
    best = slate.ndcg(_vector(current, prefix))
    trials = 1
    for _ in range(3):
        improved = False
        for knob, values in search.items():
            for value in values:
                if not budget.fits("trial"):
                    return current, best, trials
                if current[knob] == value:
                    continue
                candidate = {**current, knob: value}
                if not _vector(candidate, prefix).any():
                    continue  # all-zero weights rank nothing
                with budget.step("trial"):
                    score = slate.ndcg(_vector(candidate, prefix))
                trials += 1
                if score > best + 1e-6:
                    best, current, improved = score, candidate, True
        if not improved:
            break
    return current, best, trials


def _popularity_only(prefix: str) -> dict[str, float]:
    return {f"{prefix}{name}": (1.0 if name == "popularity" else 0.0) for name in SIGNALS}


def engine_tune(
    *, data: Interactions, items: ItemSide | None, base: EngineConfig, budget_seconds: float, seed: int = 7
) -> TuningResult:
    """The config to train with: ``base`` with weights and threshold searched on this data's validation split."""
    budget = Budget(budget_seconds)

    def done(status: str, config: EngineConfig = base, **extra: Any) -> TuningResult:
        weights = {k: getattr(config, k) for k in (*BLEND_KNOBS, "cold_threshold", *DIVERSITY_KNOBS)}
        return TuningResult(config=config, status=status, seconds=round(budget.spent(), 3), weights=weights, **extra)

    if budget_seconds <= 0:
        return done("defaults: no tuning budget")
    if len(np.unique(data.users)) < base.solo_max_users:
        return done("defaults: solo instance")
    train, positives = validation_split(data, rng=np.random.default_rng(seed))
    if len(positives) < MIN_VALIDATION_USERS:
        return done(f"defaults: {len(positives)} validation viewers (< {MIN_VALIDATION_USERS})")
    # Without the content-neighbour table: at 50k titles it costs as much as the EASE fit, and it
    # only touches titles outside the EASE set, which are almost never a validation target.
    engine = HybridEngine(replace(base, neighbour_cf_k=0)).fit(train, items)
    users = np.array(sorted(positives), dtype=np.int64)
    targets = [positives[int(u)] for u in users]
    with budget.step("slate"):  # the cut slates below cost about the same: this is their estimate
        warm = _slate(engine, engine.history_weights[users], engine.user_last_time[users], targets)
    if budget.left() <= 0:
        return done("defaults: budget spent on the validation fit", validation_users=len(users))
    params = {k: float(getattr(base, k)) for k in BLEND_KNOBS}
    default_ndcg = warm.ndcg(_vector(params, "w_"))
    popularity_ndcg = warm.ndcg(_vector(_popularity_only("w_"), "w_"))
    warm_params, warm_ndcg, trials = _ascent(warm, params, WARM_SEARCH, "w_", budget)
    status = "tuned"
    if warm_ndcg < popularity_ndcg:
        warm_params, warm_ndcg, status = {**warm_params, **_popularity_only("w_")}, popularity_ndcg, "popularity: warm"
    params.update({k: v for k, v in warm_params.items() if k.startswith("w_")})
    diversity_params = {knob: getattr(base, knob) for knob in DIVERSITY_KNOBS}
    diversity_record: dict[str, Any] = {}
    if not status.startswith("popularity"):
        vectors = items.vectors if items is not None else None
        chosen, diversity_record, more = _diversity_search(
            warm,
            params,
            base=base,
            vectors=vectors,
            pop01=popularity01(engine.counts),
            floor=popularity_ndcg,
            budget=budget,
            rng=np.random.default_rng(seed),
        )
        trials += more
        params["w_content"] = chosen["w_content"]
        diversity_params = {knob: chosen[knob] for knob in DIVERSITY_KNOBS}

    cold_ndcg = cold_pop = None
    threshold = base.cold_threshold
    cuts: dict[int, _Slate] = {}
    for size in (COLD_HISTORY, *THRESHOLD_CUTS):
        if size in cuts or not budget.fits("slate"):
            continue
        with budget.step("slate"):
            cut = _cut(train, size)
            H = history_weights(cut, engine.history_config)[users]
            last = np.full(cut.n_users, -np.inf)
            np.maximum.at(last, cut.users, cut.times)
            cuts[size] = _slate(engine, H, last[users], targets)
    if COLD_HISTORY in cuts:
        cold = cuts[COLD_HISTORY]
        cold_pop = cold.ndcg(_vector(_popularity_only("cw_"), "cw_"))
        cold_params, cold_ndcg, more = _ascent(cold, params, COLD_SEARCH, "cw_", budget)
        trials += more
        if cold_ndcg < cold_pop:
            cold_params, cold_ndcg = {**cold_params, **_popularity_only("cw_")}, cold_pop
            status += " (cold: popularity)"
        params.update({k: v for k, v in cold_params.items() if k.startswith("cw_")})
        # The cold profile serves histories shorter than the first cut where the warm weights win.
        wins = [size for size in THRESHOLD_CUTS if size in cuts]
        warm_vec, cold_vec = _vector(params, "w_"), _vector(params, "cw_")
        threshold = next(
            (size for size in wins if cuts[size].ndcg(warm_vec) >= cuts[size].ndcg(cold_vec)),
            max(wins, default=base.cold_threshold) + 1,
        )
    tuned: dict[str, Any] = {**params, **diversity_params, "cold_threshold": int(threshold)}
    config = replace(base, **tuned)
    return done(
        status,
        config,
        diversity=diversity_record,
        validation_users=len(users),
        validation_ndcg=warm_ndcg,
        default_ndcg=default_ndcg,
        popularity_ndcg=popularity_ndcg,
        cold_validation_ndcg=cold_ndcg,
        cold_popularity_ndcg=cold_pop,
        trials=trials,
    )
