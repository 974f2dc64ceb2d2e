from __future__ import annotations

import uuid

import pytest

from tests.feeds.factories import PreparedFeedsFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_prepared_rows_of_a_user(admin_api_client):
    # given
    prepared = PreparedFeedsFactory.create(problems={"similar:movie_1": "ConnectionError: x"})

    # when
    response = admin_api_client.get(f"/admin/feeds/{prepared.user_id}")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == str(prepared.user_id)
    assert body["feeds"] == prepared.feeds
    assert body["problems"] == {"similar:movie_1": "ConnectionError: x"}


def test_prepared_rows_of_an_unknown_user_is_404(admin_api_client):
    assert admin_api_client.get(f"/admin/feeds/{uuid.uuid4()}").status_code == 404


def test_feeds_admin_endpoints_need_the_token(api_client):
    assert api_client.get(f"/admin/feeds/{uuid.uuid4()}").status_code == 401
    assert api_client.post(f"/admin/feeds/{uuid.uuid4()}/refresh").status_code == 401


def test_refresh_queues_one_task(admin_api_client, sent_tasks, django_capture_on_commit_callbacks):
    # given
    user_id = UserFactory.create().pk

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api_client.post(
            f"/admin/feeds/{user_id}/refresh", {"last_watched": "show:1399"}, format="json"
        )

    # then
    assert response.status_code == 202
    assert response.json() == {"queued": True}
    assert sent_tasks == [("feeds.user_rows_refresh", {"user_id": str(user_id), "last_watched": "show:1399"}, "feeds")]


def test_refresh_rejects_a_malformed_hint(admin_api_client):
    response = admin_api_client.post(f"/admin/feeds/{uuid.uuid4()}/refresh", {"last_watched": "film:1"}, format="json")

    assert response.status_code == 400


def test_refresh_of_a_missing_viewer_is_404_and_queues_nothing(
    admin_api_client, sent_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api_client.post(f"/admin/feeds/{uuid.uuid4()}/refresh", {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "no viewer with this id"}
    assert sent_tasks == []
