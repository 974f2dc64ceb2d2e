"""The local hybrid engine: numpy/scipy arrays in, per-user ranked items with their strongest signal out.

Signals, each scored over the whole catalog for a user and z-normalised per user before the blend
(so a signal with nothing to say — no other users, no vectors — is exactly zero):

- ``cf``: EASE item-item weights (Steck 2019, "Embarrassingly Shallow Autoencoders") learned from
  every user's interactions, applied to the user's recency- and rating-weighted history;
- ``content``: cosine similarity of item embeddings to the user's weighted taste profile;
- ``trend``: what everyone interacted with shortly before the user's last activity (time-aware
  popularity, exponential decay);
- ``popularity`` / ``quality``: item-side priors (log interaction count + catalog popularity,
  Bayesian-shrunk vote average).

History weights: recency by position from the user's newest interaction (half-life in
interactions, robust to binge sessions that share one timestamp), multiplied by a rating factor —
ratings at or below ``dislike_at`` (on a 1–10 scale: a 3/10 is a negative) push similar titles down,
and watchlist entries count as intent with their own weight. Diversity: maximal marginal relevance
(Carbonell & Goldstein 1998) over the first positions, using item vectors when there are any.

Weights were chosen with ``manage.py evaluate`` on a validation split carved from train; see
docs/design/recommender.md for the figures.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse


class Kind(enum.IntEnum):
    VIEW = 0
    RATING = 1
    WATCHLIST = 2


@dataclass(frozen=True)
class EngineConfig:
    ease_lambda: float = 250.0
    max_cf_items: int = 20_000  # EASE is dense in items: cap at the most-interacted titles (see design doc)
    half_life_interactions: float = 0.0  # 0 = off
    rating_slope: float = 0.6  # pref = 1 + slope·(r − 7)/3 on a 1–10 scale
    dislike_at: float = 4.0  # ratings <= this are negatives
    dislike_weight: float = 0.5
    watchlist_weight: float = 0.6
    trend_tau_days: float = 60.0
    w_cf: float = 1.0
    w_content: float = 0.8
    w_trend: float = 0.0
    w_popularity: float = 0.3
    w_quality: float = 0.15
    # Users with fewer than ``cold_threshold`` history titles are blended with the cold weights: a
    # thin history says little about taste, and the evaluation shows popularity carrying them.
    cold_threshold: int = 5
    cw_cf: float = 0.0
    cw_content: float = 0.1
    cw_trend: float = 0.0
    cw_popularity: float = 0.3
    cw_quality: float = 0.0
    # A model trained on fewer users than this is a self-hosted "solo" instance: collaborative
    # signal is (nearly) absent, so every row uses the solo weights, tuned in the harness's solo mode.
    solo_max_users: int = 5
    sw_cf: float = 1.0
    sw_content: float = 0.2
    sw_trend: float = 0.0
    sw_popularity: float = 0.3
    sw_quality: float = 0.3
    solo_half_life_interactions: float = 10.0
    # Item cold start: a title outside the EASE set (fewer than two viewers, or past the cap) gets a
    # collaborative score borrowed from its nearest content neighbours inside it (0 = off), scaled by
    # ``neighbour_cf_weight`` since a borrowed score is weaker evidence than an own one.
    neighbour_cf_k: int = 20
    neighbour_cf_weight: float = 0.5
    # Added to the row's weights for titles without any interaction (item cold start): collaborative
    # and content scores say less about them, so the catalog's popularity and quality may carry more.
    # 0 = blend them like any title; the evaluation tunes these on its new-titles validation slice.
    nw_cf: float = 0.0
    nw_content: float = 0.0
    nw_trend: float = 0.0
    nw_popularity: float = 0.0
    nw_quality: float = 0.0
    # MMR trade-off λ (0 = pure relevance) over the first ``diversity_depth`` positions; thin histories
    # (the cold profile) have their own λ, tuned on the cold slice: their lists are popularity-led.
    diversity: float = 0.2
    cw_diversity: float = 0.2
    diversity_depth: int = 20
    # Re-rank penalty on a title's popularity (log interaction count scaled to 0–1 over the catalog),
    # as a share of the relevance range of the user's top candidates, for established viewers only
    # (a thin history is carried by popularity on purpose). The priors that win accuracy pull every
    # list toward the same head titles; this lets less-watched titles of the same relevance through,
    # which raises catalog coverage (issue 16). 0 = off; the tuning chooses it with ``diversity``.
    novelty: float = 0.0
    # Re-rank penalty on a title's exposure: the share of (a sample of) warm viewers whose first
    # ``diversity_depth`` titles before the re-rank hold it, scaled to 0–1 by the most exposed title;
    # computed at training (``fit_exposure``). It aims straight at what catalog coverage counts — the
    # same few titles at the top of everyone's list — where ``novelty`` only approximates it by how
    # much a title was watched. Warm viewers only; 0 = off (and nothing is computed).
    exposure: float = 0.0
    # Both penalties leave the first ``penalty_after`` picks alone: NDCG@10 weighs the top positions
    # most (and the first tiles are what a viewer sees first) while coverage counts every position.
    # Measured on the MovieLens validation split: after 3 picks, novelty 0.9 + exposure 0.2 kept
    # NDCG@10 at 0.129 (from 0.125 with the penalties on every position) at the same coverage (0.072).
    penalty_after: int = 3


# Exposure is a share, so a fixed random sample of viewers estimates it: its cost must not grow with
# the user base (measured: about 1 s for 1,000 viewers at 10k titles, 12 s at 50k titles).
EXPOSURE_SAMPLE = 1000

SIGNALS = ("cf", "content", "trend", "popularity", "quality")


@dataclass
class Interactions:
    """Parallel arrays over dense indexes; ``values`` are ratings on a 1–10 scale (NaN when none)."""

    n_users: int
    n_items: int
    users: np.ndarray
    items: np.ndarray
    kinds: np.ndarray
    values: np.ndarray
    times: np.ndarray  # unix seconds

    def __post_init__(self) -> None:
        self.users = np.asarray(self.users, dtype=np.int64)
        self.items = np.asarray(self.items, dtype=np.int64)
        self.kinds = np.asarray(self.kinds, dtype=np.int8)
        self.values = np.asarray(self.values, dtype=np.float64)
        self.times = np.asarray(self.times, dtype=np.float64)


@dataclass
class ItemSide:
    """Item-side knowledge: unit vectors (rows of zeros when missing) and priors (any scale)."""

    vectors: np.ndarray | None = None
    catalog_popularity: np.ndarray | None = None
    quality: np.ndarray | None = None


@dataclass(frozen=True)
class Pick:
    item: int
    score: float
    source: str  # the signal contributing most: one of SIGNALS
    anchor: int | None  # history item that explains a cf/content pick
    anchor_rating: float | None  # its rating (1–10) when it was rated


def _zscore(scores: np.ndarray) -> np.ndarray:
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return np.where(std > 1e-12, (scores - mean) / np.where(std > 1e-12, std, 1.0), 0.0)


@dataclass
class HybridEngine:
    config: EngineConfig = field(default_factory=EngineConfig)

    # --- training ---------------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        *,
        config: EngineConfig,
        counts: np.ndarray,
        cf_active: np.ndarray,
        cf_B: np.ndarray,
        items: ItemSide,
        times: np.ndarray,
        items_by_time: np.ndarray,
        solo: bool = False,
        neighbours: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        exposure: np.ndarray | None = None,
    ) -> HybridEngine:
        """A scoring-only engine rebuilt from a saved artefact (no per-user training data)."""
        engine = cls(config)
        engine.solo = solo
        engine.n_items = len(counts)
        engine.counts = counts
        engine.cf_active = np.asarray(cf_active, dtype=np.int64)
        engine.cf_B = np.asarray(cf_B, dtype=np.float32)
        engine.items = items
        engine._times_sorted = np.asarray(times, dtype=np.float64)
        engine._items_by_time = np.asarray(items_by_time, dtype=np.int64)
        engine.neighbour_items, engine.neighbour_index, engine.neighbour_weights = neighbours or _no_neighbours()
        engine.exposure = np.zeros(len(counts), np.float32) if exposure is None else np.asarray(exposure, np.float32)
        return engine

    def fit(self, data: Interactions, items: ItemSide | None = None) -> HybridEngine:
        cfg = self.config
        self.data = data
        self.items = items or ItemSide()
        self.n_items = data.n_items
        # Users who actually have interactions (an index may reserve rows for users without any).
        self.solo = len(np.unique(data.users)) < cfg.solo_max_users
        positive = ~((data.kinds == Kind.RATING) & (data.values <= cfg.dislike_at))
        X = sparse.csr_matrix(
            (np.ones(int(positive.sum()), dtype=np.float32), (data.users[positive], data.items[positive])),
            shape=(data.n_users, data.n_items),
        )
        X.data[:] = 1.0  # duplicates (view + rating of one title) count once
        self.X = X
        self.counts = np.asarray(X.sum(axis=0)).ravel()
        self._fit_cf(X)
        order = np.argsort(data.times, kind="stable")
        self._times_sorted = data.times[order]
        self._items_by_time = data.items[order]
        self.history_weights = self._history_weights()
        self.exposure = np.zeros(self.n_items, np.float32)
        return self

    def fit_exposure(self, *, sample: int = EXPOSURE_SAMPLE, seed: int = 7) -> HybridEngine:
        """Each title's exposure (see ``EngineConfig.exposure``) under the configured weights.

        A separate step after ``fit`` because it depends on the blend weights, which the self-tuning
        chooses after its own fit; with the penalty off there is nothing to compute.
        """
        self.exposure = np.zeros(self.n_items, np.float32)
        if self.config.exposure <= 0 or getattr(self, "solo", False):
            return self
        warm = exposure_viewers(np.diff(self.history_weights.indptr), self.config, sample=sample, seed=seed)
        counts = np.zeros(self.n_items)
        for lo in range(0, len(warm), 64):
            users = warm[lo : lo + 64]
            counts += exposure_counts(self.score(users), self.history_weights[users], self.config.diversity_depth)
        self.exposure = (counts / max(len(warm), 1)).astype(np.float32)
        return self

    def _fit_cf(self, X: sparse.csr_matrix) -> None:
        cfg = self.config
        # Only titles that at least two users touched can carry co-occurrence signal.
        active = np.flatnonzero(self.counts >= 2)
        if len(active) > cfg.max_cf_items:
            active = np.sort(active[np.argsort(-self.counts[active], kind="stable")[: cfg.max_cf_items]])
        self.cf_active = active
        self.neighbour_items, self.neighbour_index, self.neighbour_weights = _no_neighbours()
        if len(active) == 0 or X.shape[0] < 2:
            self.cf_B = np.zeros((0, 0), dtype=np.float32)
            return
        Xa = X[:, active]
        self.cf_B = ease_weights((Xa.T @ Xa).toarray().astype(np.float32), cfg.ease_lambda)
        self._fit_neighbours()

    def _fit_neighbours(self) -> None:
        """For each title outside the EASE set, its ``neighbour_cf_k`` closest EASE titles by content."""
        self.neighbour_items, self.neighbour_index, self.neighbour_weights = _no_neighbours()
        vectors, k = self.items.vectors, self.config.neighbour_cf_k
        if vectors is None or not len(vectors) or k <= 0 or len(self.cf_active) <= k:
            return
        outside = np.ones(self.n_items, dtype=bool)
        outside[self.cf_active] = False
        outside &= np.abs(vectors).sum(axis=1) > 0
        cold = np.flatnonzero(outside)
        if not len(cold):
            return
        active_vectors = vectors[self.cf_active]
        index = np.zeros((len(cold), k), dtype=np.int32)
        weights = np.zeros((len(cold), k), dtype=np.float32)
        for lo in range(0, len(cold), 1024):
            sims = vectors[cold[lo : lo + 1024]] @ active_vectors.T
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            top_sims = np.maximum(np.take_along_axis(sims, top, axis=1), 0.0)
            index[lo : lo + len(top)] = top
            weights[lo : lo + len(top)] = top_sims / np.maximum(top_sims.sum(axis=1, keepdims=True), 1e-9)
        self.neighbour_items, self.neighbour_index, self.neighbour_weights = cold, index, weights

    def _history_weights(self) -> sparse.csr_matrix:
        self.user_last_time = np.full(self.data.n_users, -np.inf)
        np.maximum.at(self.user_last_time, self.data.users, self.data.times)
        return history_weights(self.data, self.history_config)

    @property
    def history_config(self) -> EngineConfig:
        if getattr(self, "solo", False):
            return replace(self.config, half_life_interactions=self.config.solo_half_life_interactions)
        return self.config

    # --- scoring ----------------------------------------------------------------------------
    def history_row(
        self, *, items: np.ndarray, kinds: np.ndarray, values: np.ndarray, times: np.ndarray
    ) -> sparse.csr_matrix:
        """One user's history weights (1 × items) from raw arrays, e.g. fresher than the training data."""
        n = len(items)
        data = Interactions(1, self.n_items, np.zeros(n), items, kinds, values, times)
        return history_weights(data, self.history_config)[0]

    def signals(self, users: np.ndarray) -> dict[str, np.ndarray]:
        users = np.asarray(users, dtype=np.int64)
        return self.signals_for_rows(self.history_weights[users], self.user_last_time[users])

    def signals_for_rows(self, H: sparse.csr_matrix, last_times: np.ndarray) -> dict[str, np.ndarray]:
        """Raw signal scores (rows × items) before normalisation."""
        out: dict[str, np.ndarray] = {}
        cf = np.zeros((H.shape[0], self.n_items), dtype=np.float32)
        if self.cf_B.size:
            active_cf = H[:, self.cf_active].astype(np.float32) @ self.cf_B
            cf[:, self.cf_active] = active_cf
            if len(self.neighbour_items):
                borrowed = (active_cf[:, self.neighbour_index] * self.neighbour_weights).sum(axis=2)
                cf[:, self.neighbour_items] = self.config.neighbour_cf_weight * borrowed
        out["cf"] = cf
        vectors = self.items.vectors
        if vectors is not None and len(vectors):
            # float32 throughout: mixing in float64 would copy the whole vector table on every call.
            profile = np.zeros((H.shape[0], vectors.shape[1]), dtype=np.float32)
            for row in range(H.shape[0]):
                start, end = H.indptr[row], H.indptr[row + 1]
                if end > start:
                    profile[row] = H.data[start:end].astype(np.float32) @ vectors[H.indices[start:end]]
            norms = np.linalg.norm(profile, axis=1, keepdims=True)
            profile = profile / np.where(norms > 0, norms, 1.0)
            out["content"] = profile @ vectors.T
        else:
            out["content"] = np.zeros_like(cf)
        out["trend"] = self._trend(last_times)
        pop = np.log1p(self.counts)
        if self.items.catalog_popularity is not None:
            pop = pop + np.log1p(np.maximum(self.items.catalog_popularity, 0))
        out["popularity"] = np.broadcast_to(pop, cf.shape)
        quality = self.items.quality if self.items.quality is not None else np.zeros(self.n_items)
        out["quality"] = np.broadcast_to(quality, cf.shape)
        return out

    def _trend(self, last_times: np.ndarray) -> np.ndarray:
        """Decayed interaction counts of everyone before each row's time (``-inf`` → the newest data)."""
        tau = self.config.trend_tau_days * 86400.0
        out = np.zeros((len(last_times), self.n_items), dtype=np.float32)
        times = self._times_sorted
        for row, end_time in enumerate(last_times):
            if not len(times):
                break
            if not np.isfinite(end_time) or end_time > times[-1]:
                end_time = times[-1]
            hi = np.searchsorted(times, end_time, side="right")
            lo = np.searchsorted(times, end_time - 6 * tau, side="left")
            if hi > lo:
                weights = np.exp(-(end_time - times[lo:hi]) / tau)
                out[row] = np.bincount(self._items_by_time[lo:hi], weights=weights, minlength=self.n_items)
        return out

    def signal_weights(self, history_sizes: np.ndarray) -> dict[str, np.ndarray]:
        """Per-row weight of each signal (rows × 1): warm weights, or cold ones for thin histories."""
        cfg = self.config
        sizes = np.asarray(history_sizes)
        if getattr(self, "solo", False):
            return {name: np.full((len(sizes), 1), getattr(cfg, f"sw_{name}")) for name in SIGNALS}
        cold = (sizes < cfg.cold_threshold)[:, None]
        return {name: np.where(cold, getattr(cfg, f"cw_{name}"), getattr(cfg, f"w_{name}")) for name in SIGNALS}

    def weighted(self, raw: dict[str, np.ndarray], history_sizes: np.ndarray) -> dict[str, np.ndarray]:
        weights = self.signal_weights(history_sizes)
        cfg = self.config
        # Titles nobody has interacted with get the new-title weights on top (item cold start); not on
        # a solo instance, where nearly every title is "unseen" and the solo weights say how to rank.
        new = (self.counts <= 0) & (not getattr(self, "solo", False))
        out = {}
        for name in SIGNALS:
            extra = getattr(cfg, f"nw_{name}") if new.any() else 0.0
            if not weights[name].any() and not extra:
                continue
            z = _zscore(np.asarray(raw[name], dtype=np.float64))
            part = weights[name] * z
            if extra:
                part[:, new] += extra * z[:, new]
            out[name] = part
        return out

    def blend(self, raw: dict[str, np.ndarray], history_sizes: np.ndarray) -> np.ndarray:
        """Weighted sum of per-user z-normalised signals (users × items)."""
        shape = next(iter(raw.values())).shape
        return sum(self.weighted(raw, history_sizes).values(), np.zeros(shape))

    def history_sizes(self, users: np.ndarray) -> np.ndarray:
        return np.diff(self.history_weights.indptr)[np.asarray(users, dtype=np.int64)]

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.blend(self.signals(users), self.history_sizes(users))

    def recommend(
        self, *, user: int, count: int, allowed: np.ndarray | None = None, exclude: np.ndarray | None = None
    ) -> list[Pick]:
        """Top picks for a user of the training data."""
        H = self.history_weights[user]
        ratings = self._ratings_of(user)
        return self.recommend_row(
            H=H,
            last_time=float(self.user_last_time[user]),
            ratings=ratings,
            count=count,
            allowed=allowed,
            exclude=np.union1d(self.X[user].indices, exclude if exclude is not None else []).astype(np.int64),
        )

    def recommend_row(
        self,
        *,
        H: sparse.csr_matrix,
        last_time: float,
        ratings: dict[int, float],
        count: int,
        allowed: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
    ) -> list[Pick]:
        """Top ``count`` items for one history row; the history itself and ``exclude`` are never returned."""
        return self.recommend_rows(
            H=H, last_time=last_time, ratings=ratings, count=count, allowed={"": allowed}, exclude=exclude
        )[""]

    def recommend_rows(
        self,
        *,
        H: sparse.csr_matrix,
        last_time: float,
        ratings: dict[int, float],
        count: int,
        allowed: dict[str, np.ndarray | None],
        exclude: np.ndarray | None = None,
    ) -> dict[str, list[Pick]]:
        """``recommend_row`` for several item subsets (e.g. movies and shows) of one history row.

        The signals are scored once for the whole catalog (the costly part: the history times the
        co-watch weights and the content profile against every vector), then each subset is ranked.
        """
        parts = self.weighted(self.signals_for_rows(H, np.array([last_time])), np.array([H.nnz]))
        total = sum((part[0] for part in parts.values()), np.zeros(self.n_items))
        blocked = np.zeros(self.n_items, dtype=bool)
        blocked[H.indices] = True
        if exclude is not None and len(exclude):
            blocked[np.asarray(exclude, dtype=np.int64)] = True
        picks = {}
        for key, subset in allowed.items():
            kept = np.where(blocked if subset is None else blocked | ~subset, -np.inf, total)
            ranked = np.asarray(self._rank(kept, count, history_size=H.nnz), dtype=np.int64)
            picks[key] = self._explain(H, ratings, ranked, kept[ranked], parts)
        return picks

    def is_warm(self, history_size: int) -> bool:
        """Whether a row of this history length is ranked with the warm profile (not cold, not solo)."""
        return not getattr(self, "solo", False) and history_size >= self.config.cold_threshold

    def popularity01(self) -> np.ndarray:
        """Each title's log interaction count scaled to 0–1 (the novelty penalty's base)."""
        return popularity01(self.counts)

    def is_cold(self, history_size: int) -> bool:
        """Whether a row of this history length is ranked with the cold profile."""
        return not getattr(self, "solo", False) and history_size < self.config.cold_threshold

    def _rank(self, total: np.ndarray, count: int, *, history_size: int | None = None) -> list[int]:
        finite = np.flatnonzero(np.isfinite(total))
        if len(finite) == 0 or count <= 0:
            return []
        # The re-rank works on a fixed pool (3 × diversity_depth, as in the evaluation harness) so its
        # relevance scaling does not depend on how many picks are asked for; deeper picks follow in score order.
        pool_size = 3 * self.config.diversity_depth
        top = finite[np.argsort(-total[finite], kind="stable")[: max(count, pool_size)]]
        warm = history_size is None or self.is_warm(history_size)
        cold = history_size is not None and self.is_cold(history_size)
        lam = self.config.cw_diversity if cold else self.config.diversity
        vectors = self.items.vectors
        if vectors is None or not len(vectors):
            lam, vectors = 0.0, np.zeros((self.n_items, 1), dtype=np.float32)
        novelty = self.config.novelty if warm else 0.0
        exposure = self.config.exposure if warm else 0.0
        if lam <= 0 and novelty <= 0 and exposure <= 0:
            return [int(i) for i in top[:count]]
        pool = top[:pool_size]
        pop01 = self.popularity01() if novelty > 0 else None
        penalty = rerank_penalty(pool, novelty=novelty, pop01=pop01, exposure=exposure, shares=self.exposure)
        order = mmr_order(
            total[pool][None, :],
            vectors[pool][None, :, :],
            lam=lam,
            depth=self.config.diversity_depth,
            penalty=None if penalty is None else penalty[None, :],
            penalty_after=self.config.penalty_after,
        )[0]
        return ([int(i) for i in pool[order]] + [int(i) for i in top[pool_size:]])[:count]

    def _explain(
        self,
        H: sparse.csr_matrix,
        ratings: dict[int, float],
        items: np.ndarray,
        scores: np.ndarray,
        parts: dict[str, np.ndarray],
    ) -> list[Pick]:
        """Each pick's strongest signal and, for cf/content picks, the history title behind it."""
        if not parts:
            return [Pick(int(i), float(s), "popularity", None, None) for i, s in zip(items, scores, strict=True)]
        names = list(parts)
        # The first strongest signal wins a tie, in SIGNALS order (as max() over the dict would).
        sources = [names[k] for k in np.argmax(np.stack([parts[name][0, items] for name in names]), axis=0)]
        anchors = self._anchors(H, items, sources)
        return [
            Pick(
                item=int(item),
                score=float(score),
                source=source,
                anchor=anchor,
                anchor_rating=ratings.get(anchor) if anchor is not None else None,
            )
            for item, score, source, anchor in zip(items, scores, sources, anchors, strict=True)
        ]

    def _anchors(self, H: sparse.csr_matrix, items: np.ndarray, sources: list[str]) -> list[int | None]:
        """For each cf/content pick, the history title contributing most to it through that signal;
        None for other picks, for an empty history, and when no history title contributes positively."""
        anchors: list[int | None] = [None] * len(items)
        hist, weights = H.indices, H.data
        if len(hist) == 0 or not len(items):
            return anchors
        vectors = self.items.vectors
        has_vectors = vectors is not None and len(vectors) > 0
        contrib = np.full((len(hist), len(items)), -np.inf)
        by_cf = np.array([source == "cf" for source in sources]) & bool(self.cf_B.size)
        # A cf pick with no co-watch weights at all is explained by content, as a content pick is.
        by_content = np.array([source in ("cf", "content") for source in sources]) & ~by_cf & has_vectors
        if by_cf.any():
            position = np.searchsorted(self.cf_active, items)
            in_cf = position < len(self.cf_active)
            in_cf[in_cf] = self.cf_active[position[in_cf]] == items[in_cf]
            columns = np.flatnonzero(by_cf & in_cf)
            hist_pos = np.minimum(np.searchsorted(self.cf_active, hist), len(self.cf_active) - 1)
            ok = self.cf_active[hist_pos] == hist
            if ok.any() and len(columns):
                block = weights[ok, None] * self.cf_B[np.ix_(hist_pos[ok], position[columns])]
                contrib[np.ix_(np.flatnonzero(ok), columns)] = block
        if by_content.any() and vectors is not None:
            columns = np.flatnonzero(by_content)
            contrib[:, columns] = weights[:, None] * (vectors[hist] @ vectors[items[columns]].T)
        explained = by_cf | by_content
        best = np.argmax(contrib, axis=0)
        strongest = contrib[best, np.arange(len(items))]
        for column in np.flatnonzero(explained & np.isfinite(strongest) & (strongest > 0)):
            anchors[column] = int(hist[best[column]])
        return anchors

    def _ratings_of(self, user: int) -> dict[int, float]:
        mask = (self.data.users == user) & (self.data.kinds == Kind.RATING)
        return {int(i): float(v) for i, v in zip(self.data.items[mask], self.data.values[mask], strict=True)}


def _no_neighbours() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0, np.int64), np.zeros((0, 0), np.int32), np.zeros((0, 0), np.float32)


def ease_weights(gram: np.ndarray, lam: float) -> np.ndarray:
    """EASE closed form (Steck 2019): ``P = (G + λI)⁻¹``, ``B = I − P·diag(1/diag(P))``, zero diagonal.

    ``G + λI`` is symmetric positive definite, so the inverse goes through Cholesky (LAPACK potrf +
    potri, ~n³ flops) instead of LU (~2n³): half the time of ``np.linalg.inv`` at the same accuracy.
    Overwrites ``gram``.
    """
    from scipy.linalg import lapack

    gram[np.diag_indices_from(gram)] += lam
    potrf, potri = (lapack.spotrf, lapack.spotri) if gram.dtype == np.float32 else (lapack.dpotrf, lapack.dpotri)
    factor, info = potrf(gram, lower=True, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"Gram matrix is not positive definite (potrf info={info})")
    P, info = potri(factor, lower=True, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"Cholesky inverse failed (potri info={info})")
    P = np.tril(P) + np.tril(P, -1).T  # potri fills one triangle only
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    return B.astype(np.float32)


def history_weights(data: Interactions, cfg: EngineConfig) -> sparse.csr_matrix:
    """User × item weights of each user's own history (recency × rating/intent factor)."""
    order = np.lexsort((data.items, data.times, data.users))
    users, items = data.users[order], data.items[order]
    counts = np.bincount(users, minlength=data.n_users)
    ends = np.cumsum(counts)
    from_end = ends[users] - 1 - np.arange(len(order))
    # half-life 0 = no recency decay (what the MovieLens evaluation chose for warm users).
    recency = 0.5 ** (from_end / cfg.half_life_interactions) if cfg.half_life_interactions > 0 else np.ones(len(order))
    kinds, values = data.kinds[order], data.values[order]
    pref = np.ones(len(order))
    rated = kinds == Kind.RATING
    pref[rated] = 1.0 + cfg.rating_slope * (values[rated] - 7.0) / 3.0
    disliked = rated & (values <= cfg.dislike_at)
    pref[disliked] = -cfg.dislike_weight
    pref[kinds == Kind.WATCHLIST] = cfg.watchlist_weight
    H = sparse.coo_matrix((recency * pref, (users, items)), shape=(data.n_users, data.n_items)).tocsr()
    H.sum_duplicates()
    return H


def popularity01(counts: np.ndarray) -> np.ndarray:
    """Log interaction counts scaled to 0–1 (0 for a title nobody touched)."""
    logs = np.log1p(np.maximum(np.asarray(counts, dtype=np.float64), 0.0))
    top = logs.max() if len(logs) else 0.0
    return logs / top if top > 0 else logs


def exposure_viewers(
    history_sizes: np.ndarray, config: EngineConfig, *, sample: int = EXPOSURE_SAMPLE, seed: int = 7
) -> np.ndarray:
    """The viewers exposure is estimated on: the warm ones, a fixed random ``sample`` of them at most."""
    warm = np.flatnonzero(np.asarray(history_sizes) >= config.cold_threshold)
    if len(warm) > sample:
        warm = np.sort(np.random.default_rng(seed).choice(warm, size=sample, replace=False))
    return warm


def exposure_counts(scores: np.ndarray, seen: sparse.csr_matrix, depth: int) -> np.ndarray:
    """Per title, how many rows hold it in their first ``depth`` by score, their ``seen`` titles excluded."""
    scores = np.array(scores, dtype=np.float64)
    scores[seen.nonzero()] = -np.inf
    depth = min(depth, scores.shape[1])
    counts = np.zeros(scores.shape[1])
    if depth <= 0 or not len(scores):
        return counts
    top = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    kept = np.isfinite(np.take_along_axis(scores, top, axis=1))
    np.add.at(counts, top[kept], 1.0)
    return counts


def rerank_penalty(
    pool: np.ndarray, *, novelty: float, pop01: np.ndarray | None, exposure: float, shares: np.ndarray | None
) -> np.ndarray | None:
    """The re-rank's per-title penalty for ``pool``: novelty × popularity01 + exposure × shares scaled to 0–1."""
    penalty = np.zeros(np.shape(pool))
    if novelty > 0 and pop01 is not None:
        penalty += novelty * pop01[pool]
    if exposure > 0 and shares is not None and len(shares) and shares.max() > 0:
        penalty += exposure * shares[pool] / shares.max()
    return penalty if penalty.any() else None


def mmr_order(
    scores: np.ndarray,
    vectors: np.ndarray,
    *,
    lam: float,
    depth: int,
    penalty: np.ndarray | None = None,
    penalty_after: int = 0,
) -> np.ndarray:
    """Maximal marginal relevance over the first ``depth`` positions of each row; the rest keep score order.

    ``scores`` (rows × pool) and ``vectors`` (rows × pool × dims) describe each row's candidate pool;
    returns, per row, the pool positions in their new order. Relevance is the score scaled to 0–1 over
    the row, minus ``penalty`` (same scale: the novelty and exposure terms) from position
    ``penalty_after`` on, so a penalty of 0.3 costs a title 30 % of the pool's relevance range. Rows
    are re-ranked together (the self-tuning's diversity trials re-rank hundreds at a time); a tie goes
    to the earlier pool position.
    """
    n_rows, size = scores.shape
    low = scores.min(axis=1, keepdims=True) if size else np.zeros((n_rows, 1))
    spread = np.ptp(scores, axis=1, keepdims=True) if size else np.ones((n_rows, 1))
    plain = (scores - low) / np.where(spread > 0, spread, 1.0)
    penalised = plain - penalty if penalty is not None else plain
    # Pairwise similarity inside each pool, once: each step then reads a row of it.
    sims = np.matmul(vectors, vectors.transpose(0, 2, 1)) if lam > 0 else None
    rows = np.arange(n_rows)
    taken = np.zeros((n_rows, size), dtype=bool)
    max_sim = np.zeros((n_rows, size))
    steps = min(depth, size)
    order = np.empty((n_rows, size), dtype=np.int64)
    for step in range(steps):
        rel = plain if step < penalty_after else penalised
        value = (1 - lam) * rel - lam * max_sim
        value[taken] = -np.inf
        best = np.argmax(value, axis=1)
        order[:, step] = best
        taken[rows, best] = True
        if sims is not None:
            max_sim = np.maximum(max_sim, sims[rows, best])
    # The positions not re-ranked follow in pool order (a stable sort puts the untaken first, in order).
    order[:, steps:] = np.argsort(taken, axis=1, kind="stable")[:, : size - steps]
    return order
