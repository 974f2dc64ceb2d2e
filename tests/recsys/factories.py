from __future__ import annotations

import factory

from recsys.models import Recommendation
from tests.catalog.factories import ContentItemFactory


class RecommendationFactory(factory.django.DjangoModelFactory[Recommendation]):
    class Meta:
        model = Recommendation

    user_id = factory.Faker("uuid4")
    media_type = "movie"
    item = factory.SubFactory(ContentItemFactory)
    rank = factory.Sequence(lambda n: n)
    score = 1.0
    reason = "because you watched Heat"
    source = "cf"
