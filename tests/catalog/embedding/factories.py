from __future__ import annotations

import factory

from catalog.embedding.text import content_item_embedding_text, embedding_text_hash
from catalog.models import ContentItem, MediaType


class ContentItemFactory(factory.django.DjangoModelFactory):
    """A catalog row whose ``source_hash`` matches its text, as the content sync writes it."""

    class Meta:
        model = ContentItem

    media_type = MediaType.MOVIE
    tmdb_id = factory.Sequence(lambda n: 1000 + n)
    item_id = factory.LazyAttribute(lambda o: f"{o.media_type}_{o.tmdb_id}")
    title = factory.Sequence(lambda n: f"Title {n}")
    tagline = ""
    overview = factory.Faker("sentence", nb_words=12)
    genres = factory.LazyFunction(lambda: [{"id": 18, "name": "Drama"}])
    genre_ids = factory.LazyAttribute(lambda o: [g["id"] for g in o.genres])
    keywords = factory.LazyFunction(lambda: ["friendship"])
    year = 2001
    source_hash = factory.LazyAttribute(lambda o: embedding_text_hash(content_item_embedding_text(o)))
