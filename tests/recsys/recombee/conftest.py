from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from django.core.cache import cache

from reclio.settings.providers import RecommenderName
from reclio.settings.vendors import RecombeeRegion
from tests.fakes.recombee import FakeDatabase, FakeRecombee

DATABASE_ID = "reclio-test"
TOKEN = "test-recombee-private-token"


@pytest.fixture(autouse=True)
def recombee_settings(settings):
    settings.RECOMMENDER = RecommenderName.RECOMBEE
    settings.RECOMBEE_DATABASE_ID = DATABASE_ID
    settings.RECOMBEE_PRIVATE_TOKEN = TOKEN
    settings.RECOMBEE_REGION = RecombeeRegion.EU_WEST
    settings.RECOMBEE_BASE_URI = None
    settings.RECOMBEE_BATCH_SIZE = 1000
    settings.RECOMBEE_SCENARIO_USER = None
    settings.RECOMBEE_SCENARIO_ITEM = None
    cache.clear()
    yield settings
    cache.clear()


@pytest.fixture
def fake() -> Iterator[FakeRecombee]:
    """A fake Recombee behind `responses`: the SDK and our session really run."""
    fake = FakeRecombee()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        yield fake


@pytest.fixture
def remote(fake: FakeRecombee) -> FakeDatabase:
    """Our database, in the configured region (eu-west)."""
    return fake.database(region="eu-west", database_id=DATABASE_ID, token=TOKEN)
