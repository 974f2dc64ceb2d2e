from __future__ import annotations

import pytest

from reclio.locks import lock_acquire, lock_owner, lock_release, task_lock_seconds
from reclio.queues import Queue
from recsys import tasks
from recsys.models import EngineState, Recommendation
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("task", "name"),
    [
        (tasks.engine_train_task, "recsys.engine_train"),
        (tasks.user_recommendations_refresh_task, "recsys.user_recommendations_refresh"),
        (tasks.users_recommendations_refresh_task, "recsys.users_recommendations_refresh"),
        (tasks.user_interactions_changed_task, "recsys.user_interactions_changed"),
        (tasks.catalog_changed_task, "recsys.catalog_changed"),
        (tasks.recommender_push_task, "recsys.recommender_push"),
    ],
)
def test_tasks_have_stable_names_on_the_recsys_queue(task, name):
    assert task.name == name
    assert task.queue == Queue.RECSYS.value


def test_training_is_a_singleton(fake_users):
    lock_acquire(tasks.TRAIN_LOCK, owner="another-task", ttl_seconds=60)
    try:
        assert tasks.engine_train_task() == {"skipped": True}
    finally:
        lock_release(tasks.TRAIN_LOCK, owner="another-task")
    assert not EngineState.objects.exists()


def test_a_redelivered_training_takes_its_own_lock_over_instead_of_skipping_the_day(
    fake_users, user_id, sent_tasks, django_capture_on_commit_callbacks
):
    # given: the first delivery of the training task was killed holding its lock (TTL > 55 min)
    ContentItemFactory.create()
    fake_users.add(user_id, ContentItemFactory.create().item_id)
    lock_acquire(tasks.TRAIN_LOCK, owner="train-1", ttl_seconds=3600)
    # when: the broker redelivers the same task
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.engine_train_task.apply(task_id="train-1").get()
    # then: it trains and frees the lock
    assert result.get("skipped") is None and result["users"] == 1
    assert lock_owner(tasks.TRAIN_LOCK) is None


@pytest.mark.parametrize(
    "task",
    [tasks.engine_train_task, tasks.recommender_push_task, tasks.user_recommendations_refresh_task],
)
def test_recsys_locks_outlive_their_task_hard_limit(task):
    assert task.time_limit and task_lock_seconds(task) > task.time_limit


def test_training_rescores_every_user_and_releases_the_lock(
    fake_users, user_id, sent_tasks, django_capture_on_commit_callbacks
):
    # given
    watched, other = ContentItemFactory.create(), ContentItemFactory.create()
    fake_users.add(user_id, watched.item_id)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.engine_train_task()
    # then
    assert result["users"] == 1 and result["chunks"] == 1
    assert list(Recommendation.objects.values_list("item_id", flat=True)) == [other.item_id]
    assert lock_owner(tasks.TRAIN_LOCK) is None


def test_interactions_changed_on_a_fresh_instance_trains_then_scores(
    fake_users, user_id, sent_tasks, django_capture_on_commit_callbacks
):
    # given: no model yet
    watched, other = ContentItemFactory.create(), ContentItemFactory.create()
    fake_users.add(user_id, watched.item_id)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        decision = tasks.user_interactions_changed_task(user_id=user_id)
    # then
    assert decision == "train"
    assert Recommendation.objects.get(user_id=user_id).item_id == other.item_id


def test_interactions_changed_with_a_model_rescores_the_user(fake_users, user_id, sent_tasks):
    watched, other, later = ContentItemFactory.create(), ContentItemFactory.create(), ContentItemFactory.create()
    fake_users.add(user_id, watched.item_id)
    tasks.engine_train_task()
    fake_users.add(user_id, other.item_id)  # a new watch since training
    assert tasks.user_interactions_changed_task(user_id=user_id) == "refreshed"
    assert Recommendation.objects.get(user_id=user_id).item_id == later.item_id


def test_catalog_changed_pushes_only_to_backends_that_keep_a_copy(monkeypatch):
    from recsys.backends.base import RecommenderBackend

    class Pushing(RecommenderBackend):
        supports_user_sync = True
        available = True

        def push_catalog(self, *, item_ids):
            return len(item_ids)

    assert tasks.catalog_changed_task(item_ids=["movie_1"]) == 0  # local: retrains on schedule
    monkeypatch.setattr("recsys.services.get_recommender_backend", lambda: Pushing())
    assert tasks.catalog_changed_task(item_ids=["movie_1", "tv_2"]) == 2


def test_a_failing_user_does_not_stop_the_chunk(monkeypatch):
    done = []

    def refresh(*, user_id, bulk):
        assert bulk  # a chunk is the fan-out: its rows are recomposed at bulk priority
        if user_id == "bad":
            raise RuntimeError("boom")
        done.append(user_id)
        return 2

    monkeypatch.setattr("recsys.services.user_recommendations_refresh", refresh)
    assert tasks.users_recommendations_refresh_task(user_ids=["a", "bad", "b"]) == 4
    assert done == ["a", "b"]


class _PushingBackend:
    """A backend that keeps its own copy (Recombee-like), recording what it was asked to push."""

    supports_user_sync = True
    available = True

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[str] = []
        self.error = error

    def push_catalog(self, *, item_ids):
        self.calls.append(f"catalog:{len(item_ids)}")
        if self.error:
            raise self.error
        return 3

    def push_interactions(self):
        from recsys.contracts import InteractionsPushed

        self.calls.append("interactions")
        return InteractionsPushed(accepted=7, user_ids=())


def test_periodic_push_sends_what_changed_since_the_cursors(monkeypatch):
    # given a backend that keeps a copy
    backend = _PushingBackend()
    monkeypatch.setattr("recsys.services.get_recommender_backend", lambda: backend)
    # when / then: an empty id list means "everything since the cursor"
    assert tasks.recommender_push_task() == {"catalog": 3, "interactions": 7, "rescored": 0}
    assert backend.calls == ["catalog:0", "interactions"]
    assert lock_owner(tasks.PUSH_LOCK) is None  # the lock was released


def test_periodic_push_is_a_no_op_for_the_local_engine():
    assert tasks.recommender_push_task() == {"catalog": 0, "interactions": 0, "rescored": 0}


def test_periodic_push_is_a_singleton(monkeypatch):
    monkeypatch.setattr("recsys.services.get_recommender_backend", lambda: _PushingBackend())
    lock_acquire(tasks.PUSH_LOCK, owner="another-task", ttl_seconds=60)
    try:
        assert tasks.recommender_push_task() == "skipped: already running"
    finally:
        lock_release(tasks.PUSH_LOCK, owner="another-task")


def test_a_permanent_backend_error_is_reported_not_retried(monkeypatch):
    from recsys.backends.base import RecommenderError

    monkeypatch.setattr(
        "recsys.services.get_recommender_backend",
        lambda: _PushingBackend(RecommenderError("credentials refused", permanent=True)),
    )
    assert tasks.catalog_changed_task(item_ids=["movie_1"]) == "failed: credentials refused"


def test_a_transient_backend_error_is_retried(monkeypatch):
    from celery.exceptions import Retry

    from recsys.backends.base import RecommenderError

    monkeypatch.setattr(
        "recsys.services.get_recommender_backend", lambda: _PushingBackend(RecommenderError("batch failed"))
    )
    monkeypatch.setattr(tasks.catalog_changed_task, "retry", lambda *a, **k: (_ for _ in ()).throw(Retry("again")))
    with pytest.raises(Retry):
        tasks.catalog_changed_task(item_ids=["movie_1"])


def test_a_failed_rescoring_chunk_send_does_not_drop_the_next_chunks(monkeypatch, django_capture_on_commit_callbacks):
    # given three chunks of viewers and a broker that refuses the second
    from kombu.exceptions import OperationalError

    from reclio.queues import BULK_PRIORITY
    from recsys.services import users_recommendations_refresh_enqueue

    attempts: list[list[str]] = []

    def apply_async(*, kwargs, priority):
        assert priority == BULK_PRIORITY  # behind any viewer's own rescoring on the recsys queue
        attempts.append(kwargs["user_ids"])
        if len(attempts) == 2:
            raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.users_recommendations_refresh_task, "apply_async", apply_async)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        chunks = users_recommendations_refresh_enqueue(user_ids=["a", "b", "c"], chunk=1)
    # then
    assert chunks == 3
    assert attempts == [["a"], ["b"], ["c"]]
