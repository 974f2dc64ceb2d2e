"""Each web process answers the viewers it holds from memory and checks those copies against the
database in the background (feeds/selectors.py ``copies_check_step``), with a moving clock."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client

from feeds import documents, selectors
from feeds.documents import document_body
from feeds.models import PreparedFeeds
from feeds.services import enqueue
from tests.feeds.conftest import DEFAULT_IDS, USER_ID, assert_feeds_document
from tests.feeds.factories import PreparedFeedsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr("feeds.selectors.time.monotonic", lambda: now[0])
    monkeypatch.setattr("feeds.documents.time.monotonic", lambda: now[0])
    return now


@pytest.fixture
def prepared(world) -> PreparedFeeds:
    feeds = PreparedFeedsFactory.build().feeds
    return PreparedFeedsFactory.create(user_id=uuid.UUID(USER_ID), feeds=feeds, body=document_body(feeds), last_hint="")


def served(client: Client, **params: str) -> bytes:
    response = client.get("/feeds", {"user_id": USER_ID, **params})
    assert response.status_code == 200
    assert_feeds_document(response.json())
    return response.content


def stored_elsewhere(feeds: list[dict], *, last_hint: str = "") -> bytes:
    """What the refresh task in a worker process does: new rows in the database (and not in this process)."""
    feeds = [dict(feed) for feed in feeds]
    feeds[0]["title"] = "Freshly recomputed"
    body = document_body(feeds)
    PreparedFeeds.objects.filter(user_id=USER_ID).update(feeds=feeds, body=body, last_hint=last_hint)
    return body


def test_new_rows_stored_by_another_process_are_served_once_the_copy_is_checked(client, prepared, clock):
    # given: served once, then a worker stores new rows
    old = served(client)
    new = stored_elsewhere(prepared.feeds)

    # when / then: a fresh copy is served as it is, and not checked
    clock[0] += selectors.RECHECK_SECONDS - 1
    assert served(client) == old
    assert selectors.copies_check_step() == 0

    # when / then: an old one is still served at once, and checked in the background
    clock[0] += 2
    assert served(client) == old
    assert selectors.copies_check_step() == 1
    assert served(client) == new
    # and the Redis copy follows, for a process that starts during an outage
    documents._state["flush_due"] = 0.0
    selectors.copies_check_step()
    assert cache.get(documents.COPY_KEY_PREFIX + USER_ID) == (new, "")


def test_a_viewer_whose_rows_are_gone_loses_both_copies(client, prepared, clock):
    # given: served and copied to Redis, then the rows are deleted (viewer disconnected)
    served(client)
    selectors.copies_check_step()
    assert cache.get(documents.COPY_KEY_PREFIX + USER_ID) is not None
    PreparedFeeds.objects.filter(user_id=USER_ID).delete()

    # when: the copy is due and checked
    clock[0] += selectors.RECHECK_SECONDS + 1
    served(client)
    selectors.copies_check_step()

    # then
    assert [feed["id"] for feed in client.get("/feeds", {"user_id": USER_ID}).json()["feeds"]] == DEFAULT_IDS
    assert cache.get(documents.COPY_KEY_PREFIX + USER_ID) is None


def test_a_new_anchor_is_checked_at_the_next_step_until_the_refreshed_rows_arrive(client, prepared, clock, world):
    # given: a served viewer
    served(client)

    # when: Chillio sends a new anchor; the refresh has not stored anything yet
    served(client, last_watched="movie:27205")

    # then: the copy is checked at the next step although it is fresh, and again while the hint differs
    assert selectors.copies_check_step() == 1
    served(client, last_watched="movie:27205")
    assert selectors.copies_check_step() == 1
    # once the refreshed rows (carrying the hint) are stored, one more check serves them and stops asking
    new = stored_elsewhere(prepared.feeds, last_hint="movie:27205")
    served(client, last_watched="movie:27205")
    assert selectors.copies_check_step() == 1
    assert served(client, last_watched="movie:27205") == new
    assert selectors.copies_check_step() == 0


def test_a_failed_check_keeps_the_copy_serving(client, prepared, clock):
    old = served(client)
    clock[0] += selectors.RECHECK_SECONDS + 1
    served(client)

    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("gone")):
        assert selectors.copies_check_step() == 0

    assert served(client) == old


def test_checks_go_in_batches_of_one_query(client, world, clock, django_assert_num_queries):
    # given: three viewers served once, all due
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for user_id in ids:
        PreparedFeedsFactory.create(user_id=uuid.UUID(user_id))
        client.get("/feeds", {"user_id": user_id})
    clock[0] += selectors.RECHECK_SECONDS + 1
    for user_id in ids:
        client.get("/feeds", {"user_id": user_id})

    # when / then
    with django_assert_num_queries(1):
        assert selectors.copies_check_step() == 3


def test_one_process_sends_the_same_refresh_request_once_per_window(world, monkeypatch, settings):
    # given: a moving clock
    now = [1000.0]
    monkeypatch.setattr("feeds.services.enqueue.time.monotonic", lambda: now[0])
    sent: list[tuple[str, str | None, str]] = []

    def request(*, user_id: str, last_watched: str | None, reason: str) -> bool:
        sent.append((user_id, last_watched, reason))
        return True

    monkeypatch.setattr(
        enqueue,
        "_requests_send",
        lambda batch: sum(request(user_id=u, last_watched=h, reason=r) for (u, h), r in batch.items()),
    )

    # when: the same anchor three times, then after the window once more, and another anchor
    for _ in range(3):
        enqueue.feed_refresh_request_soon(user_id=USER_ID, last_watched="movie:1", reason="new_anchor")
    now[0] += settings.FEEDS_REFRESH_LOCK_SECONDS + 1
    enqueue.feed_refresh_request_soon(user_id=USER_ID, last_watched="movie:1", reason="new_anchor")
    enqueue.feed_refresh_request_soon(user_id=USER_ID, last_watched="movie:2", reason="new_anchor")

    # then
    assert sent == [
        (USER_ID, "movie:1", "new_anchor"),
        (USER_ID, "movie:1", "new_anchor"),
        (USER_ID, "movie:2", "new_anchor"),
    ]


def test_a_failed_batch_of_refresh_requests_closes_the_broken_connection(world):
    # given: the database fails the batch's query (a connection broken by a restart); patched here, not
    # with monkeypatch, which would undo after ``world`` and leave world's fake installed for later tests
    from django.db import connection

    broken = OperationalError("server closed the connection")
    with (
        mock.patch.object(enqueue.users_selectors, "users_connected", side_effect=broken),
        mock.patch.object(connection, "close") as close,
    ):
        # when
        queued = enqueue._requests_send({(USER_ID, "movie:1"): "new_anchor"})

    # then: nothing queued, and the thread's connection is dropped so the next batch connects anew
    assert queued == 0
    close.assert_called_once_with()


def test_copy_store_writes_the_rows_as_committed_whatever_order_the_callbacks_run(prepared, clock):
    # given: a refresh committed one document and the list writer (run inside the refresh's commit
    # callbacks) a newer one; the refresh's own copy callback runs last
    newer = stored_elsewhere(prepared.feeds)

    # when
    documents.copy_store(user_id=USER_ID)

    # then: both copies hold the newer document
    assert documents.local_copies.get(USER_ID) == documents.Copy(body=newer, last_hint="")
    assert cache.get(documents.COPY_KEY_PREFIX + USER_ID) == (newer, "")
