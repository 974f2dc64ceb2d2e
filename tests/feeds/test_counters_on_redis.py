"""The per-viewer refresh budget and the middleware's fallback counts on a real Redis (RedisCache
semantics: incr needs an existing key, the TTL set by add is kept by incr)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from feeds.middleware import middleware_fallbacks_recent
from tests.feeds.conftest import USER_ID
from tests.feeds.factories import PreparedFeedsFactory

pytestmark = pytest.mark.django_db


def test_the_viewer_budget_counts_on_redis_and_expires_within_the_hour(
    redis_cache, world, sent_tasks, settings, django_capture_on_commit_callbacks
):
    # given
    settings.FEEDS_VIEWER_REFRESHES_PER_HOUR = 2
    PreparedFeedsFactory.create(user_id=uuid.UUID(USER_ID))
    client = Client()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        for tmdb_id in range(1, 5):
            assert client.get("/feeds", {"user_id": USER_ID, "last_watched": f"movie:{tmdb_id}"}).status_code == 200

    # then
    assert [kwargs["last_watched"] for _, kwargs, _ in sent_tasks] == ["movie:1", "movie:2"]
    key = f"feeds:viewer_refreshes:{USER_ID}"
    assert redis_cache.get(key) == 2
    ttl = redis_cache._cache.get_client(write=True).ttl(redis_cache.make_and_validate_key(key))
    assert 3500 < ttl <= 3600


def test_refused_feeds_requests_are_counted_on_redis(redis_cache, settings):
    settings.ALLOWED_HOSTS = ["reclio.example.org"]

    for _ in range(3):
        assert Client().get("/feeds", HTTP_HOST="wrong.example").status_code == 200

    assert middleware_fallbacks_recent()["bad_request"] == 3


def test_every_thread_reads_redis_copies_with_the_process_one_client(redis_cache):
    # given: a viewer's copy in Redis, and a process that does not hold the viewer
    import threading

    from feeds import documents

    PreparedFeedsFactory.create(user_id=uuid.UUID(USER_ID))
    documents.copy_store(user_id=USER_ID)
    stored = bytes(redis_cache.get(documents.COPY_KEY_PREFIX + USER_ID)[0])
    clients = []

    def read() -> None:
        documents.local_copies.drop(USER_ID)
        copy = documents.copy_get(user_id=USER_ID)
        assert copy is not None and copy.body == stored
        clients.append(documents._copies_cache().redis)

    # when: two request threads read it
    for _ in range(2):
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()

    # then: the same redis-py client, not one per thread or per read
    assert len(clients) == 2 and clients[0] is clients[1] is not None
