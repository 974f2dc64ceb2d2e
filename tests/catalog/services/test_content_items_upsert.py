from __future__ import annotations

import dataclasses

import pytest
from django.utils import timezone

from catalog.models import ContentItem
from catalog.services import content_items_upsert
from catalog.tmdb import tmdb_title_parse
from sandbox.tmdb import movie_details

pytestmark = pytest.mark.django_db


def _title(**extra):  # type: ignore[no-untyped-def]
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
