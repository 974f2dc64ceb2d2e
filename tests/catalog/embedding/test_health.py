from __future__ import annotations

import logging

import pytest

from admin_tools.probes import scheduled_probes
from admin_tools.services import health_check_run
from catalog.embedding.providers.base import ProviderError
from catalog.embedding.providers.ollama import OllamaProvider
from catalog.embedding.services import item_embeddings_refresh
from catalog.probes import embedding_provider_probe
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def test_probe_is_in_the_hourly_health_check():
    assert scheduled_probes()["embeddings"] is embedding_provider_probe


def test_probe_reports_provider_and_dimensions(fake_provider):
    item = ContentItemFactory.create()
    item_embeddings_refresh(item_ids=[item.item_id])

    result = embedding_provider_probe()

    assert (result.name, result.ok, result.detail) == ("embeddings", True, "fake provider ready")
    assert result.facts["dimensions_in_use"] == {"8": 1}


def test_probe_fails_while_batches_fail_and_the_health_check_warns_once(fake_provider, caplog):
    # given a batch that failed
    item = ContentItemFactory.create()
    fake_provider.failures = [ProviderError("OpenAI rate limit (HTTP 429)")]
    with pytest.raises(ProviderError):
        item_embeddings_refresh(item_ids=[item.item_id])
    caplog.set_level(logging.WARNING, logger="admin_tools.services")

    # when
    snapshot = health_check_run(probes={"embeddings": embedding_provider_probe})

    # then
    assert snapshot.degraded == ["embeddings"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "admin_tools.services"]
    assert warnings == [
        "health_degraded checks=embeddings details=embeddings: "
        "embedding batches are failing: OpenAI rate limit (HTTP 429)"
    ]

    # when the next batch succeeds
    item_embeddings_refresh(item_ids=[item.item_id])

    # then
    assert embedding_provider_probe().ok is True


def test_probe_says_how_to_fix_a_missing_ollama_model(use_provider, embedding_server):
    embedding_server.pulled_ollama_models = set()
    use_provider(OllamaProvider(host=embedding_server.url))

    result = embedding_provider_probe()

    assert result.ok is False
    assert result.detail.endswith("run: ollama pull nomic-embed-text")
