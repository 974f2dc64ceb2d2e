"""Recombee mode end to end on real tables and the fake Recombee: a viewer's history reaches
Recombee before their picks are scored, removals follow, gone titles go, no row is skipped."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import ContentItem, TmdbStatus
from reclio.events import FEEDS_USER_ROWS_REFRESH
from recsys import tasks
from recsys.models import EngineState, Recommendation
from recsys.recombee.client import recombee_api_build
from recsys.recombee.push import (
    INTERACTIONS_STATE_KEY,
    _holes_update,
    push_state_get,
    rating_normalise,
    recombee_catalog_push,
    recombee_interactions_push,
)
from recsys.selectors import LOCAL_ENGINE_STATE_KEY
from tests.catalog.factories import ContentItemFactory
from tests.users.factories import InteractionFactory, UserFactory
from users.models import Interaction

RATED_AT = dt.datetime(2026, 11, 1, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def movies(db, fake, remote):
    """Six movies, in our catalog and in Recombee's."""
    items = [ContentItemFactory.create(tmdb_id=n, media_type="movie") for n in range(1, 7)]
    recombee_catalog_push(api=recombee_api_build(), item_ids=[item.item_id for item in items])
    return items


def _recomm_calls(fake, user_id: str) -> list[int]:
    return [n for n, call in enumerate(fake.calls) if call.path == f"/recomms/users/{user_id}/items/"]


def test_a_sync_event_pushes_the_viewers_fresh_history_before_rescoring(
    fake, remote, movies, sent_tasks, django_capture_on_commit_callbacks
):
    # given a viewer whose sync stored two views a moment ago (younger than any settle window)
    viewer = UserFactory.create()
    for item in movies[:2]:
        InteractionFactory.create(user=viewer, item=item)
    user_id = str(viewer.pk)

    # when the sync's commit sends the event
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.user_interactions_changed_task(user_id=user_id) == "refreshed"

    # then both views were in Recombee before it was asked for the viewer's picks
    pushed_at = [n for n, call in enumerate(fake.calls) if call.in_batch and call.params.get("userId") == user_id]
    assert len(pushed_at) == 2
    assert max(pushed_at) < min(_recomm_calls(fake, user_id))
    assert {item for (_, user, item, _) in remote.interactions if user == user_id} == {"movie_1", "movie_2"}
    # and the picks were stored and handed to the feeds as today
    assert Recommendation.objects.filter(user_id=user_id).exists()
    assert (FEEDS_USER_ROWS_REFRESH.name, {"user_id": user_id, "last_watched": None}) in [
        (name, kwargs) for name, kwargs, _ in sent_tasks
    ]


def test_the_periodic_push_rescores_the_viewers_it_delivered(
    fake, remote, movies, sent_tasks, django_capture_on_commit_callbacks
):
    # given rows no event delivered (the event's retries ran out while Recombee was down)
    viewer, other = UserFactory.create(), UserFactory.create()
    InteractionFactory.create(user=viewer, item=movies[0], created_at=timezone.now() - dt.timedelta(minutes=5))
    InteractionFactory.create(user=other, item=movies[1], created_at=timezone.now() - dt.timedelta(minutes=5))

    # when the 10-minute push runs
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.recommender_push_task()

    # then both viewers' picks were rescored after their rows reached Recombee, feeds told
    for user in (viewer, other):
        user_id = str(user.pk)
        assert Recommendation.objects.filter(user_id=user_id).exists()
        assert (FEEDS_USER_ROWS_REFRESH.name, {"user_id": user_id, "last_watched": None}) in [
            (name, kwargs) for name, kwargs, _ in sent_tasks
        ]
    last_push = max(n for n, call in enumerate(fake.calls) if call.path == "/batch/")
    assert min(_recomm_calls(fake, str(viewer.pk))) > last_push
    assert result == {"catalog": 0, "interactions": 2, "rescored": 2}


def test_a_push_with_nothing_new_rescores_nobody(fake, remote, movies, sent_tasks, django_capture_on_commit_callbacks):
    InteractionFactory.create(item=movies[0])
    with django_capture_on_commit_callbacks(execute=True):
        tasks.recommender_push_task()
    Recommendation.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert tasks.recommender_push_task() == {"catalog": 0, "interactions": 0, "rescored": 0}
    assert callbacks == []
    assert not Recommendation.objects.exists()


def test_the_nightly_job_rescores_without_training_when_the_backend_trains_itself(
    fake, remote, movies, sent_tasks, django_capture_on_commit_callbacks
):
    # given two viewers with history, and no local model
    viewers = [UserFactory.create(), UserFactory.create()]
    for viewer, item in zip(viewers, movies, strict=False):
        InteractionFactory.create(user=viewer, item=item)

    # when the nightly job runs
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.engine_train_task()

    # then nothing was trained, and every viewer was rescored from Recombee
    assert not EngineState.objects.filter(key=LOCAL_ENGINE_STATE_KEY).exists()
    assert (result["version"], result["users"], result["chunks"]) == ("", 2, 1)
    for viewer in viewers:
        assert Recommendation.objects.filter(user_id=viewer.pk, source="recombee").exists()


def test_removed_and_changed_ratings_and_watchlist_entries_leave_recombee(fake, remote, movies, sent_tasks):
    # given a viewer whose ratings and watchlist Recombee holds
    viewer = UserFactory.create()
    user_id = str(viewer.pk)
    m1, m2, m3, m4, m5, m6 = movies
    stored = timezone.now() - dt.timedelta(minutes=5)  # long settled: any push sends them
    rows = {
        "gone rating": InteractionFactory.create(
            user=viewer, item=m1, kind="rating", value=8, occurred_at=RATED_AT, created_at=stored
        ),
        "re-rated": InteractionFactory.create(
            user=viewer, item=m2, kind="rating", value=7, occurred_at=RATED_AT, created_at=stored
        ),
        "same moment": InteractionFactory.create(
            user=viewer, item=m5, kind="rating", value=9, occurred_at=RATED_AT, created_at=stored
        ),
        "kept rating": InteractionFactory.create(
            user=viewer, item=m6, kind="rating", value=6, occurred_at=RATED_AT, created_at=stored
        ),
        "gone bookmark": InteractionFactory.create(
            user=viewer, item=m3, kind="watchlist", occurred_at=RATED_AT, created_at=stored
        ),
        "kept bookmark": InteractionFactory.create(
            user=viewer, item=m4, kind="watchlist", occurred_at=RATED_AT, created_at=stored
        ),
    }
    tasks.user_interactions_changed_task(user_id=user_id)
    assert len(remote.interactions_of("ratings")) == 4

    # when the next sync removes two, re-rates one later and one at the same moment (new rows, as
    # users.services.interactions.state_store stores them), and sends the event
    later = RATED_AT + dt.timedelta(days=2)
    Interaction.objects.filter(
        pk__in=[row.pk for row in rows.values() if row.item_id in ("movie_1", "movie_3")]
    ).delete()
    Interaction.objects.filter(pk__in=[rows["re-rated"].pk, rows["same moment"].pk]).delete()
    InteractionFactory.create(user=viewer, item=m2, kind="rating", value=4, occurred_at=later)
    InteractionFactory.create(user=viewer, item=m5, kind="rating", value=2, occurred_at=RATED_AT)
    tasks.user_interactions_changed_task(user_id=user_id)

    # then Recombee holds exactly what we hold
    ratings = {(item, round(value, 4)) for user, item, _, value in remote.interactions_of("ratings")}
    assert ratings == {
        ("movie_2", round(rating_normalise(4), 4)),
        ("movie_5", round(rating_normalise(2), 4)),
        ("movie_6", round(rating_normalise(6), 4)),
    }
    assert [item for _, item, _, _ in remote.interactions_of("bookmarks")] == ["movie_4"]
    deletes = [call for call in fake.calls if call.in_batch and call.method == "DELETE"]
    assert sorted((call.path, call.params["itemId"]) for call in deletes) == [
        ("/bookmarks/", "movie_3"),
        ("/ratings/", "movie_1"),
        ("/ratings/", "movie_2"),
        ("/ratings/", "movie_5"),
    ]
    assert all("timestamp" in call.params for call in deletes)  # never "every rating of the pair"


def test_removals_for_a_viewer_recombee_does_not_know_are_nothing(fake, remote, movies):
    from recsys.recombee.push import recombee_user_removals_push

    assert recombee_user_removals_push(api=recombee_api_build(), user_id="never-pushed") == 0


@pytest.mark.django_db(transaction=True)
def test_a_row_committed_after_a_higher_id_was_pushed_is_still_pushed(fake, remote):
    # given two titles and two viewers; both rows are stamped minutes before they commit
    first, second = ContentItemFactory.create(tmdb_id=1), ContentItemFactory.create(tmdb_id=2)
    slow_viewer, quick_viewer = UserFactory.create(), UserFactory.create()
    stamped = timezone.now() - dt.timedelta(minutes=5)
    inserted, release = threading.Event(), threading.Event()
    low_id: list[int] = []

    def slow_sync() -> None:
        try:
            with transaction.atomic():
                row = InteractionFactory.create(user=slow_viewer, item=first, created_at=stamped)
                low_id.append(row.pk)
                inserted.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    worker = threading.Thread(target=slow_sync)
    worker.start()
    assert inserted.wait(timeout=30)
    # when a higher id commits first and is pushed
    high = InteractionFactory.create(user=quick_viewer, item=second, created_at=stamped)
    assert high.pk > low_id[0]
    api = recombee_api_build()
    early = recombee_interactions_push(api=api)
    # and the lower id commits afterwards
    release.set()
    worker.join(timeout=30)
    late = recombee_interactions_push(api=api)

    # then the late row was pushed by the next run, and the cursor never went back
    assert {(user, item) for (_, user, item, _) in remote.interactions} == {
        (str(slow_viewer.pk), "movie_1"),
        (str(quick_viewer.pk), "movie_2"),
    }
    assert (early.accepted, early.user_ids) == (1, frozenset({str(quick_viewer.pk)}))
    assert (late.accepted, late.user_ids) == (1, frozenset({str(slow_viewer.pk)}))
    state = push_state_get(key=INTERACTIONS_STATE_KEY)
    assert state["cursor"] == high.pk
    assert not [hole for hole in state.get("holes", []) if hole[0] <= low_id[0] <= hole[1]]
    # and a third run sends nothing again
    assert recombee_interactions_push(api=api).sent == 0


def test_holes_are_split_by_what_was_seen_merged_and_forgotten_once_no_transaction_can_hold_them():
    old, now = "2026-12-01T10:00:00+00:00", "2026-12-02T10:00:00+00:00"
    expire_before = "2026-12-02T08:00:00+00:00"
    holes = [[10, 20, now], [30, 30, old]]

    updated = _holes_update(holes, seen=[10, 15, 16], new=[(21, 22), (40, 41)], now=now, expire_before=expire_before)

    assert updated == [[11, 14, now], [17, 22, now], [40, 41, now]]


def test_too_many_holes_are_bridged_not_dropped():
    from recsys.recombee import push

    now = "2026-12-02T10:00:00+00:00"
    holes = [[n * 10, n * 10, now] for n in range(push.MAX_HOLES + 3)]

    updated = _holes_update(holes, seen=[], new=[], now=now, expire_before="2026-12-01T00:00:00+00:00")

    assert len(updated) == push.MAX_HOLES
    covered = {n for low, high, _ in updated for n in range(low, high + 1)}
    assert {n * 10 for n in range(push.MAX_HOLES + 3)} <= covered


def test_gone_titles_are_deleted_by_the_periodic_push(fake, remote, movies):
    # given a title TMDB dropped
    ContentItem.objects.filter(item_id="movie_3").update(
        tmdb_status=TmdbStatus.GONE, updated_at=timezone.now() - dt.timedelta(minutes=5)
    )

    # when
    tasks.recommender_push_task()

    # then
    assert "movie_3" not in remote.items
    assert "movie_1" in remote.items


@pytest.mark.parametrize(("stored_ago", "kept"), [(dt.timedelta(hours=3), False), (dt.timedelta(minutes=1), True)])
def test_a_gap_below_a_row_stored_longer_ago_than_any_transaction_lives_is_no_hole(db, fake, remote, stored_ago, kept):
    # given three rows, the middle one deleted before any push saw it
    rows = [InteractionFactory.create() for _ in range(3)]
    Interaction.objects.filter(pk=rows[1].pk).delete()
    Interaction.objects.filter(pk=rows[2].pk).update(created_at=timezone.now() - stored_ago)

    # when
    recombee_interactions_push(api=recombee_api_build())

    # then: an old gap is a deletion or a rollback (nothing to wait for); a young one may still commit
    holes = push_state_get(key=INTERACTIONS_STATE_KEY).get("holes", [])
    assert any(low <= rows[1].pk <= high for low, high, _ in holes) is kept


def test_a_rating_recombee_reports_at_a_coarser_timestamp_is_kept(fake, remote, movies):
    from recsys.recombee.push import recombee_user_removals_push

    # given our rating at 20:00:00.400 and Recombee's copy of it at whole seconds
    viewer = UserFactory.create()
    at = RATED_AT + dt.timedelta(milliseconds=400)
    InteractionFactory.create(user=viewer, item=movies[0], kind="rating", value=8, occurred_at=at)
    remote.users.add(str(viewer.pk))
    remote.interactions[("ratings", str(viewer.pk), "movie_1", int(RATED_AT.timestamp()))] = rating_normalise(8)

    # when / then
    assert recombee_user_removals_push(api=recombee_api_build(), user_id=str(viewer.pk)) == 0
    assert len(remote.interactions_of("ratings")) == 1


def test_a_push_that_stops_at_a_failed_batch_still_rescores_whom_it_delivered(
    fake, remote, movies, settings, sent_tasks, django_capture_on_commit_callbacks
):
    # given two viewers' rows in batches of one; Recombee answers 503 for the second
    settings.RECOMBEE_BATCH_SIZE = 1
    delivered, stuck = UserFactory.create(), UserFactory.create()
    InteractionFactory.create(user=delivered, item=movies[0])
    InteractionFactory.create(user=stuck, item=movies[1])
    remote.sub_request_codes["movie_2"] = 503

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.recommender_push_task()

    # then the run reports the failure, and the viewer whose row got through is rescored anyway
    assert isinstance(result, str)
    assert result.startswith("failed: ")
    assert Recommendation.objects.filter(user_id=delivered.pk).exists()
    assert not Recommendation.objects.filter(user_id=stuck.pk).exists()
