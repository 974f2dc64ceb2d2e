"""The offline evaluation protocol of issue 6, on MovieLens-format files, without the database.

Protocol (fixed, so numbers compare across tools):
- users with at least 5 ratings;
- per user, ratings sorted by (timestamp, movieId); the last ``max(1, round_half_up(0.2 * n))`` are
  test, the rest train. ``round`` is round-half-up (``floor(x + 0.5)``), not Python's banker's
  ``round()``. For an integer n, 0.2·n has a fractional part of 0, .2, .4, .6 or .8 and never .5, so
  both rules give the same split; we pin one anyway so a port to another language cannot drift;
- every train rating is an implicit interaction (its value is available to the model);
- test positives are held-out ratings >= 4.0; users without any positive are skipped;
- candidates are all items of the ratings file minus the user's train items;
- NDCG@10 with binary gains, Recall@20 = hits / |positives|, catalog coverage of the top-10 lists;
- cold slice: every user's train history cut to its first 3 ratings, same test positives.

Robustness slices (issue 16), reported besides the table above:
- time split (rolling origin): five cutoffs at the ``ROLLING_QUANTILES`` of all timestamps; fold i
  trains on every rating before its cutoff and tests the users with at least ``MIN_RATINGS`` train
  ratings (the viewers a live instance already knows) on their ratings >= 4.0 up to the next cutoff;
  each fold also has a cold slice (those users cut to their first 3 train ratings) and a new-titles
  slice (the titles first rated in its window);
- new titles: the titles first rated in the last ``TIME_TEST_FRACTION`` of the timeline are removed
  from train entirely (no interaction at all); positives = a user's ratings >= 4.0 of them, candidates
  = the new titles only ("of this shelf of new films, which ones does this viewer get?").
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

MIN_RATINGS = 5
TEST_FRACTION = 0.2
POSITIVE_THRESHOLD = 4.0
COLD_HISTORY = 3
NDCG_K = 10
RECALL_K = 20
COVERAGE_K = 10
TIME_TEST_FRACTION = 0.2


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def holdout_size(n: int) -> int:
    """How many of a user's ``n`` ratings are held out."""
    return max(1, round_half_up(TEST_FRACTION * n))


@dataclass(frozen=True)
class Rating:
    user: int
    item: int
    rating: float
    timestamp: int


@dataclass
class Ratings:
    """A ratings file as parallel arrays with dense indexes (items = every movie of the ratings file)."""

    user_ids: np.ndarray  # raw userId per dense user index
    item_ids: np.ndarray  # raw movieId per dense item index
    users: np.ndarray  # dense user index per row
    items: np.ndarray  # dense item index per row
    values: np.ndarray  # rating (MovieLens 0.5–5 scale)
    times: np.ndarray  # unix seconds

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def subset(self, mask: np.ndarray) -> Ratings:
        return Ratings(
            self.user_ids, self.item_ids, self.users[mask], self.items[mask], self.values[mask], self.times[mask]
        )

    def matrix(self, weights: np.ndarray | None = None) -> sparse.csr_matrix:
        data = np.ones(len(self.users), dtype=np.float32) if weights is None else weights.astype(np.float32)
        return sparse.csr_matrix((data, (self.users, self.items)), shape=(self.n_users, self.n_items))


def ratings_from_rows(rows: Iterable[Rating]) -> Ratings:
    rows = list(rows)
    user_ids = np.array(sorted({row.user for row in rows}), dtype=np.int64)
    item_ids = np.array(sorted({row.item for row in rows}), dtype=np.int64)
    user_index = {int(u): i for i, u in enumerate(user_ids)}
    item_index = {int(m): i for i, m in enumerate(item_ids)}
    return Ratings(
        user_ids=user_ids,
        item_ids=item_ids,
        users=np.array([user_index[row.user] for row in rows], dtype=np.int64),
        items=np.array([item_index[row.item] for row in rows], dtype=np.int64),
        values=np.array([row.rating for row in rows], dtype=np.float64),
        times=np.array([row.timestamp for row in rows], dtype=np.int64),
    )


def ratings_load(path: Path) -> Ratings:
    """MovieLens ratings.csv: userId,movieId,rating,timestamp (header, CRLF tolerated)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [
            Rating(int(row["userId"]), int(row["movieId"]), float(row["rating"]), int(row["timestamp"]))
            for row in reader
        ]
    return ratings_from_rows(rows)


@dataclass
class Split:
    """Train rows, test positives per user and the evaluated users (dense indexes)."""

    ratings: Ratings
    train: Ratings
    test_positives: dict[int, np.ndarray]  # user → item indexes (held out, rating >= 4.0)
    eval_users: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    candidates: np.ndarray | None = None  # items that may be ranked (bool mask); None = every item

    def cold(self, history: int = COLD_HISTORY) -> Split:
        """Same positives, every user's train history cut to its first ``history`` ratings."""
        keep = _first_per_user(self.train, history)
        return Split(self.ratings, self.train.subset(keep), self.test_positives, self.eval_users, self.candidates)

    def restrict(self, users: np.ndarray) -> Split:
        """The same split evaluated on ``users`` only."""
        users = np.asarray(users, dtype=np.int64)
        positives = {int(u): self.test_positives[int(u)] for u in users}
        return Split(self.ratings, self.train, positives, users, self.candidates)


def _order(ratings: Ratings) -> np.ndarray:
    # Per user by (timestamp, movieId): lexsort's last key is the primary one.
    return np.lexsort((ratings.item_ids[ratings.items], ratings.times, ratings.users))


def _first_per_user(ratings: Ratings, count: int) -> np.ndarray:
    order = _order(ratings)
    users = ratings.users[order]
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1]
    position = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    keep = np.zeros(len(order), dtype=bool)
    keep[order[position < count]] = True
    return keep


def split_temporal(ratings: Ratings, *, min_ratings: int = MIN_RATINGS) -> Split:
    """Apply the protocol's per-user temporal split."""
    order = _order(ratings)
    users = ratings.users[order]
    counts = np.bincount(ratings.users, minlength=ratings.n_users)
    is_train = np.zeros(len(order), dtype=bool)
    is_test = np.zeros(len(order), dtype=bool)
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1] if len(users) else np.zeros(0, dtype=np.int64)
    for start in starts:
        user = users[start]
        n = counts[user]
        if n < min_ratings:
            continue
        n_test = holdout_size(n)
        is_train[order[start : start + n - n_test]] = True
        is_test[order[start + n - n_test : start + n]] = True
    positives = _positives_by_user(ratings, np.flatnonzero(is_test & (ratings.values >= POSITIVE_THRESHOLD)))
    eval_users = np.array(sorted(positives), dtype=np.int64)
    return Split(ratings, ratings.subset(is_train), positives, eval_users)


def time_cutoff(ratings: Ratings, fraction: float = TIME_TEST_FRACTION) -> float:
    """The timestamp that leaves the last ``fraction`` of all ratings to the test side."""
    times = np.sort(ratings.times)
    return float(times[min(len(times) - 1, math.floor((1.0 - fraction) * len(times)))])


def _positives_by_user(ratings: Ratings, rows: np.ndarray) -> dict[int, np.ndarray]:
    """User → the distinct items of ``rows`` (row indexes into ``ratings``) that user rated."""
    rows = rows[np.argsort(ratings.users[rows], kind="stable")]
    users = ratings.users[rows]
    if not len(users):
        return {}
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1]
    ends = np.r_[starts[1:], len(users)]
    return {int(users[lo]): np.unique(ratings.items[rows[lo:hi]]) for lo, hi in zip(starts, ends, strict=True)}


ROLLING_QUANTILES = (0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class TimeFold:
    """One fold of the rolling-origin time split: train before ``start``, test in ``[start, end)``."""

    split: Split
    start: float
    end: float
    min_train: int = MIN_RATINGS

    def cold(self, history: int = COLD_HISTORY) -> Split:
        """The fold's tested users with their profile cut to their first ``history`` train ratings."""
        return self.split.cold(history)

    def new_titles(self) -> Split:
        """Item cold start inside the fold: the titles first rated in its window (none has a train row).

        Positives = the window's ratings >= 4.0 of them by the users the fold knows; candidates = those
        titles only (the shelf of what came out in that period).
        """
        ratings = self.split.ratings
        first = np.full(ratings.n_items, np.inf)
        np.minimum.at(first, ratings.items, ratings.times)
        new = (first >= self.start) & (first < self.end)
        train_counts = np.bincount(self.split.train.users, minlength=ratings.n_users)
        rows = np.flatnonzero(
            new[ratings.items]
            & (ratings.times >= self.start)
            & (ratings.times < self.end)
            & (ratings.values >= POSITIVE_THRESHOLD)
            & (train_counts[ratings.users] >= self.min_train)
        )
        positives = _positives_by_user(ratings, rows)
        return Split(ratings, self.split.train, positives, np.array(sorted(positives), dtype=np.int64), new)


def split_by_time_folds(
    ratings: Ratings, *, quantiles: tuple[float, ...] = ROLLING_QUANTILES, min_train: int = MIN_RATINGS
) -> list[TimeFold]:
    """The time split (rolling origin): one fold per cutoff (the ``quantiles`` of all timestamps).

    Fold i trains on every rating before its cutoff and tests the users it already knows (at least
    ``min_train`` train ratings) on what they rated >= 4.0 between its cutoff and the next one (the last
    fold: to the end). The test windows are disjoint, so each (fold, user) pair is one evaluation.
    MovieLens users mostly rate in one session, so a single cutoff sees only the few dozen users who
    straddle it (20-28 on ml-latest-small: noise); every cutoff sees a different few dozen (Campos et
    al. 2014 review such protocols).
    """
    cutoffs = [time_cutoff(ratings, 1.0 - q) for q in quantiles]
    folds = []
    for i, cutoff in enumerate(cutoffs):
        end = cutoffs[i + 1] if i + 1 < len(cutoffs) else np.inf
        is_train = ratings.times < cutoff
        train_counts = np.bincount(ratings.users[is_train], minlength=ratings.n_users)
        window = (ratings.times >= cutoff) & (ratings.times < end)
        test_rows = np.flatnonzero(
            window & (ratings.values >= POSITIVE_THRESHOLD) & (train_counts[ratings.users] >= min_train)
        )
        positives = _positives_by_user(ratings, test_rows)
        split = Split(ratings, ratings.subset(is_train), positives, np.array(sorted(positives), dtype=np.int64))
        folds.append(TimeFold(split, cutoff, float(end), min_train))
    return folds


def split_new_titles(split: Split, *, fraction: float = TIME_TEST_FRACTION, min_train: int = MIN_RATINGS) -> Split:
    """Item cold start: the titles first rated in the last ``fraction`` of the timeline, held out entirely.

    Train = ``split``'s train rows of every other title (so a new title has no interaction at all);
    positives = each user's ratings >= 4.0 of new titles (the viewers who go on to rate them well),
    for users with at least ``min_train`` train rows left; candidates = the new titles only.
    """
    ratings = split.ratings
    first = np.full(ratings.n_items, np.inf)
    np.minimum.at(first, ratings.items, ratings.times)
    # A title with no row at all in ``ratings`` (first = inf) is not new, it is absent: on a validation
    # split (``ratings`` = the train rows) those are titles rated only in the test rows, and counting
    # them as candidates filled the validation shelf with famous titles nobody there could rate.
    new = np.isfinite(first) & (first >= time_cutoff(ratings, fraction))
    train = split.train.subset(~new[split.train.items])
    train_counts = np.bincount(train.users, minlength=ratings.n_users)
    rows = np.flatnonzero(
        new[ratings.items] & (ratings.values >= POSITIVE_THRESHOLD) & (train_counts[ratings.users] >= min_train)
    )
    positives = _positives_by_user(ratings, rows)
    return Split(ratings, train, positives, np.array(sorted(positives), dtype=np.int64), new)


def ndcg_at_k(ranked: Iterable[int], positives: Iterable[int], k: int = NDCG_K) -> float:
    positive_set = set(int(p) for p in positives)
    dcg = sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(list(ranked)[:k]) if int(item) in positive_set)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(len(positive_set), k)))
    return dcg / ideal if ideal else 0.0


def recall_at_k(ranked: Iterable[int], positives: Iterable[int], k: int = RECALL_K) -> float:
    positive_set = set(int(p) for p in positives)
    hits = sum(1 for item in list(ranked)[:k] if int(item) in positive_set)
    return hits / len(positive_set) if positive_set else 0.0


@dataclass(frozen=True)
class Metrics:
    ndcg: float
    recall: float
    coverage: float
    users: int
    per_user_ndcg: tuple[float, ...] = ()
    ild: float | None = None  # intra-list diversity of the top 10: mean pairwise cosine distance


# A recommender for the harness: (user indexes) → ranked item indexes (top RECALL_K), train excluded.
Recommend = Callable[[np.ndarray], np.ndarray]


def top_k_excluding(scores: np.ndarray, seen: sparse.csr_matrix, users: np.ndarray, k: int = RECALL_K) -> np.ndarray:
    """Top-k item indexes per row of ``scores`` (rows aligned with ``users``), train items removed."""
    scores = np.array(scores, dtype=np.float64, copy=True)
    for row, user in enumerate(users):
        start, end = seen.indptr[user], seen.indptr[user + 1]
        scores[row, seen.indices[start:end]] = -np.inf
    part = np.argpartition(-scores, kth=min(k, scores.shape[1] - 1), axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    # Ties broken by item index so runs are deterministic.
    order = np.lexsort((part, -part_scores), axis=1)
    return np.take_along_axis(part, order, axis=1)


def evaluate_rankings(
    split: Split, rankings: dict[int, np.ndarray], users: np.ndarray | None = None, vectors: np.ndarray | None = None
) -> Metrics:
    users = split.eval_users if users is None else users
    ndcgs: list[float] = []
    recalls: list[float] = []
    covered: set[int] = set()
    ilds: list[float] = []
    for user in users:
        ranked = rankings[int(user)]
        positives = split.test_positives[int(user)]
        ndcgs.append(ndcg_at_k(ranked, positives))
        recalls.append(recall_at_k(ranked, positives))
        covered.update(int(i) for i in ranked[:COVERAGE_K])
        if vectors is not None and len(ranked) > 1:
            top = vectors[np.asarray(ranked[:COVERAGE_K])]
            sims = top @ top.T
            n = len(top)
            ilds.append(float(1.0 - (sims.sum() - np.trace(sims)) / (n * (n - 1))))
    return Metrics(
        ndcg=float(np.mean(ndcgs)) if ndcgs else 0.0,
        recall=float(np.mean(recalls)) if recalls else 0.0,
        coverage=len(covered) / split.ratings.n_items if split.ratings.n_items else 0.0,
        users=len(users),
        per_user_ndcg=tuple(ndcgs),
        ild=float(np.mean(ilds)) if ilds else None,
    )
