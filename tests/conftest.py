"""Shared fixtures. Sockets to anything but loopback are refused (pytest-socket, see pyproject)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

# ../shared/data beside the checkout; override with RECLIO_SHARED_DATA.
SHARED_DATA_DIR = Path(
    os.environ.get("RECLIO_SHARED_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "data")
)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_api_client(settings) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_ADMIN_TOKEN=settings.ADMIN_TOKEN)
    return client


@pytest.fixture
def shared_data_dir() -> Path:
    """The real datasets; absent → the test is skipped and says so (CI always has them)."""
    if not (SHARED_DATA_DIR / "movielens-small" / "ratings.csv").exists():
        pytest.skip(f"shared dataset not found at {SHARED_DATA_DIR} (set RECLIO_SHARED_DATA)")
    return SHARED_DATA_DIR


@pytest.fixture
def no_sleep(monkeypatch):
    """Record outgoing-HTTP waits instead of sleeping."""
    waits: list[float] = []
    monkeypatch.setattr("reclio.http.sleep", waits.append)
    return waits


@pytest.fixture
def sent_tasks(monkeypatch) -> list[tuple[str, dict[str, Any], str | None]]:
    """Tasks published by name (``reclio.events.send_on_commit``) as (name, kwargs, queue), not sent to a broker.

    The de-duplication windows live in the (locmem) cache: cleared, so one test's sends never hide
    another's.
    """
    from django.core.cache import cache

    from reclio.celery import app

    sent: list[tuple[str, dict[str, Any], str | None]] = []

    def send_task(name: str, args: Any = None, kwargs: dict[str, Any] | None = None, **options: Any) -> None:
        sent.append((name, dict(kwargs or {}), options.get("queue")))

    cache.clear()
    monkeypatch.setattr(app, "send_task", send_task)
    return sent


@pytest.fixture(autouse=True, scope="session")
def _background_inline():
    """Background threads (reclio/background.py) run their step in the waking thread: a test sees the
    effect at once, inside its own transaction. tests/reclio/test_background.py runs the real thread."""
    from reclio.background import ProcessThread

    ProcessThread.inline = True
    yield
    ProcessThread.inline = False


@pytest.fixture(autouse=True)
def _per_process_state_fresh():
    """The hit buffer, the /feeds database guard and document copies are per process: a test that
    fills or trips them must not change what the next one sees."""
    from feeds import documents
    from feeds.selectors import copies_check_reset, database_guard
    from feeds.services.enqueue import refresh_requests_reset
    from users.services.cadence import hit_buffer

    def reset() -> None:
        hit_buffer.reset()
        database_guard.reset()
        documents.local_copies.clear()
        documents.copies_reset()
        copies_check_reset()
        refresh_requests_reset()

    reset()
    yield
    reset()


@pytest.fixture(autouse=True, scope="session")
def _views_imported():
    """Import every view module (the URLconf) before any test patches a selector.

    A view module that does ``from catalog.selectors import items_by_ids`` binds whatever the name is
    at import time; if the first request that resolves a URL happens inside a test that patched it
    (tests/feeds' ``world``), the fake would stay bound for the rest of the session. /feeds no longer
    resolves URLs (feeds.middleware.FeedsFastPathMiddleware), so load them once, here, unpatched.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the import is the point


@pytest.fixture
def published(monkeypatch, sent_tasks) -> list[tuple[str, dict[str, Any], str | None]]:
    """Every task published, by ``.delay``/``.apply_async`` or by name, as (name, kwargs, queue); none runs.

    The queue is the one the message would go to: the send's own ``queue=`` or the task's declared one.
    """
    from celery.app.task import Task

    def apply_async(self: Any, args: Any = None, kwargs: dict[str, Any] | None = None, **options: Any) -> None:
        with warnings.catch_warnings():  # Task.queue is deprecated for routing, but it is what we declare
            warnings.simplefilter("ignore")
            queue = options.get("queue") or getattr(self, "queue", None)
        sent_tasks.append((self.name, dict(kwargs or {}), queue))

    monkeypatch.setattr(Task, "apply_async", apply_async)
    return sent_tasks


@pytest.fixture
def redis_cache(settings):
    """The default cache (so ``reclio.locks``, counters, limiters) on the embedded real Redis, under a
    throwaway key prefix: atomic Lua paths run, and threads or processes share state as in production."""
    import uuid

    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 5},
        }
    }
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    backend.get("ping")  # the embedded Redis must answer: these tests are about it
    yield backend
    client = backend._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
