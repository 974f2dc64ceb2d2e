from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from reclio.http import UpstreamError
from users.contracts import InteractionKind
from users.models import Interaction, PendingInteraction, User, UserSyncRun
from users.services import user_sync_failed_record, user_sync_run

pytestmark = pytest.mark.django_db


def _iso(days_ago: float) -> str:
    return (timezone.now() - dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _views(user: User) -> list[tuple[str, int | None]]:
    return sorted(Interaction.objects.filter(user=user, kind=InteractionKind.VIEW).values_list("item_id", "value"))


def test_first_sync_reads_every_page_of_history_and_maps_episodes_to_their_show(
    trakt_user, trakt_account, fake_trakt, catalog_ensure, sent_tasks, django_capture_on_commit_callbacks
):
    # given 600 movie plays (3 pages of 250) and 3 episodes of one show, two marked at the same moment
    for n in range(600):
        trakt_account.watch_movie(1 + n, _iso(2 + n / 100))
    trakt_account.watch_episode(1399, _iso(1), season=1, number=1)
    trakt_account.watch_episode(1399, _iso(1), season=1, number=2)
    trakt_account.watch_episode(1399, _iso(0.5), season=1, number=3)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        summary = user_sync_run(user_id=trakt_user.pk)
    # then
    assert summary.views_added == 602
    assert summary.full is True
    assert len(fake_trakt.calls("GET", "/sync/history/movies")) == 3
    assert [c.query["limit"] for c in fake_trakt.calls("GET", "/sync/history/movies")] == [["250"]] * 3
    show_views = list(
        Interaction.objects.filter(user=trakt_user, item_id="tv_1399").order_by("value").values_list("value", flat=True)
    )
    assert show_views == [1, 2]  # two episodes at one moment collapse into one view of the show
    assert Interaction.objects.filter(user=trakt_user, kind=InteractionKind.VIEW).count() == 602
    assert sent_tasks == [("recsys.user_interactions_changed", {"user_id": str(trakt_user.pk)}, "recsys")]
    trakt_user.refresh_from_db()
    assert trakt_user.last_history_sync is not None
    assert trakt_user.last_activities["movies"]["watched_at"] == trakt_account.activities["movies"]["watched_at"]
    # 1 last_activities + 3 + 1 history pages + 2 ratings + 2 watchlist
    assert summary.requests == 9


def test_no_change_poll_makes_exactly_one_request(trakt_user, trakt_account, fake_trakt, catalog_ensure, sent_tasks):
    # given a synced user
    trakt_account.watch_movie(603, _iso(3))
    user_sync_run(user_id=trakt_user.pk)
    fake_trakt.reset_log()
    # when nothing changed on Trakt
    summary = user_sync_run(user_id=trakt_user.pk)
    # then
    assert [(r.method, r.path) for r in fake_trakt.requests] == [("GET", "/sync/last_activities")]
    assert summary.requests == 1
    assert summary.changed is False
    assert summary.areas == ()


def test_incremental_history_asks_from_the_last_sync_with_overlap(
    trakt_user, trakt_account, fake_trakt, catalog_ensure, sent_tasks, django_capture_on_commit_callbacks
):
    # given a synced user who then watched one more movie
    trakt_account.watch_movie(603, _iso(3))
    user_sync_run(user_id=trakt_user.pk)
    last_sync = User.objects.get(pk=trakt_user.pk).last_history_sync
    assert last_sync is not None
    trakt_account.watch_movie(604, _iso(0))
    fake_trakt.reset_log()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        summary = user_sync_run(user_id=trakt_user.pk)
    # then only history was fetched, from 24 h before the last sync
    assert summary.areas == ("history",)
    assert summary.views_added == 1
    start = fake_trakt.calls("GET", "/sync/history/movies")[0].query["start_at"][0]
    assert dt.datetime.fromisoformat(start) == (last_sync - dt.timedelta(hours=24)).replace(
        microsecond=last_sync.microsecond
    )
    assert [p for p in ("/sync/ratings", "/sync/watchlist") if fake_trakt.calls("GET", p)] == []
    assert _views(trakt_user) == [("movie_603", 1), ("movie_604", 1)]
    assert len(sent_tasks) == 1


def test_removed_rating_and_watchlist_entry_are_removed_here_too(trakt_user, trakt_account, catalog_ensure, sent_tasks):
    # given a rating, a changed rating and a watchlist entry that were synced
    trakt_account.rate("movie", 603, 9, _iso(5))
    trakt_account.rate("show", 1399, 7, _iso(5))
    trakt_account.watchlist_add("movie", 27205, _iso(4))
    user_sync_run(user_id=trakt_user.pk)
    # when the viewer removes one rating, changes the other and empties the watchlist on Trakt
    trakt_account.unrate("movie", 603)
    trakt_account.rate("show", 1399, 4, _iso(1))
    trakt_account.watchlist_remove("movie", 27205)
    summary = user_sync_run(user_id=trakt_user.pk)
    # then
    assert (summary.ratings_removed, summary.ratings_updated, summary.watchlist_removed) == (1, 1, 1)
    assert list(
        Interaction.objects.filter(user=trakt_user, kind=InteractionKind.RATING).values_list("item_id", "value")
    ) == [("tv_1399", 4)]
    assert not Interaction.objects.filter(user=trakt_user, kind=InteractionKind.WATCHLIST).exists()


def test_full_sync_reconciles_plays_removed_on_trakt(trakt_user, trakt_account, catalog_ensure, sent_tasks):
    # given two synced plays, one then removed from Trakt history
    trakt_account.watch_movie(603, _iso(3))
    trakt_account.watch_movie(604, _iso(2))
    user_sync_run(user_id=trakt_user.pk)
    trakt_account.unwatch(604)
    # when
    summary = user_sync_run(user_id=trakt_user.pk, full=True)
    # then
    assert summary.views_removed == 1
    assert _views(trakt_user) == [("movie_603", 1)]


def test_resync_never_duplicates(trakt_user, trakt_account, catalog_ensure, sent_tasks):
    trakt_account.watch_movie(603, _iso(3))
    trakt_account.rate("movie", 603, 8, _iso(3))
    user_sync_run(user_id=trakt_user.pk)
    summary = user_sync_run(user_id=trakt_user.pk, full=True)
    assert summary.changed is False
    assert Interaction.objects.filter(user=trakt_user).count() == 2


def test_titles_the_catalog_cannot_fetch_wait_as_pending_and_are_promoted_later(
    trakt_user, trakt_account, catalog_ensure, sent_tasks
):
    # given TMDB cannot fetch one of two titles right now, and one play has no TMDB id at all
    trakt_account.watch_movie(603, _iso(3))
    trakt_account.watch_movie(777, _iso(2))
    trakt_account.watch_movie(None, _iso(1))
    trakt_account.rate("movie", 777, 6, _iso(2))
    catalog_ensure.unavailable = {("movie", 777)}
    # when
    first = user_sync_run(user_id=trakt_user.pk)
    # then nothing points at a missing catalog row and nothing is lost
    assert (first.views_added, first.pending, first.unmapped) == (1, 2, 1)
    assert sorted(PendingInteraction.objects.values_list("kind", "tmdb_id")) == [("rating", 777), ("view", 777)]
    assert catalog_ensure.calls[0] == [("movie", 603), ("movie", 777)]
    # when TMDB recovers: the next (no-change) sync promotes them
    catalog_ensure.unavailable = set()
    second = user_sync_run(user_id=trakt_user.pk)
    assert second.promoted == 2
    assert not PendingInteraction.objects.exists()
    assert sorted(Interaction.objects.filter(user=trakt_user).values_list("item_id", "kind")) == [
        ("movie_603", "view"),
        ("movie_777", "rating"),
        ("movie_777", "view"),
    ]


def test_catalog_service_failure_keeps_history_pending(trakt_user, trakt_account, catalog_ensure, sent_tasks):
    trakt_account.watch_movie(603, _iso(3))
    catalog_ensure.raises = RuntimeError("TMDB down")
    summary = user_sync_run(user_id=trakt_user.pk)
    assert (summary.views_added, summary.pending) == (0, 1)
    assert PendingInteraction.objects.get().tmdb_id == 603


def test_5xx_then_success_is_retried_transparently(
    trakt_user, trakt_account, fake_trakt, catalog_ensure, sent_tasks, waits
):
    trakt_account.watch_movie(603, _iso(3))
    fake_trakt.fail("GET", "/sync/history/movies", 502, times=1)
    summary = user_sync_run(user_id=trakt_user.pk)
    assert summary.views_added == 1
    assert len(waits) == 1  # one backoff, then success


def test_429_waits_retry_after_then_continues(trakt_user, trakt_account, fake_trakt, catalog_ensure, sent_tasks, waits):
    trakt_account.watch_movie(603, _iso(3))
    fake_trakt.fail("GET", "/sync/last_activities", 429, headers={"Retry-After": "7"})
    summary = user_sync_run(user_id=trakt_user.pk)
    assert summary.views_added == 1
    assert waits == [7.0]


def test_failure_midway_writes_nothing_and_keeps_the_cursor(
    trakt_user, trakt_account, fake_trakt, catalog_ensure, sent_tasks
):
    # given history fetched fine but ratings keep failing
    trakt_account.watch_movie(603, _iso(3))
    trakt_account.rate("movie", 603, 9, _iso(3))
    fake_trakt.fail("GET", "/sync/ratings", 503, times=10)
    # when
    with pytest.raises(UpstreamError):
        user_sync_run(user_id=trakt_user.pk)
    # then
    user = User.objects.get(pk=trakt_user.pk)
    assert user.last_history_sync is None
    assert user.last_activities == {}
    assert not Interaction.objects.exists()
    assert sent_tasks == []


def test_bad_rows_are_skipped_and_counted(trakt_user, trakt_account, catalog_ensure, sent_tasks):
    trakt_account.watch_movie(603, _iso(3))
    trakt_account.history.append({"id": 99, "watched_at": "not a date", "type": "movie", "movie": {"ids": {"tmdb": 5}}})
    summary = user_sync_run(user_id=trakt_user.pk)
    assert (summary.views_added, summary.skipped_rows) == (1, 1)


def test_expired_access_token_is_refreshed_before_syncing(
    trakt_user, trakt_account, fake_trakt, catalog_ensure, sent_tasks
):
    # given the stored access token is about to expire
    User.objects.filter(pk=trakt_user.pk).update(token_expires_at=timezone.now() + dt.timedelta(minutes=1))
    trakt_account.watch_movie(603, _iso(3))
    # when
    summary = user_sync_run(user_id=trakt_user.pk)
    # then
    assert fake_trakt.requests[0].path == "/oauth/token"
    assert summary.views_added == 1


@pytest.mark.parametrize("state", ["needs_reauth", "disconnected"])
def test_users_not_connected_are_not_synced(trakt_user, fake_trakt, state):
    User.objects.filter(pk=trakt_user.pk).update(connection_state=state)
    summary = user_sync_run(user_id=trakt_user.pk)
    assert summary.skipped_reason == f"not connected ({state})"
    assert fake_trakt.requests == []


def test_the_database_never_holds_a_plaintext_token(trakt_user, fake_trakt):
    # given tokens that went through a real refresh (rotation) as well
    from users.services import user_token_refresh

    assert user_token_refresh(user_id=trakt_user.pk) is True
    live_tokens = [t for t, (owner, _) in fake_trakt.access_tokens.items() if owner == "sean"]
    live_tokens += [t for t, owner in fake_trakt.refresh_tokens.items() if owner == "sean"]
    # when reading the raw row, every column, as PostgreSQL stores it
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(u)::text FROM users_user u WHERE id = %s", [trakt_user.pk])
        (raw_row,) = cursor.fetchone()
    # then no token (of the refreshed pair, nor the original one) appears in it
    assert len(live_tokens) >= 2
    assert all(token not in raw_row for token in live_tokens)
    assert '"access_token_encrypted" : "gAAAA' in raw_row or '"access_token_encrypted":"gAAAA' in raw_row


def test_a_removed_play_is_noticed_by_the_next_ordinary_sync(
    trakt_user, trakt_account, fake_trakt, catalog_ensure, sent_tasks
):
    # given two synced plays; the viewer then removes one on Trakt (watched_at moves, nothing new)
    trakt_account.watch_movie(603, _iso(3))
    trakt_account.watch_movie(604, _iso(2))
    trakt_account.watch_episode(1399, _iso(2))
    user_sync_run(user_id=trakt_user.pk)
    trakt_account.unwatch(604)
    fake_trakt.reset_log()
    # when
    summary = user_sync_run(user_id=trakt_user.pk)
    # then the movie history was re-read in full once the window showed nothing new; shows untouched
    assert [bool(c.query.get("start_at")) for c in fake_trakt.calls("GET", "/sync/history/")] == [True, False]
    assert all(c.path == "/sync/history/movies" for c in fake_trakt.calls("GET", "/sync/history/"))
    assert summary.views_removed == 1
    assert _views(trakt_user) == [("movie_603", 1), ("tv_1399", 1)]


def test_a_play_backdated_before_the_window_is_picked_up(trakt_user, trakt_account, catalog_ensure, sent_tasks):
    trakt_account.watch_movie(603, _iso(3))
    user_sync_run(user_id=trakt_user.pk)
    trakt_account.watch_movie(550, _iso(400))  # "I watched this last year"
    summary = user_sync_run(user_id=trakt_user.pk)
    assert summary.views_added == 1
    assert ("movie_550", 1) in _views(trakt_user)


def test_pending_titles_stop_being_retried_after_many_failures(trakt_user, trakt_account, catalog_ensure, sent_tasks):
    from users.services.sync import PENDING_MAX_ATTEMPTS

    trakt_account.watch_movie(777, _iso(3))
    catalog_ensure.unavailable = {("movie", 777)}
    user_sync_run(user_id=trakt_user.pk)
    PendingInteraction.objects.update(attempts=PENDING_MAX_ATTEMPTS)
    catalog_ensure.calls.clear()
    user_sync_run(user_id=trakt_user.pk)  # no change on Trakt
    assert catalog_ensure.calls == []
    assert PendingInteraction.objects.count() == 1


def test_a_changed_rating_gets_a_new_id_so_bulk_readers_after_a_cursor_see_it(
    trakt_user, trakt_account, catalog_ensure, sent_tasks
):
    from users.selectors import interactions_since

    # given a synced rating and a cursor after it
    trakt_account.rate("show", 1399, 7, _iso(5))
    user_sync_run(user_id=trakt_user.pk)
    cursor = Interaction.objects.get(user=trakt_user, kind=InteractionKind.RATING).pk
    assert interactions_since(after_id=cursor, limit=10) == []
    # when the viewer changes it on Trakt
    trakt_account.rate("show", 1399, 4, _iso(1))
    user_sync_run(user_id=trakt_user.pk)
    # then the new value is the only row after the cursor
    [row] = interactions_since(after_id=cursor, limit=10)
    assert (row.user_id, row.item_id, row.kind, row.value) == (str(trakt_user.pk), "tv_1399", "rating", 4)
    assert row.id > cursor


def test_each_sync_is_kept_as_a_run_with_its_counts(trakt_user, trakt_account, catalog_ensure, sent_tasks):
    # given
    trakt_account.watch_movie(603, _iso(3))

    # when: a sync that stores, one that finds nothing new, and one that fails
    user_sync_run(user_id=trakt_user.pk)
    user_sync_run(user_id=trakt_user.pk)
    user_sync_failed_record(user_id=trakt_user.pk, error="trakt answered HTTP 502")

    # then
    runs = list(UserSyncRun.objects.filter(user=trakt_user).order_by("started_at", "pk"))
    assert [(r.status, r.changed) for r in runs] == [("ok", True), ("ok", False), ("failed", False)]
    assert runs[0].counts["views_added"] == 1
    assert runs[0].requests >= 1
    assert runs[2].error == "trakt answered HTTP 502"


def test_only_the_latest_sync_runs_are_kept(trakt_user, trakt_account, catalog_ensure, sent_tasks, settings):
    # given: a viewer already at the limit
    from users.services import sync

    now = timezone.now()
    UserSyncRun.objects.bulk_create(
        UserSyncRun(user=trakt_user, started_at=now - dt.timedelta(hours=n + 1), finished_at=now, status="ok")
        for n in range(sync.SYNC_RUNS_KEPT)
    )

    # when
    user_sync_run(user_id=trakt_user.pk)

    # then: the oldest made room for the newest
    runs = UserSyncRun.objects.filter(user=trakt_user)
    assert runs.count() == sync.SYNC_RUNS_KEPT
    assert not runs.filter(started_at__lte=now - dt.timedelta(hours=sync.SYNC_RUNS_KEPT)).exists()
