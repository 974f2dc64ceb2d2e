"""Turn catalog rows and interaction records (from the users app) into the engine's arrays.

Pure functions over plain records, so they are tested without a database and shared by training
and per-user scoring.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from recsys.engine.model import Interactions, ItemSide, Kind
from users.contracts import InteractionKind

# users.Interaction kinds → engine kinds. Others (a dislike) are skipped, never guessed.
KIND_MAP: dict[str, Kind] = {
    InteractionKind.VIEW: Kind.VIEW,
    InteractionKind.RATING: Kind.RATING,
    InteractionKind.WATCHLIST: Kind.WATCHLIST,
}
# IMDb-style Bayesian average: a title needs about this many votes before its own average counts.
QUALITY_PRIOR_VOTES = 50.0


class InteractionLike(Protocol):
    # Read-only members, so frozen dataclasses (users.contracts.InteractionRecord: int ratings, an
    # always-set datetime) satisfy the protocol.
    @property
    def item_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> float | None: ...
    @property
    def occurred_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class CatalogRow:
    item_id: str
    media_type: str
    title: str
    vote_average: float = 0.0
    vote_count: int = 0
    vector: Sequence[float] | None = None


@dataclass
class Dataset:
    item_ids: np.ndarray
    media_types: np.ndarray
    titles: np.ndarray
    user_ids: list[str]
    interactions: Interactions
    items: ItemSide

    @property
    def index(self) -> dict[str, int]:
        return {str(item_id): i for i, item_id in enumerate(self.item_ids)}


def _timestamp(value: datetime | None) -> float:
    return value.timestamp() if value is not None else 0.0


def _kind(value: Any) -> Kind | None:
    raw = getattr(value, "value", value)
    return KIND_MAP.get(str(raw).lower())


def item_side_build(rows: Sequence[CatalogRow]) -> ItemSide:
    votes = np.array([row.vote_count or 0 for row in rows], dtype=np.float64)
    averages = np.array([row.vote_average or 0.0 for row in rows], dtype=np.float64)
    known = votes > 0
    mean = float(averages[known].mean()) if known.any() else 0.0
    quality = np.where(known, (votes * averages + QUALITY_PRIOR_VOTES * mean) / (votes + QUALITY_PRIOR_VOTES), mean)
    vectors = _vectors(rows)
    return ItemSide(vectors=vectors, catalog_popularity=votes, quality=quality)


def _vectors(rows: Sequence[CatalogRow]) -> np.ndarray | None:
    """Unit vectors of the most common dimension (a provider switch may leave two); others → zeros."""
    dims: dict[int, int] = {}
    for row in rows:
        if row.vector is not None and len(row.vector):
            dims[len(row.vector)] = dims.get(len(row.vector), 0) + 1
    if not dims:
        return None
    dim = max(dims, key=dims.__getitem__)
    out = np.zeros((len(rows), dim), dtype=np.float32)
    for i, row in enumerate(rows):
        if row.vector is not None and len(row.vector) == dim:
            out[i] = np.asarray(row.vector, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def dataset_build(*, catalog: Sequence[CatalogRow], records: Iterable[Any]) -> Dataset:
    """``records`` carry user_id, item_id, kind, value (rating 1–10 or None), occurred_at."""
    index = {row.item_id: i for i, row in enumerate(catalog)}
    user_index: dict[str, int] = {}
    users, items, kinds, values, times = [], [], [], [], []
    for record in records:
        item = index.get(record.item_id)
        kind = _kind(record.kind)
        if item is None or kind is None:
            continue
        user = user_index.setdefault(str(record.user_id), len(user_index))
        users.append(user)
        items.append(item)
        kinds.append(int(kind))
        values.append(float(record.value) if record.value is not None else np.nan)
        times.append(_timestamp(record.occurred_at))
    interactions = Interactions(
        len(user_index),
        len(catalog),
        np.asarray(users),
        np.asarray(items),
        np.asarray(kinds),
        np.asarray(values),
        np.asarray(times),
    )
    return Dataset(
        item_ids=np.array([row.item_id for row in catalog], dtype=str),
        media_types=np.array([row.media_type for row in catalog], dtype=str),
        titles=np.array([row.title for row in catalog], dtype=str),
        user_ids=list(user_index),
        interactions=interactions,
        items=item_side_build(catalog),
    )


def history_arrays(
    *, records: Iterable[InteractionLike], index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One user's records → (items, kinds, values, times) in the model's item index."""
    items, kinds, values, times = [], [], [], []
    for record in records:
        item = index.get(record.item_id)
        kind = _kind(record.kind)
        if item is None or kind is None:
            continue
        items.append(item)
        kinds.append(int(kind))
        values.append(float(record.value) if record.value is not None else np.nan)
        times.append(_timestamp(record.occurred_at))
    return (
        np.array(items, dtype=np.int64),
        np.array(kinds, dtype=np.int8),
        np.array(values, dtype=np.float64),
        np.array(times, dtype=np.float64),
    )
