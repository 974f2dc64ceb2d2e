"""/feeds through a database outage: known viewers keep their personal rows, in milliseconds (issue 12).

The copies (feeds/documents.py) and the guard (feeds/dbguard.py) are per process; tests/conftest.py
resets them around every test.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.test import Client

from feeds import documents, selectors
from feeds.documents import document_body
from feeds.models import PreparedFeeds
from tests.feeds.conftest import DEFAULT_IDS, USER_ID, assert_feeds_document
from tests.feeds.factories import PreparedFeedsFactory

DATABASE_DOWN = OperationalError("could not connect to server: Connection refused")


@pytest.fixture
def prepared(world) -> PreparedFeeds:
    feeds = PreparedFeedsFactory.build().feeds
    return PreparedFeedsFactory.create(
        user_id=uuid.UUID(USER_ID), trakt_username="viewer", feeds=feeds, body=document_body(feeds)
    )


def get_feeds(client: Client, **params: str) -> list[dict]:
    response = client.get("/feeds", params)
    assert response.status_code == 200
    return assert_feeds_document(response.json())


def get_feeds_unseen(client: Client, **params: str) -> list[dict]:
    """As a process that does not hold the viewer's copy yet (a new worker): it must ask the database."""
    documents.local_copies.clear()
    return get_feeds(client, **params)


def copied_to_redis() -> None:
    """What the feeds background thread does within ``COPY_FLUSH_SECONDS`` of a database read."""
    documents.copies_flush()


@pytest.mark.django_db
def test_the_stored_body_is_sent_as_it_is(client, prepared):
    # given: a body that differs from a re-serialisation of ``feeds`` only in its spacing
    spaced = json.dumps({"feeds": prepared.feeds}, indent=1).encode()
    PreparedFeeds.objects.filter(user_id=USER_ID).update(body=spaced)

    # when
    response = client.get("/feeds", {"user_id": USER_ID})

    # then: the very bytes, not parsed and rendered again
    assert response.content == spaced


@pytest.mark.django_db
def test_a_known_viewer_keeps_personal_rows_when_the_database_fails(client, prepared, world, settings):
    # given: the viewer was served once while the database answered (and an operator turned the
    # read-only username fallback on)
    settings.FEEDS_USERNAME_FALLBACK = True
    assert get_feeds(client, user_id=USER_ID) == prepared.feeds

    # when: the database is gone
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=DATABASE_DOWN) as execute:
        feeds = get_feeds(client, user_id=USER_ID)
        by_username = get_feeds(client, username="Viewer")

    # then: personal rows from this process's copy, without even asking the database, and the hit
    # still counts (never for the username fallback)
    assert feeds == by_username == prepared.feeds
    assert execute.call_count == 0
    assert world.hits == [USER_ID] * 2


@pytest.mark.django_db
def test_a_viewer_this_process_holds_is_answered_without_a_query(client, prepared, world, django_assert_num_queries):
    get_feeds(client, user_id=USER_ID)

    with django_assert_num_queries(0):
        for _ in range(5):
            assert get_feeds(client, user_id=USER_ID) == prepared.feeds


@pytest.mark.django_db
def test_the_redis_copy_serves_a_viewer_this_process_never_saw(client, prepared, world):
    # given: the refresh task stored the copy; this process has not served the viewer
    documents.copy_store(user_id=USER_ID)
    documents.local_copies.clear()

    # when
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=DATABASE_DOWN):
        feeds = get_feeds(client, user_id=USER_ID)

    # then
    assert feeds == prepared.feeds


@pytest.mark.django_db
def test_rows_read_from_the_database_are_copied_to_redis_in_a_batch(client, prepared, world):
    # given: rows written before copies existed (no Redis copy yet)
    from django.core.cache import cache

    assert cache.get(documents.COPY_KEY_PREFIX + USER_ID) is None

    # when: served, then the batch is due
    get_feeds(client, user_id=USER_ID)
    documents.copies_flush()

    # then
    assert cache.get(documents.COPY_KEY_PREFIX + USER_ID) == (bytes(prepared.body), "")


@pytest.mark.django_db
def test_an_unknown_viewer_gets_the_fallback_rows_during_an_outage(client, world):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=DATABASE_DOWN):
        feeds = get_feeds(client, user_id=str(uuid.uuid4()))

    assert [feed["id"] for feed in feeds] == DEFAULT_IDS


@pytest.mark.django_db
def test_after_a_failure_the_database_is_left_alone_for_a_while(
    client, prepared, world, monkeypatch, django_assert_num_queries
):
    # given: a moving clock, then one failed read by a process that holds no copy of the viewer (none
    # in Redis either: only then does a request thread read the database)
    clock = [1000.0]
    monkeypatch.setattr("feeds.dbguard.time.monotonic", lambda: clock[0])
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=DATABASE_DOWN):
        get_feeds_unseen(client, user_id=USER_ID)

    # when / then: within the retry window no request waits for the database
    with django_assert_num_queries(0):
        for _ in range(10):
            assert [feed["id"] for feed in get_feeds_unseen(client, user_id=USER_ID)] == DEFAULT_IDS
    # and after it, a probe in the background asks it again (the request is still answered at once),
    # and once the probe got an answer requests read the database again
    clock[0] += selectors.database_guard.retry_seconds + 0.1
    with django_assert_num_queries(0):
        assert [feed["id"] for feed in get_feeds_unseen(client, user_id=USER_ID)] == DEFAULT_IDS
    for _ in range(100):
        if not selectors.database_guard._suspect:
            break
        time.sleep(0.02)
    with django_assert_num_queries(1):
        assert get_feeds_unseen(client, user_id=USER_ID) == prepared.feeds


@pytest.mark.django_db
def test_an_outage_is_logged_once_with_a_count_not_per_request(client, prepared, world, caplog, monkeypatch):
    # given: a served viewer and a still clock
    monkeypatch.setattr("reclio.throttled_log.time.monotonic", lambda: 1000.0)
    caplog.set_level(logging.INFO)

    # when: the database is down for 200 requests (from processes that hold no copy: they must ask it)
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=DATABASE_DOWN):
        for _ in range(200):
            get_feeds_unseen(client, user_id=USER_ID)

    # then: one line that it started (per log), none per request
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        "feeds_database_unavailable_started reason=OperationalError: could not connect to server: Connection refused",
        "feeds_served_default_without_database_started reason=OperationalError",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_read_stuck_on_a_frozen_database_is_cut_and_served_from_the_copy(prepared, world, monkeypatch):
    # given: a viewer served once, then a database that stops answering (pg_sleep stands in for a
    # SIGSTOPped server: the read waits on its socket and no timeout of ours fires)
    monkeypatch.setattr(selectors.database_guard, "wait_seconds", 0.2)
    request = selectors.feed_request_parse({"user_id": USER_ID})
    assert selectors.feed_body(request) == bytes(prepared.body)
    # Only a read of a viewer this process does not hold, with no copy in Redis either, can get stuck.
    documents.local_copies.clear()
    table = PreparedFeeds._meta.db_table
    monkeypatch.setattr(
        selectors,
        "_prepared_row_sql",
        lambda column: (
            f"SELECT user_id, body, NULL, last_hint, trakt_username FROM {table}, pg_sleep(4) "  # noqa: S608
            f"WHERE {column} = %s LIMIT 1"
        ),
    )
    stuck: dict[str, object] = {}

    def frozen_read() -> None:
        documents.local_copies.clear()
        started = time.monotonic()
        try:
            stuck["body"] = selectors.feed_body(request)
        finally:
            stuck["seconds"] = time.monotonic() - started
            connections.close_all()

    reader = threading.Thread(target=frozen_read)
    reader.start()
    time.sleep(0.5)  # past the guard's limit

    # when: the next request arrives
    documents.local_copies.clear()
    started = time.monotonic()
    body = selectors.feed_body(request)
    answered_in = time.monotonic() - started
    reader.join(timeout=10)

    # then: it was answered at once (no copy anywhere: the default rows), and the stuck read was cut
    # instead of waiting 4 s
    assert body == documents.DEFAULT_BODY
    assert answered_in < 0.1
    assert not reader.is_alive()
    assert stuck["body"] == documents.DEFAULT_BODY
    assert float(stuck["seconds"]) < 2.5  # type: ignore[arg-type]


@pytest.mark.django_db
def test_a_process_that_does_not_hold_the_viewer_asks_redis_before_the_database(
    client, prepared, world, django_assert_num_queries
):
    # given: the viewer's Redis copy (the refresh wrote it), a process that does not hold the viewer
    documents.copy_store(user_id=USER_ID)
    documents.local_copies.clear()

    # when / then: answered from Redis without a query; the copy is checked at the next background step
    with django_assert_num_queries(0):
        assert get_feeds(client, user_id=USER_ID) == prepared.feeds
    assert USER_ID in selectors._recheck_due
