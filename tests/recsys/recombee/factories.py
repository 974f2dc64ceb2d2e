"""Factories of the Recombee tests. Kept beside them (not in tests/recsys/factories.py) so the
parallel local-engine branch does not collide; ContentItemFactory belongs in tests/catalog/factories.py
once the catalog branch lands (fold it in at merge)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import factory

from catalog.models import ContentItem, MediaType


class ContentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentItem
        django_get_or_create = ("item_id",)

    media_type = MediaType.MOVIE
    tmdb_id = factory.Sequence(lambda n: 1000 + n)
    item_id = factory.LazyAttribute(lambda o: f"{o.media_type}_{o.tmdb_id}")
    title = factory.Sequence(lambda n: f"Title {n}")
    overview = "A story."
    genres = factory.LazyFunction(lambda: [{"id": 18, "name": "Drama"}])
    genre_ids = factory.LazyFunction(lambda: [18])
    year = 1999
    vote_average = 7.5
    popularity = 12.5
    cast = factory.LazyFunction(lambda: ["A", "B", "C", "D", "E", "F"])
    director = "Somebody"


@dataclass(frozen=True)
class InteractionRowStub:
    """The shape users.selectors.interactions_since is proposed to yield (docs/design/recombee.md)."""

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
