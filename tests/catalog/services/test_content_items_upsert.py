from __future__ import annotations

import dataclasses

import pytest
from django.utils import timezone

from catalog.models import ContentItem
from catalog.services import content_items_upsert
from catalog.tmdb import tmdb_title_parse
from sandbox.tmdb import movie_details

pytestmark = pytest.mark.django_db


def _title(**extra):
    return tmdb_title_parse(movie_details(603, "The Matrix", **extra), media_type="movie")


def test_new_row_is_created_and_flagged_for_embedding():
    result = content_items_upsert(titles=[_title()], confirmed_at=timezone.now())
    assert (result.created, result.reembed) == (["movie_603"], ["movie_603"])
    row = ContentItem.objects.get()
    assert len(row.source_hash) == 64 and row.embedding_source_hash == "" and row.recombee_synced is False


def test_unchanged_title_touches_only_the_confirmation_time():
    # given
    content_items_upsert(titles=[_title()], confirmed_at=None)
    ContentItem.objects.update(recombee_synced=True, embedding_source_hash="x")
    now = timezone.now()

    # when
    result = content_items_upsert(titles=[_title()], confirmed_at=now)

    # then
    assert (result.unchanged, result.reembed) == (["movie_603"], [])
    row = ContentItem.objects.get()
    assert (row.tmdb_confirmed_at, row.recombee_synced, row.embedding_source_hash) == (now, True, "x")


@pytest.mark.parametrize(
    ("change", "bucket", "reembed", "recombee_synced"),
    [
        ({"overview": "New overview."}, "updated", True, False),
        ({"keywords": {"keywords": [{"id": 9, "name": "robots"}]}}, "updated", True, False),
        ({"poster_path": "/new.jpg"}, "updated", False, False),  # content, not embedding text
        ({"popularity": 55.0}, "refreshed", False, True),
        ({"vote_count": 9999}, "refreshed", False, True),
    ],
)
def test_changes_are_classified(change, bucket, reembed, recombee_synced):
    # given
    content_items_upsert(titles=[_title()], confirmed_at=None)
    ContentItem.objects.update(recombee_synced=True)

    # when
    result = content_items_upsert(titles=[_title(**change)], confirmed_at=None)

    # then
    assert getattr(result, bucket) == ["movie_603"]
    assert (result.reembed == ["movie_603"]) is reembed
    assert ContentItem.objects.get().recombee_synced is recombee_synced


def test_import_never_erases_a_tmdb_confirmation():
    # given
    confirmed = timezone.now()
    content_items_upsert(titles=[_title()], confirmed_at=confirmed)

    # when
    content_items_upsert(titles=[_title(overview="Imported text.")], confirmed_at=None)

    # then
    assert ContentItem.objects.get().tmdb_confirmed_at == confirmed


def test_duplicate_ids_in_one_call_keep_the_last_and_batches_split():
    titles = [_title(), dataclasses.replace(_title(), title="The Matrix (final)")]
    titles += [tmdb_title_parse(movie_details(i, f"M{i}"), media_type="movie") for i in range(1, 6)]
    result = content_items_upsert(titles=titles, confirmed_at=None, batch_size=2)
    assert len(result.created) == 6
    assert ContentItem.objects.get(item_id="movie_603").title == "The Matrix (final)"


@pytest.mark.parametrize(
    "poison",
    [
        {"vote_count": 2**40},  # integer out of range
        {"title": "x" * 501},  # longer than the column
        {"keywords": ("nul\x00",)},  # jsonb refuses \u0000 (a record built without the TMDB parser)
        {"overview": "nul\x00"},  # text cannot hold NUL either
    ],
    ids=["out-of-range", "too-long", "nul-in-json", "nul-in-text"],
)
def test_a_row_the_database_refuses_is_returned_and_the_rest_of_its_batch_lands(poison):
    # given one refused title among good ones, in one batch
    good = [tmdb_title_parse(movie_details(tmdb_id, f"Title {tmdb_id}"), media_type="movie") for tmdb_id in (1, 2, 3)]
    bad = dataclasses.replace(tmdb_title_parse(movie_details(4, "Bad"), media_type="movie"), **poison)

    # when
    result = content_items_upsert(titles=[good[0], bad, *good[1:]], confirmed_at=timezone.now(), batch_size=10)

    # then
    assert sorted(result.created) == ["movie_1", "movie_2", "movie_3"]
    assert [item_id for item_id, _ in result.refused] == ["movie_4"]
    assert result.refused[0][1].startswith("refused by the database: DataError")
    assert sorted(ContentItem.objects.values_list("item_id", flat=True)) == ["movie_1", "movie_2", "movie_3"]
