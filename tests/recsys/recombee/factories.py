"""Factories of the Recombee tests (catalog rows come from tests/catalog/factories.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import factory

from tests.catalog.factories import ContentItemFactory as CatalogContentItemFactory


class ContentItemFactory(CatalogContentItemFactory):
    tmdb_id = factory.Sequence(lambda n: 1000 + n)
    overview = "A story."
    genre_ids = factory.LazyFunction(lambda: [18])
    year = 1999
    vote_average = 7.5
    popularity = 12.5
    cast = factory.LazyFunction(lambda: ["A", "B", "C", "D", "E", "F"])
    director = "Somebody"


@dataclass(frozen=True)
class InteractionRowStub:
    """The shape users.selectors.interactions_since yields (users.contracts.InteractionRow)."""

    id: int
    user_id: uuid.UUID
    item_id: str
    kind: str
    value: float | None
    occurred_at: dt.datetime


@dataclass(frozen=True)
class InteractionRecordStub:
    """The shape of users.selectors.user_interactions (docs/design/contracts.md)."""

    item_id: str
    kind: str
    value: float | None = None
    occurred_at: Any = None
