from __future__ import annotations

import pytest

from catalog.datasets import movielens_records, movielens_title, netflix_records, netflix_show_id
from tests.catalog.datasets_fixture import write_datasets


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Toy Story (1995)", ("Toy Story", 1995)),
        ("American President, The (1995)", ("The American President", 1995)),
        ("Misérables, Les (1995)", ("Les Misérables", 1995)),
        ("Babylon 5", ("Babylon 5", None)),
        ("Fawlty Towers (1975-1979)", ("Fawlty Towers", 1975)),
    ],
)
def test_movielens_titles_are_cleaned(raw, expected):
    assert movielens_title(raw) == expected


@pytest.mark.parametrize(("show_id", "expected"), [("s1", -1), ("s8807", -8807), ("x1", None), ("", None)])
def test_netflix_ids_are_negative_so_they_never_collide_with_tmdb(show_id, expected):
    assert netflix_show_id(show_id) == expected


def test_movielens_join_prefers_richer_sources_and_keeps_every_linked_movie(tmp_path):
    # given
    root = write_datasets(tmp_path)

    # when
    records = {
        r.details["id"]: r
        for r in movielens_records(
            movielens_dir=root / "movielens-small",
            tmdb_csv=root / "tmdb" / "tmdb-movies.csv",
            tmdb5000_csv=root / "tmdb" / "tmdb_5000_movies.csv",
        )
    }

    # then: no tmdbId → skipped; a duplicated tmdbId → once
    assert sorted(records) == [862, 9087, 77777]
    toy = records[862]
    assert toy.source == "tmdb5000+tmdb"
    assert [k["name"] for k in toy.details["keywords"]["keywords"]] == ["jealousy", "toy", "boy"]
    assert [c["name"] for c in toy.details["credits"]["cast"]] == [
        "Tom Hanks",
        "Tim Allen",
        "Don Rickles",
        "Jim Varney",
        "Wallace Shawn",
    ]
    assert toy.details["credits"]["crew"] == [{"name": "John Lasseter", "job": "Director"}]
    assert (toy.details["release_date"], toy.details["vote_count"]) == ("1995-10-30", 5415)
    president = records[9087]
    assert (president.source, president.details["release_date"]) == ("tmdb", "1995-11-17")
    assert president.details["genres"] == [
        {"id": 35, "name": "Comedy"},
        {"id": 18, "name": "Drama"},
        {"id": 10749, "name": "Romance"},
    ]
    obscure = records[77777]
    assert (obscure.source, obscure.details["title"], obscure.year) == ("movielens", "Obscure Film", 1931)
    assert obscure.details["genres"] == [{"id": 9648, "name": "Mystery"}]
    assert obscure.details["keywords"]["keywords"] == [{"id": 0, "name": "film-noir"}]


def test_netflix_reader_takes_shows_only(tmp_path):
    root = write_datasets(tmp_path)
    [show] = list(netflix_records(netflix_csv=root / "netflix-titles" / "netflix_titles.csv"))
    assert (show.media_type, show.details["id"], show.details["name"], show.year) == ("tv", -2, "Blood & Water", 2021)
    assert show.details["genres"] == [{"id": 18, "name": "Drama"}, {"id": 9648, "name": "Mystery"}]
    assert show.details["keywords"]["results"] == [{"id": 0, "name": "International TV Shows"}]
