from __future__ import annotations

import pytest

from reclio.settings.providers import RecommenderName
from recsys.backends.local import LocalBackend
from recsys.registry import BACKENDS, UnavailableBackend, get_recommender_backend


def test_local_is_the_default_and_the_instance_is_cached():
    first = get_recommender_backend()
    assert isinstance(first, LocalBackend)
    assert get_recommender_backend() is first


def test_a_backend_whose_import_fails_becomes_the_unavailable_null_object(settings, monkeypatch):
    # given
    settings.RECOMMENDER = RecommenderName.RECOMBEE
    monkeypatch.setitem(BACKENDS, "recombee", "recsys.backends.does_not_exist.Backend")
    # when
    backend = get_recommender_backend()
    # then
    assert isinstance(backend, UnavailableBackend)
    assert backend.available is False
    assert backend.recommend_for_user(user_id="u", media_type="movie", count=5) == []
    assert backend.similar_items(item_id="movie_1", count=5) == []
    assert "does_not_exist" in backend.reason


def test_changing_the_setting_builds_the_other_backend(settings, monkeypatch):
    get_recommender_backend()
    monkeypatch.setitem(BACKENDS, "recombee", "recsys.registry.UnavailableBackend")
    settings.RECOMMENDER = RecommenderName.RECOMBEE
    # UnavailableBackend needs a reason argument, so constructing it fails → still the null object
    assert get_recommender_backend().available is False


@pytest.mark.django_db
def test_local_backend_is_unavailable_until_a_model_is_trained():
    assert LocalBackend().available is False
