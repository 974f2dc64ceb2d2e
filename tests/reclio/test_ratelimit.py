"""The shared upstream budget (``reclio.ratelimit``) on the real embedded Redis, from real processes."""

from __future__ import annotations

import logging
import multiprocessing
import time
import uuid

from reclio.ratelimit import SharedRateLimiter

BUDGET = 40.0  # requests per second, all processes together (TMDB's own limit is ~40-50/s)
WINDOW = 2.0  # seconds every process spends calling as fast as the limiter lets it
PROCESSES = 3


def _calls_until(redis_url: str, prefix: str, ready, go, start_at, results) -> None:
    """One worker process (spawned: nothing shared with the test but Redis): once every worker is
    ready, call as fast as the TMDB limiter allows for ``WINDOW`` seconds from the common start."""
    import django
    from django.conf import settings

    settings.configure(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": prefix,
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        },
        TMDB_MAX_REQUESTS_PER_SECOND=BUDGET,
    )
    django.setup()
    from catalog.tmdb import tmdb_rate_limiter

    limiter = tmdb_rate_limiter()
    ready.put(True)
    go.wait(timeout=60)
    start = start_at.value
    end = start + WINDOW
    time.sleep(max(0.0, start - time.time()))
    stamps: list[float] = []
    while True:
        limiter.wait()
        now = time.time()
        if now >= end:
            break
        stamps.append(now)  # the moment the upstream call would go out
    results.put(stamps)


def _max_in_any_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    best, first = 0, 0
    for last, stamp in enumerate(stamps):
        while stamp - stamps[first] >= 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


def test_several_processes_together_stay_within_one_tmdb_budget(redis_cache, settings):
    # given three worker processes that share nothing but Redis, one TMDB budget of 40/s
    context = multiprocessing.get_context("spawn")
    ready, results, go, start_at = context.Queue(), context.Queue(), context.Event(), context.Value("d", 0.0)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    workers = [
        context.Process(target=_calls_until, args=(settings.REDIS_URL, prefix, ready, go, start_at, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=60)  # spawned interpreters take a moment to import Django

    # when each calls as fast as its limiter lets it for two seconds, from one common start
    start_at.value = time.time() + 0.2
    go.set()
    per_process = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=5)

    # then together they made about 40/s: not 3 × 40 (per-process limiters), and not starved either
    stamps = [stamp for process in per_process for stamp in process]
    achieved = len(stamps) / WINDOW
    print(f"shared budget {BUDGET:.0f}/s, {PROCESSES} processes, {WINDOW:.0f} s: achieved {achieved:.1f}/s")  # noqa: T201
    assert all(process for process in per_process), "every process got its share"
    assert BUDGET * 0.8 <= achieved <= BUDGET + 1
    # Slots are 25 ms apart on Redis's clock; a process that wakes late for its slot (two cores
    # shared by many test runs) bunches up with the next ones, so a one-second window measured here
    # can hold a few more than 40 (per-process limiters would give ~120).
    busiest = _max_in_any_second(stamps)
    print(f"busiest one-second window: {busiest} calls")  # noqa: T201
    assert busiest <= BUDGET * 1.15


def test_without_redis_each_process_keeps_its_own_limit_and_says_so_once(settings, no_sleep, caplog):
    # given a Redis that is not there
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "unix:///nonexistent/redis.sock",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    limiter = SharedRateLimiter(f"budget-{uuid.uuid4().hex}", per_second=10)

    # when
    with caplog.at_level(logging.INFO, logger="reclio.ratelimit"):
        for _ in range(5):
            limiter.wait()

    # then the calls are still spaced (in-process, 10/s) and the outage is logged once
    assert len(no_sleep) == 4 and all(0 < wait <= 0.4 + 1e-6 for wait in no_sleep)
    assert [r.getMessage().split()[0] for r in caplog.records] == ["rate_limit_shared_unavailable"]


def test_the_shared_budget_comes_back_when_redis_does(redis_cache, no_sleep, caplog, monkeypatch):
    # given a limiter that lost Redis once
    from redis.exceptions import ConnectionError as RedisConnectionError

    limiter = SharedRateLimiter(f"budget-{uuid.uuid4().hex}", per_second=10)
    client = redis_cache._cache.get_client(write=True)
    original_eval = client.eval
    calls = {"n": 0}

    def eval_once_down(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RedisConnectionError("down")
        return original_eval(*args, **kwargs)

    monkeypatch.setattr(type(client), "eval", lambda self, *a, **k: eval_once_down(*a, **k))
    with caplog.at_level(logging.INFO, logger="reclio.ratelimit"):
        limiter.wait()
        # when the retry delay has passed
        monkeypatch.setattr("reclio.ratelimit.SHARED_RETRY_SECONDS", 0.0)
        limiter._local_until = time.monotonic()
        limiter.wait()
        limiter.wait()

    # then Redis paces the calls again (the second reservation waits one interval) and it says so
    assert [r.getMessage().split()[0] for r in caplog.records] == [
        "rate_limit_shared_unavailable",
        "rate_limit_shared_restored",
    ]
    assert calls["n"] == 3
    assert no_sleep and 0.05 < no_sleep[-1] <= 0.1 + 1e-6
