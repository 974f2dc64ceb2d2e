from __future__ import annotations

import factory

from catalog.models import ContentItem
from recsys.models import Recommendation


class ContentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentItem
        django_get_or_create = ("item_id",)

    tmdb_id = factory.Sequence(lambda n: 1000 + n)
    media_type = "movie"
    item_id = factory.LazyAttribute(lambda o: f"{o.media_type}_{o.tmdb_id}")
    title = factory.Sequence(lambda n: f"Title {n}")
    vote_average = 7.0
    vote_count = 100
    popularity = 10.0


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    user_id = factory.Faker("uuid4")
    media_type = "movie"
    item = factory.SubFactory(ContentItemFactory)
    rank = factory.Sequence(lambda n: n)
    score = 1.0
    reason = "because you watched Heat"
    source = "cf"
