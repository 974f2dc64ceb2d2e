"""``reclio.locks`` on the real embedded Redis takes its atomic (Lua) path, not the cache-API fallback."""

from __future__ import annotations

from reclio import locks


def test_locks_on_redis_run_the_lua_scripts(redis_cache, monkeypatch):
    # given the default cache on Redis (``django.core.cache.cache`` is a proxy to it)
    client = locks._redis_client()
    assert client is not None
    scripts: list[str] = []
    original_eval = type(client).eval

    def recording_eval(self, script, *args):
        scripts.append(script)
        return original_eval(self, script, *args)

    monkeypatch.setattr(type(client), "eval", recording_eval)

    # when
    assert locks.lock_acquire("demo", owner="task-1", ttl_seconds=30) is True
    assert locks.lock_acquire("demo", owner="task-2", ttl_seconds=30) is False
    assert locks.lock_release("demo", owner="task-2") is False
    assert locks.lock_release("demo", owner="task-1") is True

    # then every step was one atomic script on Redis
    assert scripts == [locks._ACQUIRE, locks._ACQUIRE, locks._RELEASE, locks._RELEASE]
