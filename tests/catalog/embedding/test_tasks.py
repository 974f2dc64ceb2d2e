from __future__ import annotations

import logging

import pytest

from catalog.embedding import tasks
from catalog.embedding.providers.base import ProviderError
from catalog.embedding.tasks import embeddings_refresh_stale_task, item_embeddings_refresh_task
from catalog.models import ContentItem
from reclio.queues import Queue
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def test_tasks_are_named_and_routed_to_the_embeddings_queue():
    assert item_embeddings_refresh_task.name == "catalog.item_embeddings_refresh"
    assert embeddings_refresh_stale_task.name == "catalog.embeddings_refresh_stale"
    assert item_embeddings_refresh_task.queue == Queue.EMBEDDINGS.value  # type: ignore[attr-defined]  # celery-stubs omit Task.queue (set by queue= on the decorator)
    assert embeddings_refresh_stale_task.queue == Queue.EMBEDDINGS.value
    assert item_embeddings_refresh_task.acks_late is True


def test_transient_failure_is_retried_until_it_succeeds(fake_provider, monkeypatch):
    # given a transient failure (eager Celery runs the retry inline)
    monkeypatch.setattr(tasks, "_backoff_seconds", lambda retries, retry_after: 0)
    item = ContentItemFactory.create()
    fake_provider.failures = [ProviderError("HTTP 500")]

    # when (throw=False: let Celery's eager runner follow the retries instead of raising Retry)
    result = item_embeddings_refresh_task.apply(kwargs={"item_ids": [item.item_id]}, throw=False).get()

    # then
    assert result == {"embedded": 1, "current": 0, "raced": 0, "skipped": 0}
    assert len(fake_provider.calls) == 2
    assert ContentItem.objects.get(pk=item.item_id).embedding_model == "fake:model-a"


def test_transient_failure_asks_for_a_retry_honouring_retry_after(fake_provider):
    from celery.exceptions import Retry

    item = ContentItemFactory.create()
    fake_provider.failures = [ProviderError("OpenAI rate limit (HTTP 429)", retry_after=12.0)]

    with pytest.raises(Retry) as caught:
        item_embeddings_refresh_task.delay(item_ids=[item.item_id])

    assert caught.value.when == 12.0
    assert ContentItem.objects.get(pk=item.item_id).embedding is None


def test_permanent_failure_is_not_retried(fake_provider, caplog):
    item = ContentItemFactory.create()
    fake_provider.failures = [ProviderError("OpenAI rejected OPENAI_API_KEY (HTTP 401)", permanent=True)]
    caplog.set_level(logging.ERROR)

    result = item_embeddings_refresh_task.delay(item_ids=[item.item_id]).get()

    assert result == {"embedded": 0, "error": "OpenAI rejected OPENAI_API_KEY (HTTP 401)"}
    assert len(fake_provider.calls) == 1
    assert "embedding_task_failed_permanently" in caplog.text


@pytest.mark.parametrize(
    ("retries", "retry_after", "low", "high"),
    [
        (0, None, 15, 30),
        (3, None, 120, 240),
        (9, None, 450, 900),
        (0, 12.0, 12, 12),
        # an unusable Retry-After is no advice: our own backoff, finite and inside the visibility timeout
        (0, float("inf"), 15, 30),
        (0, float("nan"), 15, 30),
        (0, 1e12, 900, 900),
        (0, -5.0, 0, 0),
    ],
)
def test_backoff(retries, retry_after, low, high, settings):
    countdown = tasks._backoff_seconds(retries, retry_after)
    assert low <= countdown <= high
    assert countdown < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


def test_stale_sweep_is_a_singleton(fake_provider, django_capture_on_commit_callbacks, monkeypatch):
    from reclio.locks import lock_acquire, lock_owner, lock_release

    monkeypatch.setattr(tasks, "embeddings_queue_backlog", lambda: 0)
    ContentItemFactory.create_batch(2)
    lock_acquire(tasks.STALE_SWEEP_LOCK, owner="another-task", ttl_seconds=60)
    assert embeddings_refresh_stale_task.delay().get() == 0

    lock_release(tasks.STALE_SWEEP_LOCK, owner="another-task")
    with django_capture_on_commit_callbacks(execute=True):
        assert embeddings_refresh_stale_task.delay().get() == 2
    assert ContentItem.objects.filter(embedding__isnull=True).count() == 0
    assert lock_owner(tasks.STALE_SWEEP_LOCK) is None


def test_stale_sweep_waits_while_earlier_batches_are_still_queued(fake_provider, monkeypatch):
    # given stale rows, and batches of an earlier sweep still waiting on the queue
    ContentItemFactory.create_batch(2)
    monkeypatch.setattr(tasks, "embeddings_queue_backlog", lambda: 3)
    # when / then nothing is queued again
    assert embeddings_refresh_stale_task.delay().get() == 0
    assert fake_provider.calls == []


def test_stale_sweep_is_bounded(fake_provider, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(tasks, "embeddings_queue_backlog", lambda: None)  # broker cannot say: still bounded
    monkeypatch.setattr(tasks, "STALE_SWEEP_LIMIT", 2)
    ContentItemFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True):
        assert embeddings_refresh_stale_task.delay().get() == 2
    assert ContentItem.objects.filter(embedding__isnull=True).count() == 1


def test_queue_backlog_is_read_from_the_broker():
    # the embedded Redis answers; an empty or drained queue reads as a count, not None
    assert isinstance(tasks.embeddings_queue_backlog(), int)


def test_stale_sweep_is_scheduled_every_30_minutes_on_the_embeddings_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["every-30m-embed-stale-catalog"]

    assert entry["task"] == "catalog.embeddings_refresh_stale"
    assert entry["options"] == {"queue": "embeddings"}
    assert entry["schedule"]._orig_minute == "*/30"
    assert "daily-0300-content-sync" in settings.CELERY_BEAT_SCHEDULE
