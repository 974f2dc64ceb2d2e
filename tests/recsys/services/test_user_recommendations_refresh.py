from __future__ import annotations

import uuid

import pytest

from recsys.models import EngineState, Recommendation
from recsys.selectors import recommendations_for_user
from recsys.services import engine_train, user_recommendations_refresh
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def _catalog():
    # Two "clusters" of movies plus two shows; vectors make the clusters visible to content similarity.
    heat = ContentItemFactory.create(item_id="movie_949", tmdb_id=949, title="Heat", embedding=[1, 0, 0])
    crime = [
        ContentItemFactory.create(tmdb_id=100 + i, title=f"Crime {i}", embedding=[1, 0.1 * i, 0]) for i in range(6)
    ]
    romance = [
        ContentItemFactory.create(tmdb_id=200 + i, title=f"Romance {i}", embedding=[0, 1, 0.1 * i]) for i in range(4)
    ]
    shows = [
        ContentItemFactory.create(media_type="tv", tmdb_id=300 + i, title=f"Show {i}", embedding=[1, 0, 0.2])
        for i in range(2)
    ]
    return heat, crime, romance, shows


def test_refresh_stores_ranked_picks_per_media_type_without_seen_titles(
    fake_users, user_id, sent_tasks, django_capture_on_commit_callbacks
):
    # given: others who watched Heat also watched the crime titles; our user (five titles: a warm
    # history) watched Heat and Crimes 0-2, and disliked Romance 0
    heat, crime, romance, shows = _catalog()
    for _ in range(3):
        other = str(uuid.uuid4())
        for item in [heat, *crime]:
            fake_users.add(other, item.item_id)
    fake_users.add(user_id, heat.item_id)
    fake_users.add(user_id, crime[0].item_id, kind="rating", value=9)
    fake_users.add(user_id, crime[1].item_id)
    fake_users.add(user_id, crime[2].item_id)
    fake_users.add(user_id, romance[0].item_id, kind="rating", value=2)  # disliked
    engine_train()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        stored = user_recommendations_refresh(user_id=user_id)
    # then
    movies = recommendations_for_user(user_id=user_id, media_type="movie")
    shows_picked = recommendations_for_user(user_id=user_id, media_type="tv")
    assert stored == len(movies) + len(shows_picked)
    assert {m.item_id for m in movies[:3]} == {c.item_id for c in crime[3:]}
    assert not {m.item_id for m in movies} & {heat.item_id, *(c.item_id for c in crime[:3]), romance[0].item_id}
    assert {s.item_id for s in shows_picked} == {s.item_id for s in shows}
    assert movies[0].source == "cf"
    assert movies[0].reason.startswith(("because you watched ", "similar to what you rated 9: Crime 0"))
    assert [r.rank for r in Recommendation.objects.filter(user_id=user_id, media_type="movie")] == list(
        range(len(movies))
    )
    assert sent_tasks == [("feeds.user_rows_refresh", {"user_id": user_id, "last_watched": None}, "feeds")]


def test_refresh_replaces_previous_picks_idempotently(fake_users, user_id, sent_tasks):
    heat, _, _, _ = _catalog()
    fake_users.add(user_id, heat.item_id)
    engine_train()
    first = user_recommendations_refresh(user_id=user_id)
    second = user_recommendations_refresh(user_id=user_id)
    assert first == second == Recommendation.objects.filter(user_id=user_id).count()


def test_single_user_instance_without_vectors_still_gets_picks(fake_users, user_id, sent_tasks):
    # given: EMBEDDING_PROVIDER=none (no vectors) and one user
    watched = ContentItemFactory.create(title="Watched")
    best = ContentItemFactory.create(title="Acclaimed", vote_average=9.0, vote_count=5000)
    ContentItemFactory.create(title="Meh", vote_average=5.0, vote_count=10)
    fake_users.add(user_id, watched.item_id)
    engine_train()
    # when
    user_recommendations_refresh(user_id=user_id)
    # then
    picks = recommendations_for_user(user_id=user_id, media_type="movie")
    assert picks[0].item_id == best.item_id
    assert watched.item_id not in {p.item_id for p in picks}
    assert picks[0].reason in ("highly rated", "popular with everyone")


def test_refresh_without_a_trained_model_keeps_rows_and_stores_nothing(fake_users, user_id, sent_tasks):
    ContentItemFactory.create()
    assert user_recommendations_refresh(user_id=user_id) == 0
    assert not Recommendation.objects.exists()
    assert sent_tasks == []


def test_engine_state_records_the_training_run(fake_users, user_id):
    heat, _, _, _ = _catalog()
    fake_users.add(user_id, heat.item_id)
    summary = engine_train()
    state = EngineState.objects.get(key="local_engine").value
    assert state["version"] == summary.version
    assert state["users"] == 1 and state["items"] == 13 and state["interactions"] == 1
    # one viewer is far too thin to tune on: the shipped defaults are kept, and the record says so
    assert state["tuning"]["status"].startswith("defaults")
    assert state["tuning"]["weights"]["w_cf"] == 1.0


def test_recommendations_for_user_with_a_malformed_id_is_empty():
    assert recommendations_for_user(user_id="not-a-uuid", media_type="movie") == []


def test_training_an_empty_instance_works_and_scores_nothing(fake_users, user_id, sent_tasks):
    # given: no catalog and no interactions yet (a brand-new install)
    # when
    summary = engine_train()
    # then
    assert (summary.users, summary.items, summary.interactions) == (0, 0, 0)
    assert user_recommendations_refresh(user_id=user_id) == 0


def test_training_on_enough_viewers_tunes_itself_and_records_the_choice(fake_users, settings):
    # given: 24 viewers, each with 6 crime titles watched in order (enough to carve a validation split)
    settings.RECSYS_TUNE_SECONDS = 60
    heat, crime, _, _ = _catalog()
    titles = [heat, *crime]
    for n in range(24):
        viewer = str(uuid.uuid4())
        for item in titles[n % 2 :][:6]:
            fake_users.add(viewer, item.item_id)
    # when
    engine_train()
    # then: the search ran on this instance's own viewers and never fell below popularity alone
    tuning = EngineState.objects.get(key="local_engine").value["tuning"]
    assert tuning["validation_users"] == 24
    assert tuning["status"].startswith(("tuned", "popularity"))
    assert tuning["validation_ndcg"] >= tuning["popularity_ndcg"]
    assert set(tuning["weights"]) >= {"w_cf", "cw_popularity", "cold_threshold"}
