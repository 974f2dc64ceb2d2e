from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.embedding.selectors import (
    Neighbour,
    item_neighbours,
    items_neighbours,
    neighbours_sql,
    similarity_dimension,
    similarity_dimension_forget,
    vector_neighbours,
)
from catalog.embedding.services import item_embeddings_refresh
from catalog.models import ContentItem, MediaType, TmdbStatus
from tests.catalog.embedding.conftest import FakeProvider
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db

# Pinned 4-d directions (the fake provider pads them to its size).
DIRECTIONS = {
    "Memento": [1.0, 0.0, 0.0, 0.0],
    "Mulholland Drive": [0.9, 0.3, 0.0, 0.0],
    "Inception": [0.7, 0.7, 0.0, 0.0],
    "Toy Story": [0.0, 0.0, 1.0, 0.0],
    "Finding Nemo": [0.0, 0.1, 0.9, 0.0],
    "Twin Peaks": [0.8, 0.0, 0.0, 0.6],
}


def _cos(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.fixture
def catalog(fake_provider):
    fake_provider.vectors = {title: vec + [0.0] * (fake_provider.dim - 4) for title, vec in DIRECTIONS.items()}
    items = {
        title: ContentItemFactory.create(
            title=title, media_type=MediaType.TV if title == "Twin Peaks" else MediaType.MOVIE
        )
        for title in DIRECTIONS
    }
    item_embeddings_refresh(item_ids=[i.item_id for i in items.values()])
    return items


def test_item_neighbours_ranks_by_cosine(catalog):
    # when
    neighbours = item_neighbours(item_id=catalog["Memento"].item_id, k=3)

    # then
    assert [n.item_id for n in neighbours] == [
        catalog["Mulholland Drive"].item_id,
        catalog["Twin Peaks"].item_id,
        catalog["Inception"].item_id,
    ]
    assert neighbours[0].score == pytest.approx(_cos(DIRECTIONS["Memento"], DIRECTIONS["Mulholland Drive"]), abs=1e-5)
    assert isinstance(neighbours[0], Neighbour)


def test_item_neighbours_filters_media_type_and_exclusions(catalog):
    neighbours = item_neighbours(
        item_id=catalog["Memento"].item_id, k=10, media_type="movie", exclude={catalog["Inception"].item_id}
    )

    # Toy Story and Finding Nemo are both orthogonal to Memento: equal scores tie-break on item id.
    assert [n.item_id for n in neighbours] == [
        catalog["Mulholland Drive"].item_id,
        catalog["Toy Story"].item_id,
        catalog["Finding Nemo"].item_id,
    ]


def test_gone_titles_are_never_neighbours(catalog):
    ContentItem.objects.filter(pk=catalog["Mulholland Drive"].item_id).update(tmdb_status=TmdbStatus.GONE)

    ids = [n.item_id for n in item_neighbours(item_id=catalog["Memento"].item_id, k=1)]

    assert ids == [catalog["Twin Peaks"].item_id]


@pytest.mark.parametrize("item_id", ["movie_999999", "not-an-id"])
def test_unknown_seed_has_no_neighbours(catalog, item_id):
    assert item_neighbours(item_id=item_id) == []


def test_empty_catalog_has_no_neighbours(fake_provider):
    item = ContentItemFactory.create()

    assert similarity_dimension() is None
    assert item_neighbours(item_id=item.item_id) == []
    assert items_neighbours(item_ids=[item.item_id]) == []


def test_items_neighbours_uses_the_weighted_taste_and_excludes_seeds(catalog):
    seeds = [catalog["Memento"].item_id, catalog["Toy Story"].item_id]

    balanced = items_neighbours(item_ids=seeds, k=2)
    mostly_memento = items_neighbours(item_ids=seeds, k=1, weights=[5.0, 1.0])
    only_toy_story = items_neighbours(item_ids=seeds, k=1, weights=[0.0, 1.0])

    assert not {n.item_id for n in balanced} & set(seeds)
    assert [n.item_id for n in mostly_memento] == [catalog["Mulholland Drive"].item_id]
    assert [n.item_id for n in only_toy_story] == [catalog["Finding Nemo"].item_id]
    taste = np.asarray(DIRECTIONS["Memento"]) + np.asarray(DIRECTIONS["Toy Story"])
    expected = sorted(
        (t for t in DIRECTIONS if t not in ("Memento", "Toy Story")), key=lambda t: -_cos(taste, DIRECTIONS[t])
    )[:2]
    assert [n.item_id for n in balanced] == [catalog[t].item_id for t in expected]


def test_items_neighbours_rejects_misaligned_weights(catalog):
    with pytest.raises(ValueError, match="align"):
        items_neighbours(item_ids=[catalog["Memento"].item_id], weights=[1.0, 2.0])


def test_provider_switch_re_embeds_and_similarity_keeps_working(catalog, use_provider):
    # given the catalog on model A (8-d); the operator switches to model B (6-d)
    model_b = use_provider(FakeProvider(model="fake:model-b", dim=6))
    model_b.vectors = {title: vec + [0.0] * 2 for title, vec in DIRECTIONS.items()}
    ids = {title: item.item_id for title, item in catalog.items()}

    # when two of six rows are re-embedded (the rollout is under way)
    item_embeddings_refresh(item_ids=[ids["Memento"], ids["Toy Story"]])
    similarity_dimension_forget()

    # then similarity stays on the majority (8-d) and ignores the new vectors until they are the majority
    assert similarity_dimension() == 8
    assert [n.item_id for n in item_neighbours(item_id=ids["Inception"], k=2)] == [
        ids["Mulholland Drive"],
        ids["Twin Peaks"],
    ]
    assert item_neighbours(item_id=ids["Memento"]) == []  # its 6-d vector is not comparable yet

    # when the rollout completes (unchanged rows on model B are skipped, the rest re-embedded)
    report = item_embeddings_refresh(item_ids=list(ids.values()))
    similarity_dimension_forget()

    # then
    assert (report.embedded, report.current) == (4, 2)
    assert similarity_dimension() == 6
    assert [n.item_id for n in item_neighbours(item_id=ids["Memento"], k=2)] == [
        ids["Mulholland Drive"],
        ids["Twin Peaks"],
    ]


def test_dimension_tie_prefers_the_configured_provider(catalog, use_provider):
    use_provider(FakeProvider(model="fake:model-b", dim=6))
    item_embeddings_refresh(item_ids=[i.item_id for i in list(catalog.values())[:3]])
    similarity_dimension_forget()

    assert similarity_dimension() == 6  # 3 rows of 6-d, 3 of 8-d: the rollout target wins


def test_dimension_choice_is_cached(catalog, use_provider):
    assert similarity_dimension() == 8
    ContentItem.objects.update(embedding_dim=6)

    assert similarity_dimension() == 8
    similarity_dimension_forget()
    assert similarity_dimension() == 6


def _random_catalog(provider: FakeProvider, count: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((4, provider.dim))
    provider.vectors = {
        f"T{i}": (centres[i % 4] + 0.6 * rng.standard_normal(provider.dim)).tolist() for i in range(count)
    }
    items = [
        ContentItemFactory.create(title=f"T{i}", media_type=MediaType.MOVIE if i % 2 else MediaType.TV)
        for i in range(count)
    ]
    item_embeddings_refresh(item_ids=[i.item_id for i in items])
    return {item_id: np.asarray(vector) for item_id, vector in ContentItem.objects.values_list("item_id", "embedding")}


def _plan(media_type: str | None) -> str:
    # The planner may not fall back to a sequential scan, nor (tiny table) to another index plus a
    # sort: at catalog scale the ordered HNSW scan wins on cost; with 30 rows the btree on
    # media_type can look cheaper, so both detours are priced out to make the check deterministic.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(
            "EXPLAIN " + neighbours_sql(dim=384, media_type=media_type),
            {"query": "[" + ",".join(["0.05"] * 384) + "]", "exclude": [], "limit": 5},
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def test_query_uses_the_partial_hnsw_index_of_its_media_type(use_provider):
    # given 384-d vectors (an indexed size) of both media types
    provider = use_provider(FakeProvider(model="fake:minilm", dim=384))
    vectors = _random_catalog(provider, 30)

    # when one media type is asked for: its own index (migration 0006), which holds only that type
    movie_plan = _plan("movie")
    assert "Index Scan using catalog_embedding_hnsw_384_movie" in movie_plan
    assert "catalog_embedding_hnsw_384_tv" not in movie_plan

    # when none is: both indexes, merged
    all_plan = _plan(None)
    assert "Index Scan using catalog_embedding_hnsw_384_movie" in all_plan
    assert "Index Scan using catalog_embedding_hnsw_384_tv" in all_plan
    assert len(vectors) == 30


def test_unknown_media_type_is_refused_before_it_reaches_sql():
    with pytest.raises(ValueError, match="unknown media type"):
        neighbours_sql(dim=384, media_type="movie' OR true --")


def test_all_media_types_merge_into_the_exact_top_k(use_provider):
    provider = use_provider(FakeProvider(model="fake:minilm", dim=384))
    vectors = _random_catalog(provider, 40)
    seed = sorted(vectors)[3]

    neighbours = item_neighbours(item_id=seed, k=25)  # more than the 19 others of its type

    exact = sorted(set(vectors) - {seed}, key=lambda i: -float(vectors[i] @ vectors[seed]))[:25]
    assert [n.item_id for n in neighbours] == exact
    assert {i.split("_")[0] for i in exact} == {"movie", "tv"}  # the merge is exercised


def test_the_common_query_is_one_statement(use_provider):
    # given the HNSW candidate list set for the session (production: a connection startup option)
    provider = use_provider(FakeProvider(model="fake:minilm", dim=384))
    vectors = _random_catalog(provider, 30)
    seed = sorted(vectors)[0]
    vector_neighbours(query=vectors[seed], dim=384, k=5, media_type="tv", exclude=[seed])  # caches the version

    # when
    with CaptureQueriesContext(connection) as queries:
        found = vector_neighbours(query=vectors[seed], dim=384, k=5, media_type="tv", exclude=[seed])

    # then no SET, no savepoint: the one SELECT
    assert len(found) == 5
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["WITH"]


def test_long_exclusion_lists_widen_the_candidate_list_for_that_query(use_provider, settings):
    # given a session candidate list of 8 and a query for 5 that excludes 6 titles
    settings.EMBEDDING_HNSW_EF_SEARCH = 8
    provider = use_provider(FakeProvider(model="fake:minilm", dim=384))
    vectors = _random_catalog(provider, 30)
    seed, *seen = sorted(vectors)[:7]
    vector_neighbours(query=vectors[seed], dim=384, k=5, media_type=None, exclude=[seed])

    with CaptureQueriesContext(connection) as queries:
        vector_neighbours(query=vectors[seed], dim=384, k=5, media_type=None, exclude=[seed, *seen])

    # then that query's transaction asks for k + exclusions candidates
    assert any("SET LOCAL hnsw.ef_search = 12" in q["sql"] for q in queries.captured_queries)


def test_filtered_search_still_returns_k_exact_neighbours(use_provider):
    # given an HNSW scan whose candidate list runs short of k (pgvector < 0.8 stops at ef_search)
    provider = use_provider(FakeProvider(model="fake:minilm", dim=384))
    vectors = _random_catalog(provider, 60)
    seed = next(iter(sorted(vectors)))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL hnsw.ef_search = 1")  # the session's list, as the startup option sets it

    # when
    neighbours = item_neighbours(item_id=seed, k=10, media_type="tv")

    # then exactly the 10 nearest TV titles, as numpy computes them
    tv = {i for i in ContentItem.objects.filter(media_type="tv").values_list("item_id", flat=True)} - {seed}
    exact = sorted(tv, key=lambda i: -float(vectors[i] @ vectors[seed]))[:10]
    assert [n.item_id for n in neighbours] == exact
    assert neighbours[0].score == pytest.approx(float(vectors[exact[0]] @ vectors[seed]), abs=1e-5)
