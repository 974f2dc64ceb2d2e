from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.embedding.providers.base import ProviderError
from catalog.embedding.providers.none import NoneProvider
from catalog.models import ContentItem
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def test_embed_catalog_embeds_what_needs_it(fake_provider):
    ContentItemFactory.create_batch(5)
    out = StringIO()

    call_command("embed_catalog", "--batch-size", "2", stdout=out, stderr=StringIO())
    call_command("embed_catalog", stdout=out, stderr=StringIO())

    assert ContentItem.objects.filter(embedding_model="fake:model-a").count() == 5
    assert out.getvalue().splitlines() == [
        "Embedded 5 rows with fake:model-a (3 provider calls, 0 changed meanwhile, 0 refused by the provider).",
        "Embedded 0 rows with fake:model-a (0 provider calls, 0 changed meanwhile, 0 refused by the provider).",
    ]


def test_embed_catalog_can_queue_instead(fake_provider, django_capture_on_commit_callbacks):
    ContentItemFactory.create_batch(3)
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("embed_catalog", "--queue", stdout=out)

    assert out.getvalue().strip() == "Queued 3 rows for fake:model-a."
    assert ContentItem.objects.filter(embedding__isnull=True).count() == 0


def test_embed_catalog_reports_a_provider_failure(fake_provider):
    ContentItemFactory.create()
    fake_provider.failures = [ProviderError("OpenAI rejected OPENAI_API_KEY (HTTP 401): check the key", permanent=True)]

    with pytest.raises(CommandError, match="embedding stopped: OpenAI rejected OPENAI_API_KEY"):
        call_command("embed_catalog", stdout=StringIO(), stderr=StringIO())


def test_embed_catalog_with_embeddings_off(use_provider):
    use_provider(NoneProvider())
    out = StringIO()

    call_command("embed_catalog", stdout=out)

    assert "Embeddings are off" in out.getvalue()
