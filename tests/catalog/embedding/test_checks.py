from __future__ import annotations

import pytest
from django.core.checks import run_checks

from catalog.embedding.checks import embedding_dimension_indexed_check
from catalog.embedding.providers.none import NoneProvider
from catalog.embedding.providers.openai import OpenAIProvider
from tests.catalog.embedding.conftest import FakeProvider


@pytest.mark.parametrize(
    ("provider", "warned"),
    [
        (FakeProvider(dim=384), False),
        (OpenAIProvider(api_key="sk", model_name="text-embedding-3-small"), False),
        (OpenAIProvider(api_key="sk", model_name="text-embedding-3-large"), True),
        (OpenAIProvider(api_key="sk", model_name="text-embedding-3-large", dimensions=1536), False),
        (NoneProvider(), False),
    ],
)
def test_w002_warns_about_unindexed_vector_sizes(use_provider, provider, warned):
    use_provider(provider)

    messages = embedding_dimension_indexed_check()

    assert [m.id for m in messages] == (["reclio.W002"] if warned else [])
    if warned:
        assert messages[0].msg.startswith("openai:text-embedding-3-large makes 3072-dimensional vectors")


def test_w002_is_registered(use_provider):
    use_provider(FakeProvider(dim=1024))

    assert "reclio.W002" in [m.id for m in run_checks()]
