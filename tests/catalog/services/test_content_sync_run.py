from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from catalog.models import ContentItem, ContentSyncRun, TmdbStatus
from catalog.services import content_sync_run
from catalog.services.sync import LIST_PAGE_ROUNDS, SYNC_LOCK, content_sync_runs_reap
from catalog.tmdb import LIST_PATHS
from reclio.locks import lock_acquire, lock_owner, lock_release
from sandbox.http import FakeReply
from sandbox.tmdb import movie_details
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db

ALL_IDS = ["movie_13", "movie_550", "movie_603", "tv_1396", "tv_1399"]


def _first_sync(tmdb, capture):
    with capture(execute=True):
        summary = content_sync_run()
    tmdb.reset_counts()
    return summary


def test_full_sync_from_empty_catalog_creates_every_listed_title(
    tmdb, embed_calls, sent_tasks, django_capture_on_commit_callbacks
):
    # given an empty catalog
    # when
    with django_capture_on_commit_callbacks(execute=True):
        summary = content_sync_run()

    # then
    assert (summary.mode, summary.status) == ("full", "ok")
    assert (summary.created, summary.fetched, summary.failed, summary.candidates) == (5, 5, 0, 5)
    assert sorted(ContentItem.objects.values_list("item_id", flat=True)) == ALL_IDS
    matrix = ContentItem.objects.get(item_id="movie_603")
    assert (matrix.title, matrix.year, matrix.director, matrix.cast) == ("The Matrix", 1999, "Director D", ["Actor A"])
    assert matrix.genres == [{"id": 18, "name": "Drama"}] and matrix.genre_ids == [18]
    assert matrix.keywords == ["friendship"] and matrix.tmdb_confirmed_at is not None
    assert ContentItem.objects.get(item_id="tv_1399").director == "Creator C"
    assert tmdb.counts["details"] == 5
    assert embed_calls == [ALL_IDS]
    assert sent_tasks == [("recsys.catalog_changed", {"item_ids": sent_tasks[0][1]["item_ids"]}, "recsys")]
    assert sorted(sent_tasks[0][1]["item_ids"]) == ALL_IDS
    run = ContentSyncRun.objects.get()
    assert (run.status, run.created, run.fetched, run.requests) == ("ok", 5, 5, summary.requests)
    assert run.finished_at is not None


def test_second_run_with_nothing_changed_makes_no_detail_calls(tmdb, embed_calls, django_capture_on_commit_callbacks):
    # given
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    embed_calls.clear()

    # when
    summary = content_sync_run()

    # then
    assert (summary.mode, summary.status, summary.fetched, summary.created, summary.updated) == (
        "incremental",
        "ok",
        0,
        0,
        0,
    )
    assert tmdb.counts["details"] == 0
    assert tmdb.counts["changes"] == 2  # /movie/changes and /tv/changes
    assert embed_calls == []


def test_incremental_sync_fetches_only_changed_titles(
    tmdb, embed_calls, sent_tasks, django_capture_on_commit_callbacks
):
    # given
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    embed_calls.clear()
    sent_tasks.clear()
    ContentItem.objects.update(recombee_synced=True)
    tmdb.update("movie", 550, overview="A brand new overview.")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        summary = content_sync_run()

    # then
    assert (summary.mode, summary.fetched, summary.updated, summary.unchanged) == ("incremental", 1, 1, 0)
    assert dict(tmdb.detail_ids) == {"movie/550": 1}
    row = ContentItem.objects.get(item_id="movie_550")
    assert row.overview == "A brand new overview." and row.recombee_synced is False
    assert embed_calls == [["movie_550"]]
    assert sent_tasks == [("recsys.catalog_changed", {"item_ids": ["movie_550"]}, "recsys")]


def test_changed_stats_refresh_existing_row_without_reembed(tmdb, embed_calls, django_capture_on_commit_callbacks):
    # given a synced row the recommender already has
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    embed_calls.clear()
    ContentItem.objects.update(recombee_synced=True)
    before = ContentItem.objects.get(item_id="movie_13").source_hash
    tmdb.update("movie", 13, popularity=99.5, vote_count=4321)

    # when
    summary = content_sync_run()

    # then
    row = ContentItem.objects.get(item_id="movie_13")
    assert (row.popularity, row.vote_count, row.source_hash) == (99.5, 4321, before)
    assert row.recombee_synced is True
    assert (summary.refreshed, summary.updated, summary.fetched) == (1, 0, 1)
    assert embed_calls == []


def test_list_pages_refresh_stats_without_detail_calls(tmdb, django_capture_on_commit_callbacks):
    # given popularity moved on TMDB without an edit in /changes (as it does daily)
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    tmdb.titles[("tv", 1396)]["popularity"] = 123.0
    tmdb._sorted.clear()

    # when
    summary = content_sync_run()

    # then
    assert ContentItem.objects.get(item_id="tv_1396").popularity == 123.0
    assert (summary.refreshed, summary.fetched, tmdb.counts["details"]) == (1, 0, 0)


def test_new_title_on_a_list_is_fetched_on_an_incremental_run(tmdb, django_capture_on_commit_callbacks):
    # given
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    tmdb.add("movie", movie_details(27205, "Inception", popularity=95.0))

    # when
    summary = content_sync_run()

    # then
    assert (summary.created, summary.fetched) == (1, 1)
    assert dict(tmdb.detail_ids) == {"movie/27205": 1}


def test_changed_overview_flags_reembed_but_unchanged_hash_does_not(
    tmdb, embed_calls, django_capture_on_commit_callbacks
):
    # given
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    embed_calls.clear()
    tmdb.update("movie", 603, overview="Neo wakes up.")
    tmdb.update("movie", 550, vote_average=9.9)

    # when
    summary = content_sync_run()

    # then
    assert embed_calls == [["movie_603"]]
    assert (summary.updated, summary.refreshed, summary.reembed_queued) == (1, 1, 1)
    matrix = ContentItem.objects.get(item_id="movie_603")
    assert matrix.source_hash != "" and matrix.source_hash != matrix.embedding_source_hash


def test_429_with_retry_after_then_success(tmdb, no_sleep):
    # given
    tmdb.script("movie/603", [FakeReply(429, {"status_code": 25}, headers={"Retry-After": "2"})])

    # when
    summary = content_sync_run()

    # then
    assert (summary.status, summary.created, summary.failed) == ("ok", 5, 0)
    assert 2.0 in no_sleep
    assert tmdb.detail_ids["movie/603"] == 2


def test_500_then_success(tmdb, no_sleep):
    # given
    tmdb.script("tv/1399", [FakeReply(500, {"status_code": 11})])

    # when
    summary = content_sync_run()

    # then
    assert (summary.status, summary.created, summary.failed) == ("ok", 5, 0)
    assert ContentItem.objects.filter(item_id="tv_1399").exists()
    assert len(no_sleep) == 1


def test_404_title_is_marked_gone_not_deleted(tmdb, sent_tasks, django_capture_on_commit_callbacks):
    # given
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    sent_tasks.clear()
    tmdb.remove("movie", 13)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        summary = content_sync_run()

    # then
    assert (summary.gone, summary.failed, summary.status) == (1, 0, "ok")
    assert ContentItem.objects.get(item_id="movie_13").tmdb_status == TmdbStatus.GONE
    assert sent_tasks == [("recsys.catalog_changed", {"item_ids": ["movie_13"]}, "recsys")]


def test_malformed_json_for_one_title_fails_it_and_the_rest_land(tmdb):
    # given
    tmdb.script("movie/550", [FakeReply(200, '{"id": 550, "title": "Fight')])

    # when
    summary = content_sync_run()

    # then
    assert (summary.status, summary.created, summary.failed) == ("partial", 4, 1)
    assert summary.failures[0]["key"] == "movie_550" and "not JSON" in summary.failures[0]["error"]
    assert not ContentItem.objects.filter(item_id="movie_550").exists()
    assert ContentSyncRun.objects.get().failures == list(summary.failures)


@pytest.mark.parametrize(
    "body",
    [
        {"id": 550, "title": 42},
        {"id": 550, "title": "Fight Club", "genres": [{"id": "x", "name": "Drama"}]},
        {"id": 550, "title": "Fight Club", "release_date": "someday"},
        {"id": 551, "title": "Fight Club"},
    ],
    ids=["title-not-string", "genre-id-not-int", "bad-date", "wrong-id"],
)
def test_wrongly_shaped_title_is_reported_and_skipped(tmdb, body):
    # given
    tmdb.script("movie/550", [FakeReply(200, body)])

    # when
    summary = content_sync_run()

    # then
    assert (summary.created, summary.failed) == (4, 1)
    assert "malformed TMDB response" in summary.failures[0]["error"]
    assert not ContentItem.objects.filter(tmdb_id__in=[550, 551]).exists()


def test_timeouts_fail_that_title_after_retries_and_the_rest_land(tmdb, no_sleep):
    # given a title that times out on every attempt (HTTP_MAX_RETRIES=2 in tests → 3 attempts)
    tmdb.script("tv/1396", [FakeReply(timeout=True)] * 3)

    # when
    summary = content_sync_run()

    # then
    assert (summary.status, summary.created, summary.failed) == ("partial", 4, 1)
    assert "Timeout after 3 attempts" in summary.failures[0]["error"]
    assert not ContentItem.objects.filter(item_id="tv_1396").exists()


def test_rejected_credentials_fail_the_run(tmdb):
    # given
    tmdb.api_key = "another-key"

    # when
    summary = content_sync_run()

    # then
    assert summary.status == "failed"
    assert ContentItem.objects.count() == 0
    assert ContentSyncRun.objects.get().status == "failed"


def test_missing_credentials_fail_the_run_with_a_clear_detail(catalog_settings):
    # given
    catalog_settings.TMDB_API_KEY = None
    catalog_settings.TMDB_READ_ACCESS_TOKEN = None

    # when
    summary = content_sync_run()

    # then
    assert summary.status == "failed" and "TMDB credentials are not set" in summary.detail


def test_a_second_sync_while_one_runs_is_skipped(tmdb):
    # given
    lock_acquire(SYNC_LOCK, owner="someone-else", ttl_seconds=60)

    # when
    summary = content_sync_run()

    # then
    assert summary.status == "skipped"
    assert tmdb.counts["total"] == 0
    assert ContentSyncRun.objects.get().status == "skipped"
    lock_release(SYNC_LOCK, owner="someone-else")


def test_lock_is_released_after_a_run(tmdb):
    content_sync_run()
    assert lock_owner(SYNC_LOCK) is None


def test_a_redelivered_sync_takes_its_lock_over_and_reaps_its_killed_run(tmdb):
    # given: the first delivery of task "sync-1" was killed mid-run: its run row reads "running"
    # and its lock (owner = task id) is still held
    killed = ContentSyncRun.objects.create(mode="full", started_at=timezone.now() - dt.timedelta(minutes=5))
    lock_acquire(SYNC_LOCK, owner="sync-1", ttl_seconds=3600)

    # when: the broker delivers the same task again
    summary = content_sync_run(owner="sync-1")

    # then: it ran (not "skipped"), and the killed run is marked failed with the reason
    assert summary.status == "ok"
    killed.refresh_from_db()
    assert killed.status == "failed" and killed.detail.startswith("interrupted:") and killed.finished_at
    assert lock_owner(SYNC_LOCK) is None


def test_the_periodic_reaper_marks_a_run_dead_when_nobody_holds_the_lock():
    # given: a run left "running" and no content sync holding the lock
    dead = ContentSyncRun.objects.create(mode="incremental", started_at=timezone.now() - dt.timedelta(minutes=1))
    # when
    reaped = content_sync_runs_reap()
    # then
    dead.refresh_from_db()
    assert reaped == 1 and dead.status == "failed" and "no content sync holds the lock" in dead.detail


def test_the_periodic_reaper_leaves_a_live_run_alone_until_it_passes_the_hard_limit(settings):
    # given: a run in flight that holds the lock
    live = ContentSyncRun.objects.create(mode="incremental", started_at=timezone.now() - dt.timedelta(minutes=1))
    lock_acquire(SYNC_LOCK, owner="sync-2", ttl_seconds=3600)
    try:
        # when / then: still running after a reap
        assert content_sync_runs_reap() == 0
        live.refresh_from_db()
        assert live.status == "running"
        # a run older than the hard limit cannot be alive, lock or not
        ContentSyncRun.objects.filter(pk=live.pk).update(
            started_at=timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
        )
        assert content_sync_runs_reap() == 1
    finally:
        lock_release(SYNC_LOCK, owner="sync-2")


def test_discover_follows_the_genres_viewers_asked_for(tmdb):
    # given a requested title in genre 878
    ContentItemFactory.create(media_type="movie", tmdb_id=603, genre_ids=[878], requested_at=timezone.now())

    # when
    content_sync_run()

    # then
    discover = [call.request.url for call in tmdb.rsps.calls if "/discover/movie" in call.request.url]
    assert len(discover) == 1 and "with_genres=878" in discover[0] and "vote_count.gte=50" in discover[0]


def test_full_sync_refetches_rows_not_on_any_list(tmdb):
    # given a held row TMDB knows but no list shows
    tmdb.add("movie", movie_details(78, "Blade Runner", vote_count=5, release_date="1982-06-25"))
    tmdb._sorted["movie/popular"] = [d for (m, i), d in tmdb.titles.items() if m == "movie" and i != 78]
    ContentItemFactory.create(media_type="movie", tmdb_id=78, title="old title")

    # when
    content_sync_run(full=True)

    # then
    assert ContentItem.objects.get(item_id="movie_78").title == "Blade Runner"


def test_incremental_sync_refreshes_a_batch_of_never_confirmed_rows(
    tmdb, django_capture_on_commit_callbacks, catalog_settings
):
    # given an offline-imported row (never confirmed by TMDB) after a first sync
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    tmdb.add("movie", movie_details(78, "Blade Runner", vote_count=5))
    tmdb._sorted["movie/popular"] = [d for (m, i), d in tmdb.titles.items() if m == "movie" and i != 78]
    ContentItemFactory.create(media_type="movie", tmdb_id=78, title="Blade Runner (import)", tmdb_confirmed_at=None)
    ContentItemFactory.create(media_type="tv", tmdb_id=-5, title="Netflix-only show", tmdb_confirmed_at=None)

    # when
    summary = content_sync_run()

    # then only the real TMDB id is asked for
    assert dict(tmdb.detail_ids) == {"movie/78": 1}
    assert summary.updated == 1
    assert ContentItem.objects.get(item_id="movie_78").tmdb_confirmed_at is not None


def test_changes_window_starts_at_the_last_good_run(tmdb, django_capture_on_commit_callbacks):
    # given a last good run 20 days ago → two windows of ≤ 14 days
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    ContentSyncRun.objects.update(started_at=timezone.now() - dt.timedelta(days=20))

    # when
    content_sync_run()

    # then
    changes = [call.request.url for call in tmdb.rsps.calls if "/movie/changes" in call.request.url]
    assert len(changes) == 2
    assert "start_date=" + (timezone.now() - dt.timedelta(days=20)).date().isoformat() in changes[0]


def test_a_429_storm_on_every_list_page_is_waited_out_and_the_sync_lands(tmdb, no_sleep):
    # given every list page answers 429 (Retry-After: 7) on all of its in-request attempts
    storm = [FakeReply(429, {"status_code": 25}, headers={"Retry-After": "7"})] * 3
    for path in (path for paths in LIST_PATHS.values() for path in paths):
        tmdb.script(path, storm)

    # when
    summary = content_sync_run()

    # then the pages are asked again after the storm's Retry-After and the run is not lost
    assert (summary.status, summary.created, summary.failed) == ("ok", 5, 0)
    assert no_sleep.count(7.0) > 3 * len(LIST_PATHS["movie"])  # the in-request waits and the round's


def test_a_list_page_that_never_recovers_is_reported_after_its_rounds(tmdb, no_sleep):
    # given one list page answers 503 to every attempt of every round
    tmdb.script("tv/top_rated", [FakeReply(503, {"status_code": 9})] * 3 * LIST_PAGE_ROUNDS)

    # when
    summary = content_sync_run()

    # then the rest lands and the page is reported once
    assert (summary.status, summary.created, summary.failed) == ("partial", 5, 1)
    assert [f["key"] for f in summary.failures] == ["list:tv/top_rated?page=1"]


def test_a_failing_changes_call_fails_the_run_instead_of_losing_changes(
    tmdb, no_sleep, django_capture_on_commit_callbacks
):
    # given
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    tmdb.script("movie/changes", [FakeReply(500, {"status_code": 11})] * 3)

    # when
    summary = content_sync_run()

    # then the next run starts from the last good one again
    assert summary.status == "failed"
    assert ContentSyncRun.objects.filter(status="ok").count() == 1


def test_titles_that_failed_are_retried_by_the_next_incremental_run(tmdb, no_sleep, django_capture_on_commit_callbacks):
    # given a first sync, then an edit whose fetch times out on every attempt
    _first_sync(tmdb, django_capture_on_commit_callbacks)
    tmdb.update("movie", 550, overview="Edited once.")
    tmdb.script("movie/550", [FakeReply(timeout=True)] * 3)
    failed_run = content_sync_run()
    tmdb.reset_counts()
    tmdb.changes.clear()  # the next /changes window no longer lists it

    # when
    summary = content_sync_run()

    # then
    assert (failed_run.status, failed_run.failed) == ("partial", 1)
    assert failed_run.run_id is not None
    assert ContentSyncRun.objects.get(pk=failed_run.run_id).retry_keys == [["movie", 550]]
    assert (summary.status, summary.updated) == ("ok", 1)
    assert dict(tmdb.detail_ids) == {"movie/550": 1}
    assert ContentItem.objects.get(item_id="movie_550").overview == "Edited once."


def test_a_title_the_database_refuses_is_skipped_and_reported_and_the_rest_land(
    tmdb, django_capture_on_commit_callbacks, monkeypatch
):
    # given one title whose vote count no integer column holds, served in the same upsert batch as
    # four good ones; the parser's range check is widened so the row reaches the database, which
    # stands for any refusal the parser cannot foresee
    monkeypatch.setattr("catalog.tmdb.INT_MAX", 2**62)
    tmdb.add("movie", movie_details(550, "Fight Club", vote_count=2**40))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        summary = content_sync_run()

    # then the run is partial, not failed: the four others landed and the refused one is reported
    assert (summary.status, summary.created, summary.failed) == ("partial", 4, 1)
    assert summary.failures[0]["key"] == "movie_550"
    assert "refused by the database" in summary.failures[0]["error"]
    assert "out of range" in summary.failures[0]["error"]
    assert sorted(ContentItem.objects.values_list("item_id", flat=True)) == [i for i in ALL_IDS if i != "movie_550"]
    run = ContentSyncRun.objects.get()
    assert (run.status, run.failed, run.retry_keys) == ("partial", 1, [["movie", 550]])
    assert run.failures == list(summary.failures)


def test_the_next_run_advances_past_a_refused_title_and_fetches_it_again(
    tmdb, django_capture_on_commit_callbacks, monkeypatch
):
    # given a first run in which the database refused one title (see the test above)
    monkeypatch.setattr("catalog.tmdb.INT_MAX", 2**62)
    tmdb.add("movie", movie_details(550, "Fight Club", vote_count=2**40))
    with django_capture_on_commit_callbacks(execute=True):
        first = content_sync_run()
    tmdb.reset_counts()
    # and TMDB has corrected it since
    tmdb.add("movie", movie_details(550, "Fight Club", vote_count=1000))

    # when the next (incremental) run goes
    with django_capture_on_commit_callbacks(execute=True):
        second = content_sync_run()

    # then the first run counts as the last good one (the cursor advanced), and only the refused
    # title is fetched again, and lands
    assert (first.status, second.mode, second.status, second.created) == ("partial", "incremental", "ok", 1)
    assert dict(tmdb.detail_ids) == {"movie/550": 1}
    assert ContentItem.objects.get(item_id="movie_550").vote_count == 1000


def test_nul_bytes_from_tmdb_are_dropped_and_the_title_lands(tmdb):
    # given TMDB strings holding NUL, which PostgreSQL text and jsonb cannot store
    tmdb.add(
        "movie",
        movie_details(
            550,
            "Fight\x00 Club",
            overview="An insomniac\x00 office worker.",
            keywords={"keywords": [{"id": 1, "name": "soap\x00"}]},
        ),
    )

    # when
    summary = content_sync_run()

    # then
    assert (summary.status, summary.created, summary.failed) == ("ok", 5, 0)
    item = ContentItem.objects.get(item_id="movie_550")
    assert (item.title, item.overview, item.keywords) == ("Fight Club", "An insomniac office worker.", ["soap"])


def test_a_title_with_absurd_numbers_is_reported_and_its_page_still_counts(tmdb, django_capture_on_commit_callbacks):
    # given one title whose vote count is out of any integer range, on the same list page as the others
    tmdb.add("movie", movie_details(550, "Fight Club", vote_count=2**40))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        summary = content_sync_run()

    # then only that title fails (its details are malformed); the page's other titles land
    assert (summary.status, summary.created, summary.failed) == ("partial", 4, 1)
    assert summary.failures[0]["key"] == "movie_550"
    assert "out of range" in summary.failures[0]["error"]
