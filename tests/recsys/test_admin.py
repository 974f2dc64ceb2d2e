from __future__ import annotations

import pytest

from recsys import tasks
from recsys.models import EngineState
from tests.recsys.factories import RecommendationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["", "?q=Title", "?media_type__exact=movie&source__exact=cf"])
def test_recommendation_changelist_and_search(admin_client, query):
    pick = RecommendationFactory.create()
    response = admin_client.get(f"/staff/recsys/recommendation/{query}")
    assert response.status_code == 200
    assert pick.reason in response.content.decode()


def test_recommendation_search_by_user_uuid(admin_client):
    pick = RecommendationFactory.create()
    RecommendationFactory.create()
    response = admin_client.get(f"/staff/recsys/recommendation/?q={pick.user_id}")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_rescore_action_queues_each_user_once(admin_client, monkeypatch, django_capture_on_commit_callbacks):
    picks = [RecommendationFactory.create(), RecommendationFactory.create()]
    RecommendationFactory.create(user_id=picks[0].user_id)
    queued = []
    monkeypatch.setattr(
        tasks.users_recommendations_refresh_task, "apply_async", lambda kwargs, **options: queued.append(kwargs)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/staff/recsys/recommendation/",
            {"action": "rescore_users", "_selected_action": [p.pk for p in picks]},
            follow=True,
        )
    assert response.status_code == 200
    assert sorted(queued[0]["user_ids"]) == sorted(str(p.user_id) for p in picks)
    assert "Queued rescoring for 2 user(s)." in response.content.decode()


def test_engine_state_changelist_and_train_action(admin_client, monkeypatch, django_capture_on_commit_callbacks):
    state = EngineState.objects.create(key="local_engine", value={"version": "v1"})
    queued = []
    monkeypatch.setattr(tasks.engine_train_task, "delay", lambda: queued.append(True))
    assert admin_client.get("/staff/recsys/enginestate/?q=local").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/staff/recsys/enginestate/", {"action": "train_now", "_selected_action": [state.pk]})
    assert queued == [True]
