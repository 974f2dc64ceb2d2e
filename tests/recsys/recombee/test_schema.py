from __future__ import annotations

import pytest

from catalog.models import MediaType
from recsys.models import EngineState
from recsys.recombee.client import RecombeeCallError, recombee_api_build
from recsys.recombee.schema import ITEM_PROPERTIES, SCHEMA_STATE_KEY, item_values, recombee_schema_ensure
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db

EXPECTED_TYPES = {
    "title": "string",
    "overview": "string",
    "genres": "set",
    "year": "int",
    "vote_average": "double",
    "popularity": "double",
    "media_type": "string",
    "cast": "set",
    "director": "string",
}


def test_schema_creates_every_property_in_one_batch(fake, remote):
    # when
    report = recombee_schema_ensure(api=recombee_api_build())

    # then
    assert remote.properties == EXPECTED_TYPES
    assert set(report.created) == set(EXPECTED_TYPES)
    assert report.existing == ()
    assert [call.path for call in fake.calls if not call.in_batch] == ["/batch/"]
    assert EngineState.objects.filter(key=SCHEMA_STATE_KEY).exists()


def test_schema_is_idempotent_existing_properties_answer_409(fake, remote):
    # given: half the schema exists already (another instance, or an earlier partial run)
    remote.properties.update({"title": "string", "year": "int"})

    # when
    report = recombee_schema_ensure(api=recombee_api_build())

    # then
    assert set(report.existing) == {"title", "year"}
    assert set(report.created) == set(EXPECTED_TYPES) - {"title", "year"}
    assert remote.properties == EXPECTED_TYPES


def test_schema_is_remembered_and_forced_run_treats_409_as_done(fake, remote):
    # given
    api = recombee_api_build()
    recombee_schema_ensure(api=api)
    calls_after_first = len(fake.calls)

    # when
    remembered = recombee_schema_ensure(api=api)
    forced = recombee_schema_ensure(api=api, force=True)

    # then
    assert remembered.skipped is True
    assert forced.created == ()
    assert set(forced.existing) == set(EXPECTED_TYPES)
    assert [call.status for call in fake.calls[calls_after_first:] if call.in_batch] == [409] * len(ITEM_PROPERTIES)


def test_schema_refusal_raises_and_is_not_remembered(fake, remote):
    # given
    remote.sub_request_codes["genres"] = 400

    # when
    with pytest.raises(RecombeeCallError) as excinfo:
        recombee_schema_ensure(api=recombee_api_build())

    # then
    assert "genres (set): HTTP 400" in str(excinfo.value)
    assert excinfo.value.permanent is True
    assert not EngineState.objects.filter(key=SCHEMA_STATE_KEY).exists()


def test_item_values_map_a_catalog_row():
    # given
    item = ContentItemFactory.build(
        media_type=MediaType.TV,
        tmdb_id=1399,
        item_id="tv_1399",
        title="Game of Thrones",
        overview="",
        genres=[{"id": 18, "name": "Drama"}, {"id": 10765, "name": "Sci-Fi & Fantasy"}],
        year=2011,
        vote_average=8.4,
        popularity=300,
        cast=["A", "B", "C", "D", "E", "F", "G"],
        director="",
    )

    # when
    values = item_values(item)

    # then
    assert values == {
        "title": "Game of Thrones",
        "overview": None,
        "genres": ["Drama", "Sci-Fi & Fantasy"],
        "year": 2011,
        "vote_average": 8.4,
        "popularity": 300.0,
        "media_type": "tv",
        "cast": ["A", "B", "C", "D", "E"],
        "director": None,
    }
