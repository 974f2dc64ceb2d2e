from __future__ import annotations

import logging

import numpy as np
import pytest

from catalog.embedding import services
from catalog.embedding.providers.base import ProviderError
from catalog.embedding.services import (
    catalog_embeddings_enqueue_stale,
    catalog_embeddings_refresh,
    item_embeddings_enqueue,
    item_embeddings_refresh,
)
from catalog.embedding.text import content_item_embedding_text, embedding_text_hash
from catalog.models import ContentItem, TmdbStatus
from tests.catalog.embedding.conftest import FakeProvider
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def _vector(item_id: str) -> np.ndarray:
    return np.asarray(ContentItem.objects.get(pk=item_id).embedding)


def test_refresh_embeds_stale_rows_in_batches(fake_provider):
    # given
    items = ContentItemFactory.create_batch(5)

    # when
    report = item_embeddings_refresh(item_ids=[i.item_id for i in items], batch_size=2)

    # then
    assert (report.embedded, report.current, report.provider_calls) == (5, 0, 3)
    assert [len(call) for call in fake_provider.calls] == [2, 2, 1]
    row = ContentItem.objects.get(pk=items[0].item_id)
    assert (row.embedding_model, row.embedding_dim, row.embedding_source_hash) == ("fake:model-a", 8, row.source_hash)
    expected = np.asarray(fake_provider.vector_for(content_item_embedding_text(row)))
    assert row.embedding is not None
    assert np.allclose(row.embedding, expected / np.linalg.norm(expected), atol=1e-6)


def test_unchanged_rows_cost_zero_provider_calls(fake_provider):
    # given a catalog that is fully embedded
    items = ContentItemFactory.create_batch(4)
    ids = [i.item_id for i in items]
    item_embeddings_refresh(item_ids=ids)
    fake_provider.calls.clear()

    # when everything is asked again, by every path
    report = item_embeddings_refresh(item_ids=ids)
    queued = item_embeddings_enqueue(item_ids=ids)
    inline = catalog_embeddings_refresh()

    # then
    assert fake_provider.calls == []
    assert (report.embedded, report.current, queued, inline.embedded) == (0, 4, 0, 0)


def test_changed_text_is_re_embedded_and_only_that_row(fake_provider):
    # given
    changed, unchanged = ContentItemFactory.create_batch(2)
    item_embeddings_refresh(item_ids=[changed.item_id, unchanged.item_id])
    before = _vector(unchanged.item_id)
    fake_provider.calls.clear()

    # when the content sync rewrites one row's text (and its hash)
    changed.overview = "A completely different story about time travel."
    changed.source_hash = embedding_text_hash(content_item_embedding_text(changed))
    changed.save()
    report = item_embeddings_refresh(item_ids=[changed.item_id, unchanged.item_id])

    # then
    assert (report.embedded, report.current) == (1, 1)
    assert fake_provider.calls == [[content_item_embedding_text(changed)]]
    assert ContentItem.objects.get(pk=changed.item_id).embedding_source_hash == changed.source_hash
    assert np.array_equal(_vector(unchanged.item_id), before)


def test_row_without_source_hash_gets_one_with_its_vector(fake_provider):
    item = ContentItemFactory.create(source_hash="")

    item_embeddings_refresh(item_ids=[item.item_id])
    fake_provider.calls.clear()
    item_embeddings_refresh(item_ids=[item.item_id])

    row = ContentItem.objects.get(pk=item.item_id)
    assert row.source_hash == embedding_text_hash(content_item_embedding_text(row))
    assert row.embedding_source_hash == row.source_hash
    assert fake_provider.calls == []


def test_failed_batch_keeps_previous_vectors_and_committed_batches(fake_provider, use_provider):
    # given rows embedded by model A
    items = ContentItemFactory.create_batch(4)
    ids = [i.item_id for i in items]
    item_embeddings_refresh(item_ids=ids)
    old = {item_id: _vector(item_id) for item_id in ids}

    # when model B fails on its second batch
    model_b = use_provider(FakeProvider(model="fake:model-b", dim=8))
    original_embed = model_b.embed
    calls = {"n": 0}

    def flaky(texts):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ProviderError("HTTP 500", permanent=False)
        return original_embed(texts)

    model_b.embed = flaky
    with pytest.raises(ProviderError):
        item_embeddings_refresh(item_ids=ids, batch_size=2)

    # then the first batch is on model B, the failed one still holds model A's vectors
    rows = {r.item_id: r for r in ContentItem.objects.filter(pk__in=ids)}
    models = sorted(r.embedding_model for r in rows.values())
    assert models == ["fake:model-a", "fake:model-a", "fake:model-b", "fake:model-b"]
    for item_id, row in rows.items():
        if row.embedding_model == "fake:model-a":
            assert np.array_equal(np.asarray(row.embedding), old[item_id])


def test_vector_is_not_stored_when_the_text_changed_meanwhile(fake_provider, monkeypatch):
    # given a sync that rewrites the row while the provider is working
    item = ContentItemFactory.create()
    original_embed = fake_provider.embed

    def embed_while_sync_writes(texts):
        ContentItem.objects.filter(pk=item.item_id).update(overview="new text", source_hash="f" * 64)
        return original_embed(texts)

    monkeypatch.setattr(fake_provider, "embed", embed_while_sync_writes)

    # when
    report = item_embeddings_refresh(item_ids=[item.item_id])

    # then
    row = ContentItem.objects.get(pk=item.item_id)
    assert (report.embedded, report.raced) == (0, 1)
    assert (row.embedding, row.embedding_model, row.source_hash) == (None, "", "f" * 64)


def test_gone_titles_are_not_embedded(fake_provider):
    item = ContentItemFactory.create(tmdb_status=TmdbStatus.GONE)

    assert item_embeddings_refresh(item_ids=[item.item_id]).embedded == 0
    assert fake_provider.calls == []


def test_enqueue_queues_only_stale_ids_after_commit(
    fake_provider, settings, django_capture_on_commit_callbacks, monkeypatch
):
    # given
    settings.EMBEDDING_BATCH_SIZE = 2
    current, *stale = ContentItemFactory.create_batch(4)
    item_embeddings_refresh(item_ids=[current.item_id])
    sent = []
    monkeypatch.setattr("catalog.embedding.tasks.item_embeddings_refresh_task.delay", lambda **kw: sent.append(kw))

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = item_embeddings_enqueue(item_ids=[current.item_id, *(s.item_id for s in stale)])

    # then nothing is sent before commit; after it, the stale ids in chunks of the batch size
    assert queued == 3
    assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [
        {"item_ids": sorted(s.item_id for s in stale)[:2]},
        {"item_ids": sorted(s.item_id for s in stale)[2:]},
    ]


def test_enqueue_runs_the_task_end_to_end(fake_provider, django_capture_on_commit_callbacks):
    items = ContentItemFactory.create_batch(3)

    with django_capture_on_commit_callbacks(execute=True):
        queued = item_embeddings_enqueue(item_ids=[i.item_id for i in items])

    assert queued == 3
    assert ContentItem.objects.filter(embedding_model="fake:model-a").count() == 3


def test_none_provider_queues_and_embeds_nothing(use_provider, django_capture_on_commit_callbacks):
    from catalog.embedding.providers.none import NoneProvider

    use_provider(NoneProvider())
    item = ContentItemFactory.create()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = item_embeddings_enqueue(item_ids=[item.item_id])
        stale = catalog_embeddings_enqueue_stale()
        report = catalog_embeddings_refresh()

    assert (queued, stale, report.embedded, len(callbacks)) == (0, 0, 0, 0)
    assert ContentItem.objects.get(pk=item.item_id).embedding is None


def test_enqueue_stale_finds_every_stale_row(fake_provider, django_capture_on_commit_callbacks, settings):
    settings.EMBEDDING_BATCH_SIZE = 2
    ContentItemFactory.create_batch(5)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = catalog_embeddings_enqueue_stale()

    # one commit hook sends the three chunks (reclio.enqueue), each its own task
    assert (queued, len(callbacks)) == (5, 1)
    assert [len(call) for call in fake_provider.calls] == [2, 2, 1]
    assert ContentItem.objects.filter(embedding__isnull=True).count() == 0


def test_inline_refresh_retries_a_transient_failure_and_reports_progress(fake_provider, no_sleep):
    # given
    ContentItemFactory.create_batch(5)
    fake_provider.failures = [ProviderError("HTTP 503", permanent=False, retry_after=3.0)]
    progress = []

    # when
    report = catalog_embeddings_refresh(batch_size=2, on_progress=lambda done, total: progress.append((done, total)))

    # then
    assert report.embedded == 5
    assert no_sleep == [3.0]
    assert progress == [(2, 5), (4, 5), (5, 5)]


def test_inline_refresh_stops_on_a_permanent_failure_and_continues_next_run(fake_provider, no_sleep):
    # given
    ContentItemFactory.create_batch(4)
    item_embeddings_refresh(item_ids=list(ContentItem.objects.values_list("pk", flat=True)[:2]))
    fake_provider.failures = [ProviderError("bad key", permanent=True)]

    # when
    with pytest.raises(ProviderError):
        catalog_embeddings_refresh(batch_size=2)
    report = catalog_embeddings_refresh(batch_size=2)

    # then
    assert no_sleep == []
    assert report.embedded == 2
    assert ContentItem.objects.filter(embedding__isnull=True).count() == 0


def test_inline_refresh_respects_limit(fake_provider):
    ContentItemFactory.create_batch(5)

    report = catalog_embeddings_refresh(batch_size=2, limit=3)

    assert report.embedded == 3
    assert ContentItem.objects.filter(embedding__isnull=True).count() == 2


def test_failure_is_remembered_for_the_probe_and_cleared_by_success(fake_provider, caplog):
    from django.core.cache import cache

    item = ContentItemFactory.create()
    fake_provider.failures = [ProviderError("OpenAI rate limit (HTTP 429)", permanent=False)]
    caplog.set_level(logging.WARNING)

    with pytest.raises(ProviderError):
        item_embeddings_refresh(item_ids=[item.item_id])
    assert cache.get(services.LAST_FAILURE_CACHE_KEY)["message"] == "OpenAI rate limit (HTTP 429)"
    assert "embedding_batch_failed" in caplog.text

    item_embeddings_refresh(item_ids=[item.item_id])
    assert cache.get(services.LAST_FAILURE_CACHE_KEY) is None


def test_a_row_the_provider_refuses_is_skipped_and_the_others_are_embedded(fake_provider, monkeypatch):
    # given one text the provider refuses (HTTP 400 for its content) among five
    items = ContentItemFactory.create_batch(5)
    bad = items[2]
    original_embed = fake_provider.embed

    def refuse_bad(texts):
        if any(t.startswith(bad.title + "\n") for t in texts):
            fake_provider.calls.append(list(texts))
            raise ProviderError("OpenAI rejected the input (HTTP 400): too long", bad_input=True)
        return original_embed(texts)

    monkeypatch.setattr(fake_provider, "embed", refuse_bad)

    # when
    report = item_embeddings_refresh(item_ids=[i.item_id for i in items])

    # then
    assert (report.embedded, report.skipped) == (4, 1)
    assert report.errors == (f"{bad.item_id}: OpenAI rejected the input (HTTP 400): too long",)
    assert list(ContentItem.objects.filter(embedding__isnull=True).values_list("pk", flat=True)) == [bad.item_id]


def test_a_failed_chunk_send_does_not_drop_the_next_chunks(
    fake_provider, settings, django_capture_on_commit_callbacks, monkeypatch
):
    # given three chunks and a broker that refuses the second
    from kombu.exceptions import OperationalError

    settings.EMBEDDING_BATCH_SIZE = 1
    items = ContentItemFactory.create_batch(3)
    attempts: list[list[str]] = []

    def delay(*, item_ids):
        attempts.append(item_ids)
        if len(attempts) == 2:
            raise OperationalError("Connection refused")

    monkeypatch.setattr("catalog.embedding.tasks.item_embeddings_refresh_task.delay", delay)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        item_embeddings_enqueue(item_ids=[i.item_id for i in items])
    # then every chunk was tried; the refused one is still stale for the half-hourly sweep
    assert attempts == [[i] for i in sorted(i.item_id for i in items)]
