from __future__ import annotations

import pytest
from django.core.cache import cache

from recsys import tasks
from recsys.models import EngineState, Recommendation
from reclio.queues import Queue
from tests.recsys.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("task", "name"),
    [
        (tasks.engine_train_task, "recsys.engine_train"),
        (tasks.user_recommendations_refresh_task, "recsys.user_recommendations_refresh"),
        (tasks.users_recommendations_refresh_task, "recsys.users_recommendations_refresh"),
        (tasks.user_interactions_changed_task, "recsys.user_interactions_changed"),
        (tasks.catalog_changed_task, "recsys.catalog_changed"),
    ],
)
def test_tasks_have_stable_names_on_the_recsys_queue(task, name):
    assert task.name == name
    assert task.queue == Queue.RECSYS.value


def test_training_is_a_singleton(fake_users):
    cache.add(tasks.TRAIN_LOCK_KEY, "1", timeout=60)
    try:
        assert tasks.engine_train_task() == {"skipped": True}
    finally:
        cache.delete(tasks.TRAIN_LOCK_KEY)
    assert not EngineState.objects.exists()


def test_training_rescores_every_user_and_releases_the_lock(fake_users, user_id, sent_tasks, django_capture_on_commit_callbacks):
    # given
    watched, other = ContentItemFactory(), ContentItemFactory()
    fake_users.add(user_id, watched.item_id)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.engine_train_task()
    # then
    assert result["users"] == 1 and result["chunks"] == 1
    assert list(Recommendation.objects.values_list("item_id", flat=True)) == [other.item_id]
    assert cache.get(tasks.TRAIN_LOCK_KEY) is None


def test_interactions_changed_on_a_fresh_instance_trains_then_scores(fake_users, user_id, sent_tasks, django_capture_on_commit_callbacks):
    # given: no model yet
    watched, other = ContentItemFactory(), ContentItemFactory()
    fake_users.add(user_id, watched.item_id)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        decision = tasks.user_interactions_changed_task(user_id=user_id)
    # then
    assert decision == "train"
    assert Recommendation.objects.get(user_id=user_id).item_id == other.item_id


def test_interactions_changed_with_a_model_rescores_the_user(fake_users, user_id, sent_tasks):
    watched, other, later = ContentItemFactory(), ContentItemFactory(), ContentItemFactory()
    fake_users.add(user_id, watched.item_id)
    tasks.engine_train_task()
    fake_users.add(user_id, other.item_id)  # a new watch since training
    assert tasks.user_interactions_changed_task(user_id=user_id) == "refreshed"
    assert Recommendation.objects.get(user_id=user_id).item_id == later.item_id


def test_services_interactions_changed_enqueues_after_commit(monkeypatch, user_id, django_capture_on_commit_callbacks):
    from recsys.services import interactions_changed

    calls = []
    monkeypatch.setattr(tasks.user_interactions_changed_task, "delay", lambda **kw: calls.append(kw))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        interactions_changed(user_id=user_id)
    assert calls == []
    callbacks[0]()
    assert calls == [{"user_id": user_id}]


def test_catalog_changed_pushes_only_to_backends_that_keep_a_copy(monkeypatch):
    from recsys.backends.base import RecommenderBackend

    class Pushing(RecommenderBackend):
        supports_user_sync = True
        available = True

        def push_catalog(self, *, item_ids):  # type: ignore[no-untyped-def]
            return len(item_ids)

    assert tasks.catalog_changed_task(item_ids=["movie_1"]) == 0  # local: retrains on schedule
    monkeypatch.setattr("recsys.services.get_recommender_backend", lambda: Pushing())
    assert tasks.catalog_changed_task(item_ids=["movie_1", "tv_2"]) == 2


def test_a_failing_user_does_not_stop_the_chunk(monkeypatch):
    done = []

    def refresh(*, user_id):  # type: ignore[no-untyped-def]
        if user_id == "bad":
            raise RuntimeError("boom")
        done.append(user_id)
        return 2

    monkeypatch.setattr("recsys.services.user_recommendations_refresh", refresh)
    assert tasks.users_recommendations_refresh_task(user_ids=["a", "bad", "b"]) == 4
    assert done == ["a", "b"]
