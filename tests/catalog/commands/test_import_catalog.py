from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from catalog.models import ContentItem
from tests.catalog.datasets_fixture import write_datasets
from sandbox.tmdb import movie_details

pytestmark = pytest.mark.django_db


def test_import_catalog_reads_tmdb_json_lines(tmp_path, capsys):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(movie_details(603, "The Matrix")) + "\n")
    call_command("import_catalog", str(path), "--no-progress")
    assert ContentItem.objects.get().title == "The Matrix"
    assert "imported 1 of 1 titles" in capsys.readouterr().out


def test_import_catalog_datasets_option_finds_the_standard_layout(tmp_path):
    call_command("import_catalog", "--datasets", str(write_datasets(tmp_path)), "--no-progress")
    assert ContentItem.objects.count() == 4


@pytest.mark.parametrize("args", [[], ["/nonexistent.jsonl"], ["--movielens", "/nonexistent"]])
def test_import_catalog_rejects_missing_input(args):
    with pytest.raises(CommandError):
        call_command("import_catalog", *args, "--no-progress")


@pytest.mark.dataset
@pytest.mark.slow
def test_import_catalog_builds_the_real_catalog(shared_data_dir, admin_client):
    # when (the time target is measured by bench/catalog_import.py, not here)
    call_command("import_catalog", "--datasets", str(shared_data_dir), "--no-progress")

    # then
    movies = ContentItem.objects.filter(media_type="movie")
    assert movies.exclude(overview="").exclude(keywords=[]).count() >= 6000
    assert movies.count() >= 9700 and ContentItem.objects.filter(media_type="tv").count() == 2676
    response = admin_client.get("/staff/catalog/contentitem/", {"q": "Matrix"})
    assert response.status_code == 200 and "The Matrix" in response.content.decode()
