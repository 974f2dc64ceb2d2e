"""The Operations page: staff with ``reclio.operate`` only; every button queues the right task on the right queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from admin_tools.models import HealthSnapshot
from feeds.services.hits import served_titles_record
from recsys.models import EngineState
from tests.catalog.factories import ContentItemFactory
from tests.staff import staff_member
from tests.users.factories import InteractionFactory, UserFactory
from users.contracts import ListState, SyncRunStatus
from users.models import ManagedList, UserSyncRun

pytestmark = pytest.mark.django_db

URL = "/staff/operations/"


@pytest.fixture
def operator(client):
    client.force_login(staff_member("operate"))
    return client


def test_view_only_staff_are_refused(client, published):
    # given
    client.force_login(staff_member())

    # when
    page = client.get(URL)
    pressed = client.post(URL, {"action": "train"})

    # then
    assert (page.status_code, pressed.status_code) == (403, 403)
    assert published == []


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    assert client.get(URL).status_code == 302


def test_the_admin_index_links_the_page_for_operators(operator):
    assert URL in operator.get("/staff/").content.decode()


def test_the_page_renders_on_an_empty_install(operator):
    # when
    response = operator.get(URL)

    # then
    assert response.status_code == 200
    text = response.content.decode()
    assert "No health check has run yet" in text
    assert "The catalog is empty." in text
    assert "Nothing served from Reclio" in text


def test_the_page_renders_with_data(operator):
    # given
    now = timezone.now()
    HealthSnapshot.objects.create(
        ok=False,
        checks=[
            {"name": "database", "ok": True, "detail": "ok", "latency_ms": 1.0, "facts": {}},
            {"name": "workers", "ok": False, "detail": "no worker consumes: recsys", "latency_ms": 2.0,
             "facts": {"consumers": {"sync": ["w1@host"], "recsys": []}}},
            {"name": "recombee", "ok": False, "detail": "bad token", "latency_ms": 2.0, "facts": {}},
        ],
        degraded=["workers", "recombee"],
    )  # fmt: skip
    ContentItemFactory.create_batch(3)
    viewer = UserFactory.create(trakt_username="alice")
    InteractionFactory.create(user=viewer, item=ContentItemFactory.create(item_id="movie_7", tmdb_id=7))
    UserSyncRun.objects.create(user=viewer, started_at=now, finished_at=now, status=SyncRunStatus.FAILED, error="boom")
    ManagedList.objects.create(user=viewer, key="recommended_movies", name="x", state=ListState.LIMIT_REACHED)
    EngineState.objects.create(key="local_engine", value={"version": "v1", "trained_at": now.isoformat(), "users": 1})
    served_titles_record(
        user_id=str(viewer.pk),
        row_records=[{"key": "recommended_movies", "source": "trakt_list", "items": ["movie_7"]}],
        at=now - dt.timedelta(days=2),
    )

    # when
    response = operator.get(URL)

    # then
    assert response.status_code == 200
    text = response.content.decode()
    for expected in ("no worker consumes: recsys", "w1@host", "bad token", "boom", "alice", "recommended_movies"):
        assert expected in text


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("content_sync", ("catalog.content_sync", "sync")),
        ("reembed_all", ("catalog.item_embeddings_refresh", "embeddings")),
        ("train", ("recsys.engine_train", "recsys")),
        ("rescore_all", ("recsys.users_recommendations_refresh", "recsys")),
        ("sync_viewer", ("users.user_sync", "sync")),
        ("rewrite_lists", ("feeds.user_rows_refresh", "feeds")),
    ],
)
def test_every_button_queues_its_task_on_its_queue(
    action, expected, operator, published, django_capture_on_commit_callbacks, fake_provider
):
    # given
    viewer = UserFactory.create(trakt_username="bob")
    ContentItemFactory.create()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(URL, {"action": action, "viewer": "bob"}, follow=True)

    # then
    assert response.status_code == 200
    assert expected in [(name, queue) for name, _, queue in published]
    message = [str(m) for m in response.context["messages"]]
    assert message == [f"{_label(action)}: queued {len(published)} task(s) ({_queue(action)})."]
    if action == "rewrite_lists":
        assert published == [("feeds.user_rows_refresh", {"user_id": str(viewer.pk), "last_watched": None}, "feeds")]


def _label(action: str) -> str:
    from admin_tools.operations import BUTTONS

    return BUTTONS[action].label


def _queue(action: str) -> str:
    from admin_tools.operations import BUTTONS

    return BUTTONS[action].queue


def test_a_viewer_button_without_a_known_viewer_queues_nothing(operator, published, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(URL, {"action": "sync_viewer", "viewer": "nobody"}, follow=True)

    # then
    assert published == []
    assert "no viewer with that id" in response.content.decode()
