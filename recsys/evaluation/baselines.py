"""Baselines the engine must beat, each tuned on a validation split carved from train (never test).

- popularity: train interaction counts (community) or catalog popularity (solo: TMDB vote counts);
- item-kNN: cosine item-item similarity on the binary user×item matrix, top-k neighbours per item;
- ALS: ``implicit.als.AlternatingLeastSquares`` with confidence ``1 + alpha·x`` (Hu, Koren, Volinsky 2008);
- EASE: Steck 2019, closed form ``B = I − P·diag(1/diag(P))`` with ``P = (XᵀX + λI)⁻¹``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from recsys.engine.model import ease_weights as ease_solve


def popularity_scores(X: sparse.csr_matrix) -> np.ndarray:
    return np.asarray(X.sum(axis=0)).ravel().astype(np.float64)


def itemknn_similarity(X: sparse.csr_matrix, *, k: int, shrink: float = 0.0) -> sparse.csr_matrix:
    """Cosine similarity between item columns, keeping the ``k`` strongest neighbours of each item."""
    Xb = (X > 0).astype(np.float32).tocsc()
    norms = np.sqrt(np.asarray(Xb.multiply(Xb).sum(axis=0)).ravel())
    co = (Xb.T @ Xb).tocsr().astype(np.float32)
    co.setdiag(0)
    co.eliminate_zeros()
    co = co.tocoo()
    denom = norms[co.row] * norms[co.col] + shrink + 1e-9
    sim = sparse.csr_matrix((co.data / denom, (co.row, co.col)), shape=co.shape)
    return _keep_top_k_per_row(sim, k)


def _keep_top_k_per_row(matrix: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    matrix = matrix.tocsr()
    rows, cols, vals = [], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        if start == end:
            continue
        data = matrix.data[start:end]
        idx = matrix.indices[start:end]
        if end - start > k:
            top = np.argpartition(-data, k - 1)[:k]
            data, idx = data[top], idx[top]
        rows.append(np.full(len(idx), row))
        cols.append(idx)
        vals.append(data)
    if not rows:
        return sparse.csr_matrix(matrix.shape, dtype=np.float32)
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=matrix.shape, dtype=np.float32
    )


def ease_weights(X: sparse.csr_matrix, *, lam: float, max_items: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(active item indexes, B over them) by direct inversion; for a single λ this beats the eigen route."""
    counts = np.asarray((X > 0).sum(axis=0)).ravel()
    active = np.flatnonzero(counts > 0)
    if max_items is not None and len(active) > max_items:
        active = np.sort(active[np.argsort(-counts[active], kind="stable")[:max_items]])
    Xa = X[:, active].astype(np.float32)
    return active, ease_solve((Xa.T @ Xa).toarray(), lam)


def ease_scores(H: sparse.csr_matrix, active: np.ndarray, B: np.ndarray, n_items: int) -> np.ndarray:
    scores = np.zeros((H.shape[0], n_items), dtype=np.float32)
    scores[:, active] = H[:, active] @ B
    return scores


def als_model(
    X: sparse.csr_matrix, *, factors: int, regularization: float, alpha: float, iterations: int = 15, seed: int = 7
) -> Any:  # an implicit AlternatingLeastSquares (implicit ships no type hints)
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    # implicit parallelises over users itself; a multi-threaded BLAS underneath it oversubscribes the
    # cores and can stall (implicit warns about exactly this: github.com/benfred/implicit#performance).
    with threadpool_limits(1, "blas"):
        return _als_fit(AlternatingLeastSquares, X, factors, regularization, alpha, iterations, seed)


def _als_fit(
    cls: Any,
    X: sparse.csr_matrix,
    factors: int,
    regularization: float,
    alpha: float,
    iterations: int,
    seed: int,
) -> Any:
    model = cls(
        factors=factors,
        regularization=regularization,
        alpha=alpha,
        iterations=iterations,
        random_state=seed,
        calculate_training_loss=False,
    )
    model.fit((X > 0).astype(np.float32).tocsr(), show_progress=False)
    return model


def als_scores(model: Any, users: np.ndarray) -> np.ndarray:
    return np.asarray(model.user_factors[users] @ model.item_factors.T)
