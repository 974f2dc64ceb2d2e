from __future__ import annotations

import factory

from catalog.models import ContentItem, MediaType


class ContentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentItem
        django_get_or_create = ("item_id",)

    media_type = MediaType.MOVIE
    tmdb_id = factory.Sequence(lambda n: 10_000 + n)
    item_id = factory.LazyAttribute(lambda o: f"{o.media_type}_{o.tmdb_id}")
    title = factory.Sequence(lambda n: f"Title {n}")
    overview = "An overview."
    genres = factory.LazyFunction(lambda: [{"id": 18, "name": "Drama"}])
    genre_ids = factory.LazyAttribute(lambda o: [g["id"] for g in o.genres])
    keywords = factory.LazyFunction(lambda: ["friendship"])
    year = 2020
    popularity = 10.0
