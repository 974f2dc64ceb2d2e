"""The operator endpoints migrating operators expect: token guard, and what each answers."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from admin_tools.models import HealthSnapshot
from feeds.models import PreparedFeeds
from feeds.rows import default_feeds
from reclio.queues import ALL_QUEUES
from recsys.models import Recommendation
from tests.catalog.factories import ContentItemFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db

USER = "6f1c2a5e-8d0b-4b7e-9a43-2f8a1d3c4b5a"
ENDPOINTS = [
    ("post", f"/admin/sync/user/{USER}"),
    ("get", f"/admin/engine/preview/{USER}"),
    ("get", "/admin/health/history"),
    ("post", "/admin/health/run"),
    ("get", "/admin/eval"),
    ("get", "/admin/selftest"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_disabled_without_an_admin_token(method, path, api_client, settings):
    settings.ADMIN_TOKEN = None
    assert getattr(api_client, method)(path, HTTP_X_ADMIN_TOKEN="anything").status_code == 503


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_refused_with_a_wrong_token(method, path, api_client):
    assert getattr(api_client, method)(path, HTTP_X_ADMIN_TOKEN="wrong").status_code == 401


def test_sync_user_alias_queues_a_sync(admin_api_client, published, django_capture_on_commit_callbacks):
    # given
    user = UserFactory.create()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api_client.post(f"/admin/sync/user/{user.pk}", {"full": True}, format="json")

    # then
    assert response.status_code == 202
    assert [(name, queue) for name, _, queue in published] == [("users.user_sync", "sync")]


def test_sync_user_alias_answers_404_for_an_unknown_viewer(admin_api_client):
    assert admin_api_client.post(f"/admin/sync/user/{USER}").status_code == 404


def test_engine_preview_falls_back_to_stored_picks_without_a_model(admin_api_client):
    # given
    user = UserFactory.create()
    item = ContentItemFactory.create()
    Recommendation.objects.create(
        user_id=user.pk, media_type="movie", rank=1, item=item, score=0.9, reason="because", source="cf"
    )

    # when
    body = admin_api_client.get(f"/admin/engine/preview/{user.pk}?count=5").json()

    # then
    assert body["live"] is False
    assert body["picks"]["movie"] == [{"item_id": item.item_id, "score": 0.9, "reason": "because", "source": "cf"}]


def test_engine_preview_validates_count(admin_api_client):
    user = UserFactory.create()
    assert admin_api_client.get(f"/admin/engine/preview/{user.pk}?count=0").status_code == 400


def test_health_history_lists_the_stored_checks(admin_api_client):
    # given
    HealthSnapshot.objects.create(
        ok=False,
        checks=[{"name": "redis", "ok": False, "detail": "down", "latency_ms": 1.0, "facts": {}}],
        degraded=["redis"],
    )

    # when
    body = admin_api_client.get("/admin/health/history").json()

    # then
    assert [(s["ok"], s["degraded"]) for s in body["snapshots"]] == [(False, ["redis"])]


def test_health_run_queues_the_health_check(admin_api_client, published, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api_client.post("/admin/health/run")

    # then
    assert response.status_code == 202
    assert [(name, queue) for name, _, queue in published] == [("admin_tools.health_check", "default")]


def test_eval_without_a_table_says_so(admin_api_client, settings, tmp_path):
    settings.RECSYS_EVAL_RESULTS_DIR = tmp_path
    assert admin_api_client.get("/admin/eval").json()["rows"] == []


def test_eval_shows_the_newest_table(admin_api_client, settings, tmp_path):
    # given
    settings.RECSYS_EVAL_RESULTS_DIR = tmp_path
    (tmp_path / "results-solo.csv").write_text("model,ndcg10\nengine,0.1\n")
    (tmp_path / "results-community.csv").write_text("model,ndcg10\nengine,0.3\npopularity,0.2\n")
    old = time.time() - 3600
    os.utime(tmp_path / "results-solo.csv", (old, old))

    # when
    body = admin_api_client.get("/admin/eval").json()

    # then
    assert body["mode"] == "community"
    assert body["rows"] == [{"model": "engine", "ndcg10": "0.3"}, {"model": "popularity", "ndcg10": "0.2"}]


def test_selftest_runs_every_check(admin_api_client, monkeypatch):
    # given: eager Celery answers the pings in-process; the local broker probe is stubbed
    from admin_tools import services
    from reclio.health import ProbeResult

    monkeypatch.setattr(services, "redis_probe", lambda: ProbeResult("redis", True, "ok"))
    PreparedFeeds.objects.create(user_id=USER, feeds=default_feeds(), computed_at=dt.datetime.now(tz=dt.UTC))

    # when
    body = admin_api_client.get("/admin/selftest").json()

    # then
    names = [check["name"] for check in body["checks"]]
    assert names == [
        "database", "broker", *(f"worker:{queue}" for queue in ALL_QUEUES), "embeddings", "feeds",
    ]  # fmt: skip
    assert body["ok"] is True, body


def test_selftest_reports_a_queue_nobody_answers(admin_api_client, monkeypatch):
    # given
    from admin_tools import services
    from reclio.health import ProbeResult
    from reclio.tasks import echo_task

    class Silent:
        def get(self, timeout: float) -> dict:
            raise TimeoutError("no reply")

    monkeypatch.setattr(services, "redis_probe", lambda: ProbeResult("redis", True, "ok"))
    monkeypatch.setattr(echo_task, "apply_async", lambda **kw: Silent())

    # when
    body = admin_api_client.get("/admin/selftest").json()

    # then
    assert body["ok"] is False
    worker = next(c for c in body["checks"] if c["name"] == "worker:sync")
    assert worker["detail"] == "no worker answered within 3s"


@pytest.mark.parametrize("path", ["/admin/similar/603?media_type=movie", "/admin/similar/movie_603"])
def test_similar_accepts_a_bare_tmdb_id(path, admin_api_client):
    # given
    ContentItemFactory.create(media_type="movie", tmdb_id=603, title="The Matrix")

    # when
    response = admin_api_client.get(path)

    # then
    assert response.status_code == 200
    assert response.json()["seed"]["item_id"] == "movie_603"


def test_similar_needs_the_media_type_with_a_bare_id(admin_api_client):
    assert admin_api_client.get("/admin/similar/603").status_code == 400
