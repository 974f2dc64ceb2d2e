from __future__ import annotations

import pytest

from catalog.models import ContentItem, ContentSyncRun
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/staff/catalog/contentitem/"


@pytest.fixture
def items():
    return [
        ContentItemFactory.create(
            media_type="movie",
            tmdb_id=603,
            title="The Matrix",
            embedding_model="all-MiniLM-L6-v2",
            embedding_dim=384,
            recombee_synced=True,
        ),
        ContentItemFactory.create(media_type="tv", tmdb_id=1399, title="Game of Thrones"),
        ContentItemFactory.create(media_type="tv", tmdb_id=-7, title="Netflix Show"),
    ]


def test_changelist_lists_titles_without_loading_vectors(admin_client, items, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = admin_client.get(CHANGELIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The Matrix" in body and "Game of Thrones" in body and "all-MiniLM-L6-v2" in body
    changelist = response.context["cl"]
    assert "embedding" in changelist.queryset.query.deferred_loading[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("matrix", ["movie_603"]), ("tv_1399", ["tv_1399"]), ("1399", ["tv_1399"]), ("-7", ["tv_-7"])],
)
def test_search_by_title_and_ids(admin_client, items, query, expected):
    response = admin_client.get(CHANGELIST, {"q": query})
    assert [obj.item_id for obj in response.context["cl"].result_list] == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"media_type__exact": "tv"}, ["tv_-7", "tv_1399"]),
        ({"embedding_model": "all-MiniLM-L6-v2"}, ["movie_603"]),
        ({"embedding_model": "__none__"}, ["tv_-7", "tv_1399"]),
        ({"embedding_dim": "384"}, ["movie_603"]),
        ({"recombee_synced__exact": "1"}, ["movie_603"]),
    ],
)
def test_filters(admin_client, items, params, expected):
    response = admin_client.get(CHANGELIST, params)
    assert sorted(obj.item_id for obj in response.context["cl"].result_list) == expected


def test_detail_is_read_only_and_shows_the_embedding_text(admin_client, items):
    response = admin_client.get(f"{CHANGELIST}movie_603/change/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "The Matrix\nAn overview.\nGenres: Drama\nKeywords: friendship" in body
    assert 'name="title"' not in body  # no editable inputs
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_refresh_action_enqueues_one_task_per_tmdb_title_on_commit(
    admin_client, items, monkeypatch, django_capture_on_commit_callbacks
):
    # given
    queued: list[str] = []
    monkeypatch.setattr("catalog.tasks.item_refresh_task.delay", queued.append)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {"action": "refresh_from_tmdb", "_selected_action": ["movie_603", "tv_1399", "tv_-7"]},
            follow=True,
        )

    # then
    assert sorted(queued) == ["movie_603", "tv_1399"]
    messages = [str(m) for m in response.context["messages"]]
    assert "Queued 2 title(s) for a refresh from TMDB." in messages
    assert any("1 title(s) have no TMDB id" in m for m in messages)


def test_reembed_action_reports_the_count(admin_client, items, embed_calls):
    response = admin_client.post(
        CHANGELIST, {"action": "reembed", "_selected_action": ["movie_603", "tv_1399"]}, follow=True
    )
    assert embed_calls == [["movie_603", "tv_1399"]]
    assert "Queued 2 of 2 title(s) for re-embedding." in [str(m) for m in response.context["messages"]]
    assert ContentItem.objects.get(item_id="movie_603").embedding_source_hash == ""


def test_sync_runs_changelist_and_run_now_button(admin_client, monkeypatch, django_capture_on_commit_callbacks):
    # given
    from django.utils import timezone

    ContentSyncRun.objects.create(
        mode="full", status="ok", started_at=timezone.now(), finished_at=timezone.now(), created=5
    )
    calls: list[dict] = []
    monkeypatch.setattr("catalog.tasks.content_sync_task.delay", lambda **kw: calls.append(kw))

    # when
    listing = admin_client.get("/staff/catalog/contentsyncrun/")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/staff/catalog/contentsyncrun/run/", {"full": "1"}, follow=True)

    # then
    assert listing.status_code == 200 and "Run content sync now" in listing.content.decode()
    assert calls == [{"full": True}]
    assert "Queued a full content sync on the sync queue." in [str(m) for m in response.context["messages"]]
    assert admin_client.get("/staff/catalog/contentsyncrun/run/").status_code == 405


def test_sync_runs_changelist_shows_why_a_killed_run_failed(admin_client):
    # given: a run left "running" by a killed worker, reaped
    from django.utils import timezone

    from catalog.services import content_sync_runs_reap

    ContentSyncRun.objects.create(mode="incremental", started_at=timezone.now())
    content_sync_runs_reap()

    # when
    listing = admin_client.get("/staff/catalog/contentsyncrun/")

    # then
    assert "interrupted: the process running it stopped before it finished" in listing.content.decode()
