from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.db import OperationalError, ProgrammingError
from django.test import Client

from feeds import rows
from feeds.models import PreparedFeeds
from feeds.selectors import feed_document_for_user
from tests.feeds.conftest import DEFAULT_IDS, USER_ID, assert_feeds_document
from tests.feeds.factories import PreparedFeedsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def prepared(world) -> PreparedFeeds:
    return PreparedFeedsFactory.create(user_id=uuid.UUID(USER_ID), trakt_username="viewer", last_hint="movie:157336")


def get_feeds(client: Client, **params: str):
    response = client.get("/feeds", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return assert_feeds_document(response.json())


def test_no_parameters_give_the_default_rows(client):
    feeds = get_feeds(client)

    assert [feed["id"] for feed in feeds] == DEFAULT_IDS


def test_prepared_rows_are_served_with_one_query_and_the_hit_is_recorded(
    client, prepared, world, sent_tasks, django_assert_num_queries
):
    # when
    with django_assert_num_queries(1):
        feeds = get_feeds(client, user_id=USER_ID, session_id="abc")

    # then
    assert feeds == prepared.feeds
    assert world.hits == [USER_ID]
    assert sent_tasks == []


def test_username_fallback_is_off_by_default(client, prepared, world, sent_tasks, django_capture_on_commit_callbacks):
    # when: a stranger who knows the (public) Trakt username asks with an anchor
    with django_capture_on_commit_callbacks(execute=True):
        feeds = get_feeds(client, username="Viewer", last_watched="movie:27205")

    # then: the generic rows, and nothing is queued or counted
    assert [feed["id"] for feed in feeds] == DEFAULT_IDS
    assert sent_tasks == []
    assert world.hits == []


def test_username_fallback_when_on_only_reads(
    client, prepared, world, sent_tasks, settings, django_capture_on_commit_callbacks
):
    # given
    settings.FEEDS_USERNAME_FALLBACK = True

    # when: a new anchor that would queue a refresh for the user_id
    with django_capture_on_commit_callbacks(execute=True):
        feeds = get_feeds(client, username="Viewer", last_watched="movie:27205")

    # then: the viewer's rows, but no refresh, no anchor, no hit
    assert feeds == prepared.feeds
    assert sent_tasks == []
    assert world.hits == []
    assert PreparedFeeds.objects.get(user_id=USER_ID).last_hint == "movie:157336"


def test_username_fallback_when_on_serves_defaults_for_an_unknown_username(client, prepared, sent_tasks, settings):
    settings.FEEDS_USERNAME_FALLBACK = True

    feeds = get_feeds(client, username="nobody", last_watched="movie:27205")

    assert [feed["id"] for feed in feeds] == DEFAULT_IDS
    assert sent_tasks == []


def test_user_id_wins_over_username(client, prepared, world):
    # given
    other = PreparedFeedsFactory.create(trakt_username="someone", feeds=rows.default_feeds())

    # when
    feeds = get_feeds(client, user_id=USER_ID, username="someone")

    # then
    assert feeds == prepared.feeds != other.feeds


def test_a_connected_viewer_without_rows_gets_the_default_rows_and_one_refresh_is_queued(
    client, world, sent_tasks, django_capture_on_commit_callbacks
):
    # given: connected (the fake users app knows USER_ID), no prepared rows yet
    # when
    with django_capture_on_commit_callbacks(execute=True):
        feeds = get_feeds(client, user_id=USER_ID)
        get_feeds(client, user_id=USER_ID)

    # then
    assert [feed["id"] for feed in feeds] == DEFAULT_IDS
    assert sent_tasks == [("feeds.user_rows_refresh", {"user_id": USER_ID, "last_watched": None}, "feeds")]
    assert world.hits == []


def test_an_unknown_user_id_costs_nothing(client, world, sent_tasks, django_capture_on_commit_callbacks):
    # given
    stranger = str(uuid.uuid4())

    # when
    with django_capture_on_commit_callbacks(execute=True):
        feeds = get_feeds(client, user_id=stranger)
        get_feeds(client, user_id=stranger, last_watched="movie:27205")

    # then
    assert [feed["id"] for feed in feeds] == DEFAULT_IDS
    assert sent_tasks == []
    assert world.hits == []


def test_a_viewer_who_is_no_longer_connected_queues_nothing(
    client, prepared, world, sent_tasks, django_capture_on_commit_callbacks
):
    # given: rows remain, the viewer was disconnected
    world.users.clear()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        feeds = get_feeds(client, user_id=USER_ID, last_watched="movie:27205")

    # then
    assert feeds == prepared.feeds
    assert sent_tasks == []


def test_anchor_refreshes_are_rate_limited_per_viewer(
    client, prepared, world, sent_tasks, settings, django_capture_on_commit_callbacks
):
    # given
    settings.FEEDS_VIEWER_REFRESHES_PER_HOUR = 3
    other = str(uuid.uuid4())
    world.users.add(other)
    PreparedFeedsFactory.create(user_id=uuid.UUID(other), trakt_username="other")

    # when: one viewer cycles through five anchors, each a new deduplication key
    with django_capture_on_commit_callbacks(execute=True):
        for tmdb_id in range(1, 6):
            get_feeds(client, user_id=USER_ID, last_watched=f"movie:{tmdb_id}")
        get_feeds(client, user_id=other, last_watched="movie:1")

    # then: three for the first viewer; the other viewer has a budget of their own
    assert [kwargs for _, kwargs, _ in sent_tasks] == [
        {"user_id": USER_ID, "last_watched": "movie:1"},
        {"user_id": USER_ID, "last_watched": "movie:2"},
        {"user_id": USER_ID, "last_watched": "movie:3"},
        {"user_id": other, "last_watched": "movie:1"},
    ]


def test_the_viewer_budget_comes_back_after_an_hour(
    client, prepared, sent_tasks, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # given: a moving clock for the cache (locmem expiry reads time.time(), as Redis' TTL runs on its own clock)
    import time
    import types

    now = [time.time()]
    monkeypatch.setattr("django.core.cache.backends.locmem.time", types.SimpleNamespace(time=lambda: now[0]))
    settings.FEEDS_VIEWER_REFRESHES_PER_HOUR = 1

    # when
    with django_capture_on_commit_callbacks(execute=True):
        get_feeds(client, user_id=USER_ID, last_watched="movie:1")
        get_feeds(client, user_id=USER_ID, last_watched="movie:2")
        now[0] += 3601
        get_feeds(client, user_id=USER_ID, last_watched="movie:3")

    # then
    assert [kwargs["last_watched"] for _, kwargs, _ in sent_tasks] == ["movie:1", "movie:3"]


def test_a_new_last_watched_enqueues_one_refresh_for_a_burst_and_serves_the_previous_rows(
    client, prepared, sent_tasks, django_capture_on_commit_callbacks
):
    # when: Chillio calls three times with a new anchor
    with django_capture_on_commit_callbacks(execute=True):
        responses = [get_feeds(client, user_id=USER_ID, last_watched="movie:27205") for _ in range(3)]

    # then
    assert responses == [prepared.feeds] * 3
    assert sent_tasks == [("feeds.user_rows_refresh", {"user_id": USER_ID, "last_watched": "movie:27205"}, "feeds")]


@pytest.mark.parametrize(
    "hint", ["movie:157336", "movie:", "film:1", "movie:abc", "show:-1", "movie:0", "movie:1" * 20]
)
def test_a_known_or_invalid_last_watched_enqueues_nothing(
    client, prepared, sent_tasks, hint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        feeds = get_feeds(client, user_id=USER_ID, last_watched=hint)

    assert feeds == prepared.feeds
    assert sent_tasks == []


def test_refresh_task_runs_with_the_hint(client, prepared, world, monkeypatch, django_capture_on_commit_callbacks):
    # given: a broker that runs what is sent by name inline (send_task ignores eager mode)
    import feeds.tasks  # noqa: F401 - registers the task, as a worker's autodiscovery does
    from reclio.celery import app

    monkeypatch.setattr(app, "send_task", lambda name, kwargs, **_: app.tasks[name].apply(kwargs=kwargs, throw=True))
    world.add_titles("movie_27205", title="Inception", genre=878)
    world.last_watched = {"movie": "movie_27205"}

    # when
    with django_capture_on_commit_callbacks(execute=True):
        get_feeds(client, user_id=USER_ID, last_watched="show:1399")

    # then
    refreshed = PreparedFeeds.objects.get(user_id=USER_ID)
    assert refreshed.last_hint == "show:1399"
    # The anchor is what this test is about; the id's suffix says list or TMDB query (feeds.rows).
    assert refreshed.feeds[2]["id"].startswith("because_watched_movie_tmdb_27205")


def test_redis_down_still_serves_and_skips_the_refresh(client, prepared, sent_tasks):
    with mock.patch("reclio.events.cache.add", side_effect=ConnectionError("redis down")):
        feeds = get_feeds(client, user_id=USER_ID, last_watched="movie:27205")

    assert feeds == prepared.feeds
    assert sent_tasks == []


def test_a_broker_that_refuses_the_task_does_not_fail_the_request(
    client, prepared, monkeypatch, django_capture_on_commit_callbacks
):
    from reclio.celery import app

    monkeypatch.setattr(app, "send_task", mock.Mock(side_effect=OSError("broker down")))
    with django_capture_on_commit_callbacks(execute=True):
        feeds = get_feeds(client, user_id=USER_ID, last_watched="movie:27205")

    assert feeds == prepared.feeds


def test_a_failing_hit_recorder_does_not_fail_the_request(client, prepared):
    with mock.patch("users.services.user_feed_hit_record", side_effect=RuntimeError("boom")):
        feeds = get_feeds(client, user_id=USER_ID)

    assert feeds == prepared.feeds


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("could not connect to server: Connection refused"),
        ProgrammingError('relation "feeds_preparedfeeds" does not exist'),
    ],
)
def test_database_unavailable_or_tables_missing_still_answers_200_with_default_rows(client, prepared, error):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=error):
        feeds = get_feeds(client, user_id=USER_ID)

    assert [feed["id"] for feed in feeds] == DEFAULT_IDS


def test_no_database_connection_at_all_still_answers_200(client, prepared):
    from django.db import connection

    with mock.patch.object(connection, "ensure_connection", side_effect=OperationalError("server closed")):
        with mock.patch.object(connection, "connection", None):
            feeds = get_feeds(client, user_id=USER_ID)

    assert [feed["id"] for feed in feeds] == DEFAULT_IDS


def test_a_corrupt_stored_row_is_replaced_by_that_positions_fallback(client, prepared):
    # given
    broken = list(prepared.feeds)
    broken[3] = {"id": "x", "source": "trakt_list"}
    broken[5] = "not a feed"
    PreparedFeeds.objects.filter(user_id=USER_ID).update(feeds=broken[:9])  # and the last row is missing

    # when
    feeds = get_feeds(client, user_id=USER_ID)

    # then
    assert [feed["id"] for feed in feeds] == [
        *[f["id"] for f in prepared.feeds[:3]],
        DEFAULT_IDS[3],
        prepared.feeds[4]["id"],
        DEFAULT_IDS[5],
        *[f["id"] for f in prepared.feeds[6:9]],
        DEFAULT_IDS[9],
    ]


@pytest.mark.parametrize("stored", [42, {}, "feeds", [], [None] * 10])
def test_a_corrupt_stored_document_serves_defaults(client, prepared, stored):
    PreparedFeeds.objects.filter(user_id=USER_ID).update(feeds=stored)

    feeds = get_feeds(client, user_id=USER_ID)

    assert [feed["id"] for feed in feeds] == DEFAULT_IDS


FUZZ = [
    "",
    " ",
    "null",
    "undefined",
    "6f1c2a5e-8d0b-4b7e-9a43-2f8a1d3c4b5a' OR 1=1 --",
    "6f1c2a5e8d0b4b7e9a432f8a1d3c4b5a",  # a UUID without dashes is still a UUID
    "{6f1c2a5e-8d0b-4b7e-9a43-2f8a1d3c4b5a}",
    "\x00\x01\x02",
    "%00",
    "☃" * 50,
    "a" * 100_000,
    "9" * 5000,
    "movie:" + "9" * 5000,
    "show:1399\nmovie:1",
    "../../etc/passwd",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("value", FUZZ)
@pytest.mark.parametrize("name", ["user_id", "username", "session_id", "last_watched"])
def test_malformed_or_oversized_parameters_are_ignored(client, prepared, sent_tasks, name, value):
    # when
    response = client.get("/feeds", {"user_id": USER_ID, name: value} if name != "user_id" else {name: value})

    # then
    assert response.status_code == 200
    assert_feeds_document(response.json())


def test_repeated_and_excessive_parameters_are_ignored(client, prepared, settings):
    # given: more fields than Django accepts (SuspiciousOperation inside request.GET)
    query = "&".join(f"x{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10))

    # when
    response = client.get(f"/feeds?user_id={USER_ID}&user_id=other&{query}")

    # then
    assert response.status_code == 200
    assert_feeds_document(response.json())


def test_a_bug_in_the_selector_is_caught_by_the_view(client, prepared):
    with mock.patch("feeds.apis.feed_body", side_effect=TypeError("bug")):
        feeds = get_feeds(client, user_id=USER_ID)

    assert [feed["id"] for feed in feeds] == DEFAULT_IDS


def test_a_crash_outside_the_view_is_caught_by_the_middleware(client, prepared):
    with mock.patch("feeds.apis.FeedsApi.get", side_effect=RuntimeError("crash")):
        feeds = get_feeds(client, user_id=USER_ID)

    assert [feed["id"] for feed in feeds] == DEFAULT_IDS


def test_even_a_broken_fallback_builder_answers_a_valid_document(client, prepared):
    with (
        mock.patch("feeds.apis.FeedsApi.get", side_effect=RuntimeError("crash")),
        mock.patch("feeds.selectors.feed_default_document", side_effect=RuntimeError("worse")),
    ):
        response = client.get("/feeds", {"user_id": USER_ID})

    assert response.status_code == 200
    assert_feeds_document(response.json())


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_on_feeds_still_get_a_document(client, method):
    response = getattr(client, method)("/feeds")

    assert response.status_code == 200
    assert_feeds_document(response.json())


def test_trailing_slash_is_served_too(client):
    response = client.get("/feeds/")

    assert response.status_code == 200
    assert_feeds_document(response.json())


@pytest.mark.parametrize("user_id", [None, "", "nope", 12, uuid.UUID(USER_ID)])
def test_selector_never_raises(prepared, user_id):
    document = feed_document_for_user(user_id=user_id, last_watched=None)

    assert_feeds_document(document)


def test_no_user_costs_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        get_feeds(client, session_id="abc", last_watched="movie:1")


def test_seeded_random_fuzz_of_every_parameter(client, prepared, sent_tasks):
    # given: a fixed seed, so a failure is reproducible
    import random

    rng = random.Random(20261122)
    alphabet = [chr(c) for c in range(1, 0x250)] + [
        "☃",
        "\U0001d518",
        "\u202e",
        "%",
        "&",
        "=",
        "?",
        "#",
        ":",
        "movie:",
        "show:",
    ]
    names = ["user_id", "username", "session_id", "last_watched", "page", "user_id[]"]

    for _ in range(150):
        params = {
            rng.choice(names): "".join(
                rng.choice(alphabet) for _ in range(rng.choice([0, 1, 8, 36, 64, 65, 300, 3000]))
            )
            for _ in range(rng.randint(1, 4))
        }
        if rng.random() < 0.5:
            params.setdefault("user_id", USER_ID)

        # when
        response = client.get("/feeds", params)

        # then
        assert response.status_code == 200, params
        assert_feeds_document(response.json())


def test_username_fallback_prefers_the_newest_rows(client, world, settings):
    # given: the same Trakt account connected twice
    from datetime import timedelta

    from django.utils import timezone

    PreparedFeedsFactory.create(trakt_username="twice", computed_at=timezone.now() - timedelta(days=3))
    newest_feeds = [
        rows.trakt_feed(feed_id="recommended_movies", title="R", media_type="movie", list_id=555),
        *rows.default_feeds()[1:],
    ]
    PreparedFeedsFactory.create(trakt_username="twice", feeds=newest_feeds)

    settings.FEEDS_USERNAME_FALLBACK = True

    # when
    feeds = get_feeds(client, username="twice")

    # then
    assert feeds == newest_feeds
