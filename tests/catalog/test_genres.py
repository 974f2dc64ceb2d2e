from __future__ import annotations

import csv
import json

import pytest

from catalog.genres import MOVIE_GENRES, RETIRED_MOVIE_GENRES, TV_GENRES, genre_name


@pytest.mark.dataset
def test_movie_genre_names_match_tmdb_data(shared_data_dir):
    # given: the TMDB 5000 dataset carries genres as TMDB returns them ({"id", "name"})
    seen: dict[int, str] = {}
    with open(shared_data_dir / "tmdb" / "tmdb_5000_movies.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for genre in json.loads(row["genres"] or "[]"):
                seen[int(genre["id"])] = genre["name"]

    # then: every genre a title can carry has our name for it, or is one TMDB has retired
    assert seen
    known = MOVIE_GENRES | RETIRED_MOVIE_GENRES
    assert {genre_id: known.get(genre_id) for genre_id in seen} == seen


@pytest.mark.parametrize(
    ("media_type", "genre_id", "name"),
    [("movie", 878, "Science Fiction"), ("tv", 10765, "Sci-Fi & Fantasy"), ("tv", 878, None), ("movie", 10759, None)],
)
def test_genre_name_is_per_media_type(media_type, genre_id, name):
    assert genre_name(media_type=media_type, genre_id=genre_id) == name


def test_shared_genres_have_the_same_name_for_movies_and_shows():
    shared = MOVIE_GENRES.keys() & TV_GENRES.keys()
    assert shared == {16, 35, 80, 99, 18, 10751, 9648, 37}
    assert all(MOVIE_GENRES[g] == TV_GENRES[g] for g in shared)
