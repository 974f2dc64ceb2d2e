"""Poison messages: deliveries are counted per (task id, retries); the 4th is parked, not run."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from celery.exceptions import Reject
from django.core.cache import cache

from reclio.celery import app
from reclio.deliveries import ReclioTask, delivery_count, parked_tasks_requeue
from reclio.models import ParkedTask
from reclio.probes import parked_tasks_probe
from reclio.tasks import echo_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _deliver(task: Any, *, task_id: str, retries: int = 0, args=("x",), kwargs=None) -> None:
    """What the worker's tracer does for one broker delivery, up to the task body."""
    task.push_request(
        id=task_id, retries=retries, is_eager=False, called_directly=False, delivery_info={"routing_key": "default"}
    )
    try:
        task.before_start(task_id, list(args), kwargs or {})
    finally:
        task.pop_request()


def test_every_task_of_the_app_counts_its_deliveries():
    assert isinstance(echo_task, ReclioTask)
    assert all(isinstance(task, ReclioTask) for name, task in app.tasks.items() if not name.startswith("celery."))


def test_the_fourth_delivery_of_a_task_that_never_finished_is_parked_and_reported(caplog):
    # given: three deliveries of one message, each killed its worker (nothing ended them)
    for _ in range(3):
        _deliver(echo_task, task_id="poison-1")
    # when: the broker delivers it a fourth time
    with caplog.at_level(logging.ERROR, logger="reclio.deliveries"), pytest.raises(Reject) as rejected:
        _deliver(echo_task, task_id="poison-1")
    # then: not run (rejected, not requeued), parked with everything needed to send it again
    assert rejected.value.requeue is False  # type: ignore[attr-defined]
    parked = ParkedTask.objects.get()
    assert (parked.name, parked.task_id, parked.args, parked.queue, parked.deliveries) == (
        "reclio.echo",
        "poison-1",
        ["x"],
        "default",
        4,
    )
    assert [r.message.split()[0] for r in caplog.records if r.levelno == logging.ERROR] == ["task_parked"]
    assert parked_tasks_probe().ok is False


def test_a_delivery_that_ends_in_its_worker_is_forgotten():
    # a task that failed or retried did not kill its worker: its count starts again
    for _ in range(5):
        _deliver(echo_task, task_id="fine-1")
        task: Any = echo_task  # celery-types does not know the request fields push_request takes
        task.push_request(
            id="fine-1", retries=0, is_eager=False, called_directly=False, delivery_info={"routing_key": "default"}
        )
        try:
            task.after_return("SUCCESS", None, "fine-1", ("x",), {}, None)
        finally:
            task.pop_request()
    assert not ParkedTask.objects.exists()


def test_each_retry_is_counted_on_its_own():
    for retries in range(6):
        _deliver(echo_task, task_id="retrying-1", retries=retries)
    assert delivery_count(task_id="retrying-1", retries=0) == 2
    assert not ParkedTask.objects.exists()


def test_eager_and_direct_calls_are_not_counted():
    for _ in range(5):
        assert echo_task.apply(args=("x",), task_id="eager-1").get()["payload"] == "x"
        assert echo_task("x")["payload"] == "x"
    assert cache.get("deliveries:eager-1:0") is None
    assert not ParkedTask.objects.exists()


def test_a_parked_task_is_requeued_from_the_admin(admin_client, monkeypatch):
    # given
    for _ in range(4):
        try:
            _deliver(echo_task, task_id="poison-2", args=("hello",))
        except Reject:
            pass
    parked = ParkedTask.objects.get()
    sent: list[tuple[str, list, dict, str | None]] = []

    class _Result:
        id = "new-task-id"

    def send_task(name, args=None, kwargs=None, queue=None, **_):
        sent.append((name, args, kwargs, queue))
        return _Result()

    monkeypatch.setattr(app, "send_task", send_task)
    # when
    response = admin_client.post(
        "/staff/reclio/parkedtask/", {"action": "requeue", "_selected_action": [parked.pk]}, follow=True
    )
    # then: one new message with the same name, arguments and queue; the row says so; the probe clears
    assert response.status_code == 200
    assert sent == [("reclio.echo", ["hello"], {}, "default")]
    parked.refresh_from_db()
    assert parked.requeued_task_id == "new-task-id" and parked.requeued_at is not None
    assert parked_tasks_requeue(parked_ids=[parked.pk]) == 0  # not twice
    assert parked_tasks_probe().ok is True


def test_parked_task_changelist_renders(admin_client):
    ParkedTask.objects.create(name="x.y", task_id="t", deliveries=4, parked_at="2026-01-01T00:00Z")
    assert admin_client.get("/staff/reclio/parkedtask/").status_code == 200
    assert admin_client.get("/staff/reclio/parkedtask/?q=x.y").status_code == 200
