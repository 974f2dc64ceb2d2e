"""import_catalog on hostile files: every bad line is skipped and reported, nothing ends in a traceback (issue 13)."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from catalog.models import ContentItem
from catalog.services import catalog_datasets_import, catalog_tmdb_jsonl_import
from sandbox.tmdb import movie_details
from tests.catalog.datasets_fixture import write_datasets

pytestmark = pytest.mark.django_db

GOOD = json.dumps(movie_details(603, "The Matrix"))


def _line(**fields) -> str:
    return json.dumps({**movie_details(604, "The Matrix Reloaded"), **fields})


# PostgreSQL text cannot hold NUL; it never means anything in a title, so the parser drops it.
NUL_LINES = {
    "nul-in-title": _line(id=604, title="Evil\x00Title"),
    "nul-in-overview": _line(id=604, overview="a\x00b"),
    "nul-in-keyword": _line(id=604, keywords={"keywords": [{"id": 1, "name": "x\x00"}]}),
}

BAD_LINES = {
    "oversized-id": _line(id=10**12),
    "oversized-negative-id": _line(id=-(10**12)),
    "oversized-genre-id": _line(genres=[{"id": 2**40, "name": "Action"}]),
    "oversized-vote-count": _line(vote_count=10**30),
    "inf-popularity": _line().replace('"popularity": 10.0', '"popularity": 1e400'),
    "infinity-literal": _line().replace('"popularity": 10.0', '"popularity": Infinity'),
    "nan-vote-average": _line().replace('"vote_average": 7.0', '"vote_average": NaN'),
    "minus-infinity": _line().replace('"vote_average": 7.0', '"vote_average": -Infinity'),
}


@pytest.mark.parametrize("bad", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_hostile_jsonl_line_is_skipped_and_reported(tmp_path, bad):
    # given
    path = tmp_path / "titles.jsonl"
    path.write_text(GOOD + "\n" + bad + "\n", encoding="utf-8")

    # when
    summary = catalog_tmdb_jsonl_import(path=path)

    # then: the good title is in, the bad one is reported by line number
    assert list(ContentItem.objects.values_list("item_id", flat=True)) == ["movie_603"]
    assert (summary.read, summary.skipped) == (2, 1)
    assert summary.errors[0].startswith("line 2: ")


@pytest.mark.parametrize("line", NUL_LINES.values(), ids=NUL_LINES.keys())
def test_nul_bytes_are_dropped_and_the_title_lands(tmp_path, line):
    path = tmp_path / "titles.jsonl"
    path.write_text(GOOD + "\n" + line + "\n", encoding="utf-8")

    summary = catalog_tmdb_jsonl_import(path=path)

    assert sorted(ContentItem.objects.values_list("item_id", flat=True)) == ["movie_603", "movie_604"]
    assert (summary.read, summary.skipped) == (2, 0)
    stored = ContentItem.objects.get(item_id="movie_604")
    assert "\x00" not in stored.title + stored.overview + str(stored.keywords)


def test_the_sample_lines_really_carry_what_they_claim():
    # The JSON encoder writes inf/nan as Infinity/NaN: make sure the fixtures are hostile.
    assert "Infinity" in BAD_LINES["infinity-literal"] and "NaN" in BAD_LINES["nan-vote-average"]
    assert "1e400" in BAD_LINES["inf-popularity"] and "Infinity" in BAD_LINES["minus-infinity"]


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\x00\x00binary\x00\x01\x02" * 100,  # not UTF-8 at all
        GOOD.encode() + b"\n\xc3\x28 not utf-8\n",  # one undecodable line after a good one
        b"\x00" * 4096,
        b"PK\x03\x04" + bytes(range(256)) * 8,  # a zip file by mistake
    ],
    ids=["binary", "one-undecodable-line", "all-nul", "zip"],
)
def test_binary_content_gets_a_clear_answer(tmp_path, capsys, content):
    # given
    path = tmp_path / "titles.jsonl"
    path.write_bytes(content)

    # when
    call_command("import_catalog", str(path), "--no-progress")

    # then: a summary, every unreadable line reported
    output = capsys.readouterr()
    assert "skipped" in output.out
    assert ContentItem.objects.filter(item_id="movie_603").count() == (1 if content.startswith(GOOD.encode()) else 0)


def test_a_directory_given_as_the_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="not a file"):
        call_command("import_catalog", str(tmp_path), "--no-progress")


@pytest.mark.parametrize(
    ("name", "mutate"),
    [
        ("netflix-titles/netflix_titles.csv", lambda text: text.replace("Blood & Water", "Blood\x00Water")),
        ("tmdb/tmdb-movies.csv", lambda text: text.replace(",2.5,", ",inf,")),
        ("tmdb/tmdb-movies.csv", lambda text: text.replace(",7.7,", ",nan,")),
        ("movielens-small/links.csv", lambda text: text.replace(",862\r\n", ",99999999999999\r\n", 1)),
        ("movielens-small/movies.csv", lambda text: text.replace("Toy Story (1995)", "Toy\x00Story (1995)")),
        ("tmdb/tmdb_5000_movies.csv", lambda text: text.replace(",21.9,", ",1e999,")),
    ],
    ids=["netflix-nul", "tmdb-inf", "tmdb-nan", "links-oversized-id", "movielens-nul", "tmdb5000-inf"],
)
def test_hostile_dataset_files_import_the_rest(tmp_path, name, mutate):
    # given
    root = write_datasets(tmp_path)
    target = root / name
    target.write_bytes(mutate(target.read_bytes().decode()).encode())

    # when
    summary = catalog_datasets_import(
        movielens_dir=root / "movielens-small",
        tmdb_csv=root / "tmdb" / "tmdb-movies.csv",
        tmdb5000_csv=root / "tmdb" / "tmdb_5000_movies.csv",
        netflix_csv=root / "netflix-titles" / "netflix_titles.csv",
    )

    # then: no exception; nothing stored carries the hostile value
    assert summary.created >= 2
    for item in ContentItem.objects.all():
        assert "\x00" not in item.title + item.overview + item.original_title
        assert abs(item.popularity) < 1e300 and abs(item.vote_average) <= 10
        assert -(2**31) <= item.tmdb_id < 2**31


@pytest.mark.parametrize(
    "content", [b"\x00\x01\x02" * 1000, b"movieId,title,genres\r\n1,\xff\xfe,x\r\n"], ids=["binary", "bad-utf8"]
)
def test_binary_dataset_files_get_a_clear_answer(tmp_path, content):
    root = write_datasets(tmp_path)
    (root / "movielens-small" / "movies.csv").write_bytes(content)

    with pytest.raises(CommandError):
        call_command("import_catalog", "--datasets", str(root), "--no-progress")
