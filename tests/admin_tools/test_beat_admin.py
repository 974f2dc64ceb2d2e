"""Beat in the admin: each periodic task shows its queue, last run and result; "run now" sends it on its queue."""

from __future__ import annotations

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from reclio.beat import task_result_record
from tests.staff import staff_member

pytestmark = pytest.mark.django_db

CHANGELIST = "/staff/django_celery_beat/periodictask/"


@pytest.fixture
def health_task() -> PeriodicTask:
    schedule = CrontabSchedule.objects.create(minute="30")
    return PeriodicTask.objects.create(
        name="hourly-health-check", task="admin_tools.health_check", crontab=schedule, queue="default"
    )


def test_the_changelist_shows_queue_and_last_result(client, health_task):
    # given
    client.force_login(staff_member("operate"))
    task_result_record(name="admin_tools.health_check", state="SUCCESS", result=42)

    # when
    text = client.get(CHANGELIST).content.decode()

    # then
    assert "default" in text
    assert "SUCCESS at" in text
    assert "Run now" in text


@pytest.mark.parametrize("how", ["action", "button"])
def test_run_now_sends_the_task_on_its_queue(how, client, health_task, published):
    # given
    client.force_login(staff_member("operate"))

    # when
    if how == "action":
        client.post(CHANGELIST, {"action": "run_tasks", "_selected_action": [str(health_task.pk)]})
    else:
        client.post(f"{CHANGELIST}{health_task.pk}/run/")

    # then
    assert [(name, queue) for name, _, queue in published] == [("admin_tools.health_check", "default")]


@pytest.mark.parametrize("how", ["action", "button"])
def test_view_only_staff_cannot_run_a_task(how, client, health_task, published):
    # given
    client.force_login(staff_member())

    # when
    if how == "action":
        client.post(CHANGELIST, {"action": "run_tasks", "_selected_action": [str(health_task.pk)]})
    else:
        response = client.post(f"{CHANGELIST}{health_task.pk}/run/")
        assert response.status_code == 403

    # then
    assert published == []


def test_results_of_unscheduled_tasks_are_not_kept():
    # when
    task_result_record(name="users.user_sync", state="SUCCESS", result=1)

    # then
    from reclio.beat import task_result_get

    assert task_result_get(name="users.user_sync") is None
