from __future__ import annotations

import pytest

from tests.users.factories import InteractionFactory, UserFactory
from users.contracts import ListState
from users.models import ManagedList

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer():
    user = UserFactory.create(trakt_username="sean", access_token="SECRET-ACCESS", refresh_token="SECRET-REFRESH")
    InteractionFactory.create(user=user)
    ManagedList.objects.create(
        user=user,
        key="recommended_movies",
        name="Reclio • Recommended Movies",
        state=ListState.LIMIT_REACHED,
        detail="Trakt account limit reached (list count 5)",
    )
    return user


@pytest.mark.parametrize(
    "url",
    [
        "/staff/users/user/",
        "/staff/users/user/?q=sean",
        "/staff/users/user/?lists=limit_reached",
        "/staff/users/interaction/",
        "/staff/users/interaction/?q=sean",
        "/staff/users/interaction/?kind=view",
        "/staff/users/managedlist/",
        "/staff/users/managedlist/?state=limit_reached",
        "/staff/users/pendinginteraction/",
        "/staff/users/usersyncrun/",
        "/staff/users/usersyncrun/?status=failed",
        "/staff/users/usersyncrun/?q=sean",
    ],
)
def test_changelists_render_and_never_show_tokens(admin_client, viewer, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "SECRET-" not in body and viewer.access_token_encrypted not in body


def test_user_page_shows_limit_state_but_no_tokens(admin_client, viewer):
    response = admin_client.get(f"/staff/users/user/{viewer.pk}/change/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Trakt account limit reached (list count 5)" in body
    assert "access_token" not in body and viewer.refresh_token_encrypted not in body


def test_changelist_shows_limit_reached(admin_client, viewer):
    assert "Trakt account limit reached" in admin_client.get("/staff/users/user/").content.decode()


@pytest.mark.parametrize(
    ("action", "expected"),
    [("sync_now", ("users.user_sync", False)), ("full_sync_now", ("users.user_sync", True))],
)
def test_sync_actions_enqueue_after_commit(
    admin_client, viewer, monkeypatch, action, expected, django_capture_on_commit_callbacks
):
    queued: list[tuple[str, bool]] = []
    monkeypatch.setattr("users.tasks.user_sync_task.delay", lambda user_id, full=False: queued.append((user_id, full)))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/staff/users/user/", {"action": action, "_selected_action": [str(viewer.pk)]}, follow=True
        )
    assert queued == [(str(viewer.pk), expected[1])]
    assert "for 1 user(s)" in response.content.decode()


def test_rewrite_lists_action_asks_feeds_by_task_name(
    admin_client, viewer, sent_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/staff/users/user/", {"action": "rewrite_lists_now", "_selected_action": [str(viewer.pk)]})
    assert sent_tasks == [("feeds.user_rows_refresh", {"user_id": str(viewer.pk), "last_watched": None}, "feeds")]


def test_sync_runs_are_listed_with_what_they_stored(admin_client, viewer):
    # given: one sync that stored two views, one that failed
    from django.utils import timezone

    from users.models import UserSyncRun

    now = timezone.now()
    UserSyncRun.objects.create(
        user=viewer, started_at=now, finished_at=now, status="ok", changed=True, counts={"views_added": 2}
    )
    UserSyncRun.objects.create(user=viewer, started_at=now, finished_at=now, status="failed", error="Trakt 502")

    # when
    listing = admin_client.get("/staff/users/usersyncrun/").content.decode()
    user_page = admin_client.get(f"/staff/users/user/{viewer.pk}/change/").content.decode()

    # then
    assert "views added 2" in listing and "Trakt 502" in listing
    assert "2 recent syncs" in user_page
