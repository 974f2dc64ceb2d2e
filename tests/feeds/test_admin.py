from __future__ import annotations

import uuid

import pytest

from tests.feeds.factories import PreparedFeedsFactory

pytestmark = pytest.mark.django_db


def test_changelist_loads_and_searches(admin_client):
    # given
    prepared = PreparedFeedsFactory.create(trakt_username="sean", problems={"lists_write": "boom"})
    PreparedFeedsFactory.create(trakt_username="zoe")

    # when / then
    assert admin_client.get("/staff/feeds/preparedfeeds/").status_code == 200
    response = admin_client.get("/staff/feeds/preparedfeeds/", {"q": "sean"})
    assert response.status_code == 200
    assert str(prepared.user_id) in response.content.decode()
    assert "zoe" not in response.content.decode()
    assert admin_client.get("/staff/feeds/preparedfeeds/", {"problems": "yes"}).status_code == 200
    assert admin_client.get(f"/staff/feeds/preparedfeeds/{prepared.user_id}/change/").status_code == 200


def test_refresh_action_queues_one_refresh_per_row(admin_client, sent_tasks, django_capture_on_commit_callbacks):
    # given
    rows = [PreparedFeedsFactory.create(user_id=uuid.uuid4()) for _ in range(2)]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/staff/feeds/preparedfeeds/",
            {"action": "refresh_rows", "_selected_action": [str(r.user_id) for r in rows]},
            follow=True,
        )

    # then
    assert response.status_code == 200
    assert "Queued a refresh for 2 user(s)." in response.content.decode()
    assert sorted(kwargs["user_id"] for _, kwargs, _ in sent_tasks) == sorted(str(r.user_id) for r in rows)
