from __future__ import annotations

import warnings

import pytest

from catalog.contracts import SyncSummary
from catalog.tasks import content_sync_task, item_refresh_task
from reclio.queues import Queue

pytestmark = pytest.mark.django_db


def test_tasks_keep_their_names_and_queue():
    # Beat rows and in-flight messages store these names; Celery 5.7 warns on reading `.queue`.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert (content_sync_task.name, content_sync_task.queue) == ("catalog.content_sync", Queue.SYNC.value)
        assert (item_refresh_task.name, item_refresh_task.queue) == ("catalog.item_refresh", Queue.SYNC.value)  # type: ignore[attr-defined]


def test_content_sync_task_calls_the_service(monkeypatch):
    seen: list[tuple[bool, str]] = []

    def fake_run(*, full, owner):
        seen.append((full, owner))
        return SyncSummary(mode="full", status="ok", created=3)

    monkeypatch.setattr("catalog.services.content_sync_run", fake_run)
    result = content_sync_task.apply(kwargs={"full": True}, task_id="sync-task-1").get()
    # the lock owner is the task id: a redelivery of this task takes its own lock over
    assert seen == [(True, "sync-task-1")] and result["created"] == 3


def test_item_refresh_task_refreshes_one_title(tmdb):
    from tests.catalog.factories import ContentItemFactory

    ContentItemFactory.create(media_type="movie", tmdb_id=603, title="old")
    result = item_refresh_task.delay("movie_603").get()
    assert (result["updated"], result["status"]) == (1, "ok")
