from __future__ import annotations

import pytest

from catalog.embedding.services import item_embeddings_refresh
from catalog.models import MediaType
from tests.catalog.embedding.conftest import FakeProvider, _fresh_embedding_state  # noqa: F401
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(use_provider):
    provider = use_provider(FakeProvider(dim=4))
    provider.vectors = {
        "Memento": [1.0, 0.0, 0.0, 0.0],
        "Mulholland Drive": [0.9, 0.3, 0.0, 0.0],
        "Twin Peaks": [0.8, 0.0, 0.6, 0.0],
        "Toy Story": [0.0, 0.0, 0.0, 1.0],
    }
    items = {
        title: ContentItemFactory.create(title=title, year=year, media_type=media_type)
        for title, year, media_type in [
            ("Memento", 2000, MediaType.MOVIE),
            ("Mulholland Drive", 2001, MediaType.MOVIE),
            ("Twin Peaks", 1990, MediaType.TV),
            ("Toy Story", 1995, MediaType.MOVIE),
        ]
    }
    item_embeddings_refresh(item_ids=[i.item_id for i in items.values()])
    return items


def test_similar_items_lists_seed_and_neighbours_with_scores(admin_api_client, catalog):
    # when
    response = admin_api_client.get(f"/admin/similar/{catalog['Memento'].item_id}?k=2")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["seed"] == {
        "item_id": catalog["Memento"].item_id,
        "title": "Memento",
        "year": 2000,
        "media_type": "movie",
    }
    assert (body["embedding_model"], body["dimension"]) == ("fake:model-a", 4)
    assert [(n["title"], n["year"], n["media_type"]) for n in body["neighbours"]] == [
        ("Mulholland Drive", 2001, "movie"),
        ("Twin Peaks", 1990, "tv"),
    ]
    assert body["neighbours"][0]["score"] == pytest.approx(0.9 / (0.81 + 0.09) ** 0.5, abs=1e-4)


def test_similar_items_filters_media_type(admin_api_client, catalog):
    response = admin_api_client.get(f"/admin/similar/{catalog['Memento'].item_id}?k=12&media_type=movie")

    assert [n["title"] for n in response.json()["neighbours"]] == ["Mulholland Drive", "Toy Story"]


def test_unknown_item_is_404(admin_api_client, catalog):
    response = admin_api_client.get("/admin/similar/movie_424242")

    assert (response.status_code, response.json()["detail"]) == (404, "no catalog item 'movie_424242'")


@pytest.mark.parametrize("query", ["k=0", "k=101", "k=abc", "media_type=anime"])
def test_bad_parameters_are_400(admin_api_client, catalog, query):
    response = admin_api_client.get(f"/admin/similar/{catalog['Memento'].item_id}?{query}")

    assert response.status_code == 400


def test_admin_token_is_required(api_client, catalog):
    response = api_client.get(f"/admin/similar/{catalog['Memento'].item_id}")

    assert response.status_code in (401, 403)
