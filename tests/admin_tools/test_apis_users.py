from __future__ import annotations

import pytest

from tests.users.factories import InteractionFactory, UserFactory
from users.models import InteractionKind, ListState, ManagedList

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer():
    user = UserFactory.create(trakt_username="sean", access_token="SECRET-ACCESS")
    InteractionFactory.create(user=user, kind=InteractionKind.VIEW)
    InteractionFactory.create(user=user, kind=InteractionKind.RATING, value=8)
    ManagedList.objects.create(
        user=user,
        key="recommended_movies",
        name="Reclio • Recommended Movies",
        trakt_list_id=42,
        item_ids=["movie_1", "movie_2"],
        state=ListState.OK,
    )
    return user


def test_user_status_shows_state_counts_and_lists_but_no_tokens(admin_api_client, viewer):
    response = admin_api_client.get(f"/admin/users/{viewer.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["trakt_username"] == "sean"
    assert body["connection_state"] == "connected"
    assert body["interactions"] == {"view": 1, "rating": 1, "watchlist": 0, "dislike": 0, "pending": 0}
    assert body["lists"][0] | {"last_written_at": None} == {
        "key": "recommended_movies",
        "name": "Reclio • Recommended Movies",
        "trakt_list_id": 42,
        "item_count": 2,
        "last_written_at": None,
        "state": "ok",
        "detail": "",
    }
    assert "SECRET" not in response.content.decode() and "token_encrypted" not in response.content.decode()


@pytest.mark.parametrize("user_id", ["nope", "6f1c0a4e-0d6b-4c7e-8a0b-7a7c5b0d9e21"])
def test_unknown_user_is_404(admin_api_client, user_id):
    assert admin_api_client.get(f"/admin/users/{user_id}").status_code == 404


def test_sync_now_queues_a_sync(admin_api_client, viewer, monkeypatch, django_capture_on_commit_callbacks):
    queued: list[tuple[str, bool]] = []
    monkeypatch.setattr("users.tasks.user_sync_task.delay", lambda user_id, full=False: queued.append((user_id, full)))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api_client.post(f"/admin/users/{viewer.pk}/sync", {"full": True}, format="json")
    assert response.status_code == 202
    assert queued == [(str(viewer.pk), True)]


def test_lists_rewrite_asks_feeds(admin_api_client, viewer, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api_client.post(f"/admin/users/{viewer.pk}/lists/rewrite")
    assert response.status_code == 202
    assert sent_tasks == [("feeds.user_rows_refresh", {"user_id": str(viewer.pk), "last_watched": None}, "feeds")]


def test_endpoints_need_the_admin_token(api_client, viewer):
    assert api_client.get(f"/admin/users/{viewer.pk}").status_code == 401
    assert api_client.post(f"/admin/users/{viewer.pk}/sync").status_code == 401
