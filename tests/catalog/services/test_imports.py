from __future__ import annotations

import json

import pytest

from catalog.models import ContentItem
from catalog.services import catalog_datasets_import, catalog_tmdb_jsonl_import
from tests.catalog.datasets_fixture import write_datasets
from sandbox.tmdb import movie_details, tv_details

pytestmark = pytest.mark.django_db


def test_jsonl_import_upserts_good_lines_and_reports_bad_ones(tmp_path, embed_calls):
    # given
    path = tmp_path / "titles.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(movie_details(603, "The Matrix")),
                json.dumps(tv_details(1399, "Game of Thrones")),
                "{not json",
                json.dumps({"id": 5, "title": 7}),
                "",
            ]
        )
    )

    # when
    summary = catalog_tmdb_jsonl_import(path=path)

    # then
    assert (summary.read, summary.created, summary.skipped) == (4, 2, 2)
    assert [e.split(":")[0] for e in summary.errors] == ["line 3", "line 4"]
    assert sorted(ContentItem.objects.values_list("item_id", flat=True)) == ["movie_603", "tv_1399"]
    assert ContentItem.objects.get(item_id="movie_603").tmdb_confirmed_at is None
    assert embed_calls == [["movie_603", "tv_1399"]]


def test_datasets_import_builds_movies_and_shows_and_is_idempotent(tmp_path):
    # given
    root = write_datasets(tmp_path)
    kwargs = {
        "movielens_dir": root / "movielens-small",
        "tmdb_csv": root / "tmdb" / "tmdb-movies.csv",
        "tmdb5000_csv": root / "tmdb" / "tmdb_5000_movies.csv",
        "netflix_csv": root / "netflix-titles" / "netflix_titles.csv",
    }

    # when
    first = catalog_datasets_import(**kwargs)
    second = catalog_datasets_import(**kwargs)

    # then
    assert (first.created, first.skipped) == (4, 0)
    assert first.by_source == {"tmdb5000+tmdb": 1, "tmdb": 1, "movielens": 1, "netflix": 1}
    assert (second.created, second.updated, second.unchanged) == (0, 0, 4)
    toy = ContentItem.objects.get(item_id="movie_862")
    assert (toy.title, toy.year, toy.director, toy.vote_count) == ("Toy Story", 1995, "John Lasseter", 5415)
    assert toy.genre_ids == [16, 35, 10751] and toy.keywords == ["jealousy", "toy", "boy"]
    show = ContentItem.objects.get(item_id="tv_-2")
    assert (show.tmdb_id, show.year, show.cast) == (-2, 2021, ["Ama Qamata", "Khosi Ngema"])
    assert ContentItem.objects.get(item_id="movie_77777").year == 1931
