from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from catalog.models import ContentItem, TmdbStatus
from recsys.recombee.client import recombee_api_build
from recsys.recombee.push import (
    CATALOG_STATE_KEY,
    INTERACTIONS_STATE_KEY,
    PushReport,
    push_state_get,
    rating_normalise,
    recombee_catalog_push,
    recombee_interactions_push,
    recombee_push_status,
)
from tests.catalog.factories import ContentItemFactory
from tests.fakes.recombee import FakeDatabase
from tests.recsys.recombee.factories import InteractionRowStub

pytestmark = pytest.mark.django_db

USER_A = uuid.UUID("11111111-1111-1111-1111-111111111111")
USER_B = uuid.UUID("22222222-2222-2222-2222-222222222222")
WATCHED_AT = dt.datetime(2026, 11, 1, 20, 0, tzinfo=dt.UTC)


def _settled_items(count: int) -> list[ContentItem]:
    """Catalog rows last changed an hour ago (older than the push's settle window), in cursor order."""
    items = [ContentItemFactory.create(tmdb_id=100 + n) for n in range(count)]
    base = timezone.now() - dt.timedelta(hours=1)
    for n, item in enumerate(items):
        ContentItem.objects.filter(item_id=item.item_id).update(updated_at=base + dt.timedelta(seconds=n))
    return list(ContentItem.objects.order_by("updated_at", "item_id"))


def _push_twice_with_one_failing_batch(
    push: Callable[..., PushReport], remote: FakeDatabase, *, fail_call: int, state_key: str
) -> tuple[PushReport, Any, PushReport]:
    """Push in batches of two while Batch call ``fail_call`` answers HTTP 500, then push again.

    Returns the failed report, the cursor the failure left behind, and the resumed report.
    """
    remote.fail_batch_calls = {fail_call}
    api = recombee_api_build(max_retries=0)
    failed = push(api=api, batch_size=2)
    cursor_after_failure = push_state_get(key=state_key)["cursor"]
    resumed = push(api=api, batch_size=2)
    return failed, cursor_after_failure, resumed


@pytest.mark.parametrize(
    ("rating", "expected"),
    [(1, -1.0), (5, -0.1111), (6, 0.1111), (10, 1.0), (0, -1.0), (11, 1.0), (5.5, 0.0)],
)
def test_rating_normalise_maps_trakt_1_to_10_onto_minus_one_to_one(rating, expected):
    assert round(rating_normalise(rating), 4) == expected


# --- catalog ---------------------------------------------------------------------------------


def test_catalog_push_sends_pending_rows_in_batches_and_moves_the_cursor(fake, remote):
    # given
    items = _settled_items(5)
    api = recombee_api_build()

    # when
    report = recombee_catalog_push(api=api, batch_size=2)

    # then
    assert (report.sent, report.accepted, report.batches, report.failed) == (5, 5, 3, False)
    assert sorted(remote.items) == sorted(item.item_id for item in items)
    assert remote.items["movie_100"]["media_type"] == "movie"
    assert remote.items["movie_100"]["cast"] == ["A", "B", "C", "D", "E"]
    batches = [call for call in fake.calls if call.path == "/batch/" and not call.in_batch]
    assert len(batches) == 1 + 3  # schema + three item batches
    state = push_state_get(key=CATALOG_STATE_KEY)
    assert state["cursor"] == {"updated_at": items[-1].updated_at.isoformat(), "item_id": items[-1].item_id}
    assert state["accepted"] == 5
    assert recombee_push_status().items_pushed == 5


def test_catalog_push_second_run_sends_only_what_changed(fake, remote):
    # given
    items = _settled_items(3)
    api = recombee_api_build()
    recombee_catalog_push(api=api)
    ContentItem.objects.filter(item_id=items[0].item_id).update(
        title="Renamed", updated_at=timezone.now() - dt.timedelta(minutes=5)
    )
    fake.calls.clear()

    # when
    report = recombee_catalog_push(api=api)

    # then
    assert (report.sent, report.accepted) == (1, 1)
    assert remote.items[items[0].item_id]["title"] == "Renamed"
    assert [call.path for call in fake.calls if call.in_batch] == [f"/items/{items[0].item_id}"]


def test_catalog_push_leaves_rows_changed_within_the_settle_window(fake, remote):
    # given: a row stamped just now may belong to a transaction that has not committed its neighbours
    ContentItemFactory.create(tmdb_id=1)

    # when
    report = recombee_catalog_push(api=recombee_api_build())

    # then
    assert report.sent == 0
    assert remote.items == {}


def test_failing_batch_does_not_advance_the_cursor_and_the_next_run_resumes(fake, remote):
    # given: batch call 1 is the schema, 2 the first two items, 3 (the next two) fails with HTTP 500
    items = _settled_items(4)

    # when
    first, cursor_after_failure, second = _push_twice_with_one_failing_batch(
        recombee_catalog_push, remote, fail_call=3, state_key=CATALOG_STATE_KEY
    )

    # then
    assert (first.failed, first.accepted, first.batches) == (True, 2, 1)
    assert first.error is not None
    assert "HTTP 500" in first.error
    assert cursor_after_failure["item_id"] == items[1].item_id
    assert (second.failed, second.accepted, second.batches) == (False, 2, 1)
    state = push_state_get(key=CATALOG_STATE_KEY)
    assert state["cursor"]["item_id"] == items[3].item_id
    assert (state["failures"], state["accepted"], state["last_error"]) == (1, 4, None)
    assert sorted(remote.items) == sorted(item.item_id for item in items)


@pytest.mark.parametrize(
    ("n_items", "refused", "code", "expected_error"),
    [
        # HTTP 200 for the batch, but one part answered 503 inside it
        (3, (1,), 503, "answered 503"),
        # every SetItemValues refused (e.g. the properties were deleted in the admin UI)
        (2, (0, 1), 400, "every request of the batch was refused"),
    ],
    ids=["retryable-sub-request-code", "every-row-refused"],
)
def test_batch_that_cannot_be_passed_fails_without_advancing(fake, remote, n_items, refused, code, expected_error):
    # given
    items = _settled_items(n_items)
    for index in refused:
        remote.sub_request_codes[items[index].item_id] = code

    # when
    report = recombee_catalog_push(api=recombee_api_build())

    # then
    assert report.failed is True
    assert report.error is not None
    assert expected_error in report.error
    assert "cursor" not in push_state_get(key=CATALOG_STATE_KEY)


def test_single_refused_row_is_skipped_reported_and_passed(fake, remote):
    # given
    items = _settled_items(3)
    remote.sub_request_codes[items[1].item_id] = 400

    # when
    report = recombee_catalog_push(api=recombee_api_build())

    # then
    assert (report.failed, report.accepted, report.skipped) == (False, 2, 1)
    state = push_state_get(key=CATALOG_STATE_KEY)
    assert state["cursor"]["item_id"] == items[2].item_id
    assert state["recent_skips"] == [f"{items[1].item_id}: HTTP 400 scripted failure for {items[1].item_id}"]
    synced = dict(
        ContentItem.objects.filter(item_id__in=[i.item_id for i in items]).values_list("item_id", "recombee_synced")
    )
    assert synced == {items[0].item_id: True, items[1].item_id: False, items[2].item_id: True}


def test_titles_gone_from_tmdb_are_deleted_from_recombee(fake, remote):
    # given three titles Recombee holds, with a view of the second; then TMDB drops two of them
    items = _settled_items(3)
    api = recombee_api_build()
    recombee_catalog_push(api=api)
    remote.users.add("viewer")
    remote.interactions[("detailviews", "viewer", items[1].item_id, WATCHED_AT.isoformat())] = None
    del remote.items[items[2].item_id]  # already gone there: the delete answers 404
    ContentItem.objects.filter(item_id__in=[items[1].item_id, items[2].item_id]).update(
        tmdb_status=TmdbStatus.GONE, updated_at=timezone.now() - dt.timedelta(minutes=30)
    )

    # when
    report = recombee_catalog_push(api=api)

    # then: deleted (its interactions with it); the 404 counts as done; the cursor passed both
    assert (report.sent, report.accepted, report.skipped, report.failed) == (2, 2, 0, False)
    assert list(remote.items) == [items[0].item_id]
    assert remote.interactions == {}
    assert [(call.method, call.status) for call in fake.calls if call.in_batch][-2:] == [
        ("DELETE", 200),
        ("DELETE", 404),
    ]
    assert push_state_get(key=CATALOG_STATE_KEY)["cursor"]["item_id"] == items[2].item_id


def test_explicit_ids_are_pushed_without_touching_the_cursor(fake, remote):
    # given
    fresh = ContentItemFactory.create(tmdb_id=7)  # just changed: the sweep would wait, an explicit push does not

    # when
    report = recombee_catalog_push(api=recombee_api_build(), item_ids=[fresh.item_id, fresh.item_id, "movie_404"])

    # then
    assert (report.sent, report.accepted) == (1, 1)
    assert list(remote.items) == ["movie_7"]
    assert "cursor" not in push_state_get(key=CATALOG_STATE_KEY)


# --- interactions ----------------------------------------------------------------------------


@pytest.fixture
def interaction_rows(monkeypatch):
    """Stands in for users.selectors.interactions_since over a fixed table."""
    rows: list[InteractionRowStub] = []

    def interactions_since(*, after_id: int, limit: int) -> list[InteractionRowStub]:
        return [row for row in sorted(rows, key=lambda r: r.id) if row.id > after_id][:limit]

    monkeypatch.setattr("users.selectors.interactions_since", interactions_since, raising=False)
    return rows


def test_interactions_push_maps_each_kind(fake, remote, interaction_rows):
    # given
    interaction_rows.extend(
        [
            InteractionRowStub(1, USER_A, "movie_1", "view", None, WATCHED_AT),
            InteractionRowStub(2, USER_A, "movie_2", "rating", 10, WATCHED_AT),
            InteractionRowStub(3, USER_A, "movie_3", "rating", 1, WATCHED_AT),
            InteractionRowStub(4, USER_B, "tv_9", "watchlist", None, WATCHED_AT),
            InteractionRowStub(5, USER_B, "tv_8", "dislike", None, WATCHED_AT),
            InteractionRowStub(6, USER_B, "tv_7", "paused", 40, WATCHED_AT),
        ]
    )

    # when
    report = recombee_interactions_push(api=recombee_api_build())

    # then
    assert (report.sent, report.accepted, report.skipped, report.failed) == (5, 5, 1, False)
    a, b = str(USER_A), str(USER_B)
    iso = WATCHED_AT.isoformat()
    assert remote.interactions_of("detailviews") == [(a, "movie_1", iso, None)]
    assert sorted(remote.interactions_of("ratings")) == [
        (a, "movie_2", iso, 1.0),
        (a, "movie_3", iso, -1.0),
        (b, "tv_8", iso, -1.0),
    ]
    assert remote.interactions_of("bookmarks") == [(b, "tv_9", iso, None)]
    state = push_state_get(key=INTERACTIONS_STATE_KEY)
    assert state["cursor"] == 6
    assert state["recent_skips"] == ["paused #6 tv_7: kind not sent to Recombee"]
    assert recombee_push_status().interactions_pushed == 5


def test_interactions_push_sends_only_new_rows(fake, remote, interaction_rows):
    # given
    interaction_rows.append(InteractionRowStub(1, USER_A, "movie_1", "view", None, WATCHED_AT))
    api = recombee_api_build()
    recombee_interactions_push(api=api)
    interaction_rows.append(InteractionRowStub(2, USER_A, "movie_2", "view", None, WATCHED_AT))
    fake.calls.clear()

    # when
    report = recombee_interactions_push(api=api, batch_size=10)

    # then
    assert (report.sent, report.accepted, report.cursor) == (1, 1, 2)
    assert [call.params["itemId"] for call in fake.calls if call.in_batch] == ["movie_2"]


def test_failed_interaction_batch_keeps_the_cursor_and_the_next_run_resumes(fake, remote, interaction_rows):
    # given: three views in batches of two; the second Batch call answers HTTP 500
    interaction_rows.extend(InteractionRowStub(n, USER_A, f"movie_{n}", "view", None, WATCHED_AT) for n in (1, 2, 3))

    # when
    failed, cursor_after_failure, resumed = _push_twice_with_one_failing_batch(
        recombee_interactions_push, remote, fail_call=2, state_key=INTERACTIONS_STATE_KEY
    )

    # then
    assert (failed.failed, failed.accepted, failed.cursor) == (True, 2, 2)
    assert cursor_after_failure == 2
    assert (resumed.failed, resumed.accepted, resumed.cursor) == (False, 1, 3)
    assert [call.params["itemId"] for call in fake.calls if call.in_batch] == ["movie_1", "movie_2", "movie_3"]
    assert len(remote.interactions_of("detailviews")) == 3


def test_resending_the_same_interactions_is_harmless(fake, remote, interaction_rows):
    # given: the state was lost, so everything goes again
    interaction_rows.extend(InteractionRowStub(n, USER_A, f"movie_{n}", "view", None, WATCHED_AT) for n in (1, 2))
    api = recombee_api_build()
    recombee_interactions_push(api=api)
    from recsys.models import EngineState

    EngineState.objects.filter(key=INTERACTIONS_STATE_KEY).delete()

    # when
    report = recombee_interactions_push(api=api)

    # then: Recombee answers 409 (same user, item, timestamp), which counts as done
    assert (report.accepted, report.failed) == (2, False)
    assert [call.status for call in fake.calls if call.in_batch][-2:] == [409, 409]
    assert len(remote.interactions_of("detailviews")) == 2
