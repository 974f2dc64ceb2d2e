from __future__ import annotations

import pytest
from django.utils import timezone

from catalog.models import ContentSyncRun
from tests.catalog.embedding.conftest import FakeProvider
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db
URL = "/admin/sync/content"


def test_post_sync_content_queues_the_beat_task(admin_api_client, monkeypatch, django_capture_on_commit_callbacks):
    # given
    calls: list[dict] = []
    monkeypatch.setattr("catalog.tasks.content_sync_task.delay", lambda **kw: calls.append(kw))
    ContentSyncRun.objects.create(mode="full", status="ok", started_at=timezone.now(), created=7)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api_client.post(URL, {"full": True}, format="json")

    # then
    assert response.status_code == 202
    assert (response.json()["queued"], response.json()["full"]) == (True, True)
    assert response.json()["last_runs"][0]["created"] == 7
    assert calls == [{"full": True}]


def test_post_sync_content_defaults_to_incremental(admin_api_client, monkeypatch, django_capture_on_commit_callbacks):
    calls: list[dict] = []
    monkeypatch.setattr("catalog.tasks.content_sync_task.delay", lambda **kw: calls.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_api_client.post(URL).status_code == 202
    assert calls == [{"full": False}]


def test_post_sync_content_needs_the_admin_token(api_client):
    assert api_client.post(URL).status_code in (401, 403)


def test_post_sync_content_also_reembeds_what_needs_it(
    admin_api_client, use_provider, monkeypatch, django_capture_on_commit_callbacks
):
    # given two rows without a vector for the configured provider
    use_provider(FakeProvider())
    ContentItemFactory.create_batch(2)
    monkeypatch.setattr("catalog.tasks.content_sync_task.delay", lambda **kw: None)
    queued: list[list[str]] = []
    monkeypatch.setattr(
        "catalog.embedding.tasks.item_embeddings_refresh_task.delay", lambda **kw: queued.append(kw["item_ids"])
    )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api_client.post(URL)
    # then both are queued on the embeddings queue, in the same request
    assert response.json()["reembed_queued"] == 2
    assert sum(len(ids) for ids in queued) == 2
