"""The fake TMDB over real HTTP on 127.0.0.1: what benchmarks and other apps' end-to-end tests use."""

from __future__ import annotations

import pytest
import requests

from catalog.models import ContentItem
from catalog.services import content_sync_run
from sandbox.http import FakeReply
from sandbox.tmdb import FakeTmdb, FakeTmdbServer, movie_details, tv_details

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(catalog_settings, no_sleep):  # type: ignore[no-untyped-def]
    fake = FakeTmdb(api_key=catalog_settings.TMDB_API_KEY)
    fake.add_many([("movie", movie_details(603, "The Matrix")), ("tv", tv_details(1399, "Game of Thrones"))])
    with FakeTmdbServer(fake) as server:
        catalog_settings.TMDB_BASE_URL = server.base_url
        yield fake, server


def test_sync_over_real_http_with_a_429(served, no_sleep):
    # given
    fake, _ = served
    fake.script("movie/603", [FakeReply(429, {"status_code": 25}, headers={"Retry-After": "1"})])

    # when
    summary = content_sync_run()

    # then
    assert (summary.status, summary.created) == ("ok", 2)
    assert no_sleep.count(1.0) == 1
    assert sorted(ContentItem.objects.values_list("item_id", flat=True)) == ["movie_603", "tv_1399"]


def test_control_endpoints_drive_a_fake_in_another_process(served):
    # given
    fake, server = served
    control = server.base_url.rsplit("/3", 1)[0] + "/__fake/"

    # when
    requests.post(
        control + "update", json={"media_type": "movie", "id": 603, "fields": {"overview": "New."}}, timeout=5
    )
    detail = requests.get(f"{server.base_url}/movie/603", params={"api_key": fake.api_key}, timeout=5).json()
    counts = requests.get(control + "counts", timeout=5).json()
    changes = requests.get(
        f"{server.base_url}/movie/changes", params={"api_key": fake.api_key, "page": 1}, timeout=5
    ).json()

    # then
    assert detail["overview"] == "New." and "credits" not in detail  # nothing appended unless asked
    assert counts["counts"]["details"] == 1 and counts["titles"] == 2
    assert changes["results"] == [{"id": 603, "adult": False}]


def test_fake_speaks_tmdb_errors(served):
    _, server = served
    assert requests.get(f"{server.base_url}/movie/603", timeout=5).json()["status_code"] == 7
    missing = requests.get(f"{server.base_url}/movie/1", params={"api_key": "test-tmdb-key"}, timeout=5)
    assert (missing.status_code, missing.json()["status_code"]) == (404, 34)
