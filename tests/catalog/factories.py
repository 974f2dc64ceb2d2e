"""The one ``ContentItemFactory`` of the test suite: every app's tests build catalog rows with it."""

from __future__ import annotations

import factory

from catalog.embedding.text import content_item_embedding_text, embedding_text_hash
from catalog.genres import genre_name
from catalog.models import ContentItem, MediaType


class ContentItemFactory(factory.django.DjangoModelFactory[ContentItem]):
    """A fully described title whose ``source_hash`` matches its text, as the content sync writes it.

    Give ``genre_ids`` to change the genres: ``genres`` (``[{"id", "name"}]``) follows from them.
    """

    class Meta:
        model = ContentItem
        django_get_or_create = ("item_id",)

    media_type = MediaType.MOVIE
    tmdb_id = factory.Sequence(lambda n: 10_000 + n)
    item_id = factory.LazyAttribute(lambda o: f"{o.media_type}_{o.tmdb_id}")
    title = factory.LazyAttribute(lambda o: f"Title {o.tmdb_id}")
    tagline = ""
    overview = "An overview."
    genre_ids = factory.LazyFunction(lambda: [18])
    genres = factory.LazyAttribute(
        lambda o: [
            {"id": g, "name": genre_name(media_type=str(o.media_type), genre_id=g) or str(g)} for g in o.genre_ids
        ]
    )
    keywords = factory.LazyFunction(lambda: ["friendship"])
    year = 2020
    vote_average = 7.0
    vote_count = 1000
    popularity = 10.0
    cast = factory.LazyFunction(lambda: ["A", "B", "C", "D", "E", "F"])
    director = "Somebody"
    source_hash = factory.LazyAttribute(lambda o: embedding_text_hash(content_item_embedding_text(o)))
