from __future__ import annotations

import json

import pytest

from users.contracts import ListState, ManagedListSpec
from users.models import ManagedList, User
from users.selectors import user_managed_lists
from users.services import user_lists_write

pytestmark = pytest.mark.django_db

NAME = "Reclio • Recommended Movies"


def _spec(*item_ids: str, key: str = "recommended_movies", name: str = NAME) -> ManagedListSpec:
    return ManagedListSpec(key=key, name=name, description="Picked for you by Reclio", item_ids=tuple(item_ids))


def _write_bodies(fake) -> list[tuple[str, str, object]]:
    return [(r.method, r.path, r.body) for r in fake.writes()]


def test_first_write_creates_a_private_list_and_adds_items_in_order(trakt_user, trakt_account, fake_trakt):
    # when
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603", "tv_1399", "movie_27205")])
    # then
    list_id = report.lists[0].trakt_list_id
    assert _write_bodies(fake_trakt) == [
        (
            "POST",
            "/users/me/lists",
            {
                "name": NAME,
                "description": "Picked for you by Reclio",
                "privacy": "private",
                "display_numbers": True,
                "allow_comments": False,
                "sort_by": "rank",
                "sort_how": "asc",
            },
        ),
        (
            "POST",
            f"/users/me/lists/{list_id}/items",
            {
                "movies": [{"ids": {"tmdb": 603}}, {"ids": {"tmdb": 27205}}],
                "shows": [{"ids": {"tmdb": 1399}}],
            },
        ),
        # Trakt appends movies then shows; one reorder puts them in our order.
        (
            "POST",
            f"/users/me/lists/{list_id}/items/reorder",
            {"rank": [item["id"] for item in sorted(trakt_account.lists[list_id]["items"], key=lambda i: i["rank"])]},
        ),
    ]
    assert trakt_account.list_tmdb(list_id) == [("movie", 603), ("show", 1399), ("movie", 27205)]
    assert report.lists[0].created is True
    row = ManagedList.objects.get()
    assert (row.state, row.item_ids) == (ListState.OK, ["movie_603", "tv_1399", "movie_27205"])


def test_second_run_with_the_same_picks_makes_zero_writes(trakt_user, fake_trakt):
    # given
    specs = [
        _spec("movie_603", "movie_604"),
        _spec("tv_1399", key="recommended_shows", name="Reclio • Recommended Shows"),
    ]
    user_lists_write(user_id=trakt_user.pk, lists=specs)
    fake_trakt.reset_log()
    # when
    report = user_lists_write(user_id=trakt_user.pk, lists=specs)
    # then one read per list, nothing written
    assert fake_trakt.writes() == []
    assert report.writes == 0
    assert [(r.method, r.path) for r in fake_trakt.requests] == [
        ("GET", f"/users/me/lists/{report.lists[0].trakt_list_id}/items"),
        ("GET", f"/users/me/lists/{report.lists[1].trakt_list_id}/items"),
    ]


def test_an_unchanged_list_that_was_verified_counts_as_fresh(trakt_user, fake_trakt):
    # given a list written three days ago
    import datetime as dt

    from django.utils import timezone

    user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    ManagedList.objects.update(last_written_at=timezone.now() - dt.timedelta(days=3))
    # when the same picks are written again (zero writes)
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    # then the list is stamped as confirmed now, so feeds keeps serving it
    assert report.writes == 0
    last_written_at = ManagedList.objects.get().last_written_at
    assert last_written_at is not None
    assert timezone.now() - last_written_at < dt.timedelta(minutes=1)


def test_a_changed_order_costs_two_writes_not_a_reorder(trakt_user, trakt_account, fake_trakt):
    # given a written list A B C D
    first = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_1", "movie_2", "movie_3", "movie_4")])
    list_id = first.lists[0].trakt_list_id
    fake_trakt.reset_log()
    # when the picks become D E B A (C left, E is new): remove C, add E, reorder would be 3 writes
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_4", "movie_5", "movie_2", "movie_1")])
    # then the tail (here all of it) is taken off and appended in order: 2 writes (Trakt: 1 per second)
    tmdb = [{"ids": {"tmdb": n}} for n in (1, 2, 3, 4)]
    assert _write_bodies(fake_trakt) == [
        ("POST", f"/users/me/lists/{list_id}/items/remove", {"movies": tmdb}),
        ("POST", f"/users/me/lists/{list_id}/items", {"movies": [{"ids": {"tmdb": n}} for n in (4, 5, 2, 1)]}),
    ]
    assert trakt_account.list_tmdb(list_id) == [("movie", 4), ("movie", 5), ("movie", 2), ("movie", 1)]
    assert report.writes == 2
    assert ManagedList.objects.get().item_ids == ["movie_4", "movie_5", "movie_2", "movie_1"]


def test_an_order_only_change_is_one_reorder(trakt_user, trakt_account, fake_trakt):
    # given a written list A B C
    first = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_1", "movie_2", "movie_3")])
    list_id = first.lists[0].trakt_list_id
    fake_trakt.reset_log()
    # when only the order changes
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_3", "movie_1", "movie_2")])
    # then one reorder beats taking titles off and on again
    assert [r.path for r in fake_trakt.writes()] == [f"/users/me/lists/{list_id}/items/reorder"]
    assert trakt_account.list_tmdb(list_id) == [("movie", 3), ("movie", 1), ("movie", 2)]
    assert (report.writes, report.lists[0].reordered) == (1, True)


def test_pure_removal_keeping_order_needs_no_reorder(trakt_user, fake_trakt):
    first = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_1", "movie_2", "movie_3")])
    fake_trakt.reset_log()
    user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_1", "movie_3")])
    assert _write_bodies(fake_trakt) == [
        ("POST", f"/users/me/lists/{first.lists[0].trakt_list_id}/items/remove", {"movies": [{"ids": {"tmdb": 2}}]})
    ]


def test_an_existing_list_with_the_same_name_is_adopted_not_recreated(trakt_user, trakt_account, fake_trakt):
    # given the account already holds our list (e.g. after a reinstall)
    list_id = trakt_account.add_list(NAME, item_tmdb=[("movie", 603)])
    trakt_account.lists[list_id]["description"] = "Picked for you by Reclio"
    # when
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603", "movie_604")])
    # then
    assert report.lists[0].adopted is True
    assert report.lists[0].trakt_list_id == list_id
    assert _write_bodies(fake_trakt) == [
        ("POST", f"/users/me/lists/{list_id}/items", {"movies": [{"ids": {"tmdb": 604}}]})
    ]
    assert len(trakt_account.lists) == 1


def test_a_list_deleted_on_trakt_is_created_again(trakt_user, trakt_account, fake_trakt):
    first = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    del trakt_account.lists[first.lists[0].trakt_list_id]
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    assert report.lists[0].created is True
    assert trakt_account.list_tmdb(report.lists[0].trakt_list_id) == [("movie", 603)]


def test_list_limit_420_is_recorded_and_visible(trakt_user, trakt_account, fake_trakt):
    # given a free account that already holds its 5 lists
    for n in range(5):
        trakt_account.add_list(f"Mine {n}")
    specs = [_spec("movie_603"), _spec("tv_1399", key="recommended_shows", name="Reclio • Recommended Shows")]
    # when
    report = user_lists_write(user_id=trakt_user.pk, lists=specs)
    # then only one create was attempted; both lists say why
    assert [r.path for r in fake_trakt.writes()] == ["/users/me/lists"]
    assert [r.state for r in report.lists] == ["limit_reached", "limit_reached"]
    assert report.limit_reached is True
    states = user_managed_lists(user_id=trakt_user.pk)
    assert states["recommended_movies"].state == "limit_reached"
    assert (
        states["recommended_movies"].detail == "Trakt account limit reached: Trakt account limit reached (list count 5)"
    )


def test_items_are_sized_to_the_account_limit(trakt_user, trakt_account, fake_trakt):
    trakt_account.list_item_limit = 3
    User.objects.filter(pk=trakt_user.pk).update(limits_checked_at=None)
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec(*[f"movie_{n}" for n in range(1, 8)])])
    assert trakt_account.list_tmdb(report.lists[0].trakt_list_id) == [("movie", 1), ("movie", 2), ("movie", 3)]
    assert User.objects.get(pk=trakt_user.pk).list_item_limit == 3


def test_titles_trakt_does_not_know_are_reported_not_retried(trakt_user, trakt_account, fake_trakt):
    fake_trakt.unknown_tmdb = {999}
    first = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603", "movie_999")])
    assert first.lists[0].not_found == ("movie_999",)
    fake_trakt.reset_log()
    user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603", "movie_999")])
    # it tries again (Trakt may learn the title) but changes nothing else
    assert [r.path for r in fake_trakt.writes()] == [f"/users/me/lists/{first.lists[0].trakt_list_id}/items"]


def test_429_on_a_write_waits_retry_after(trakt_user, fake_trakt, waits):
    fake_trakt.fail("POST", "/users/me/lists", 429, headers={"Retry-After": "4"})
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    assert report.lists[0].state == "ok"
    assert 4.0 in waits


def test_writes_are_paced_one_per_second_per_account(trakt_user, fake_trakt, waits, monkeypatch):
    # given a clock that moves only by the waits (recorded, not slept)
    monkeypatch.setattr("users.trakt.write_limiter.time.time", lambda: 1000.25 + sum(waits))
    # when three writes happen
    user_lists_write(user_id=trakt_user.pk, lists=[_spec("tv_1", "movie_2")])
    # then each write took the next free one-second slot
    assert waits == [0.75, 1.0, 1.0]


def test_a_slow_write_pushes_the_next_one_back(settings, monkeypatch):
    from users.trakt import write_limiter

    # given a clock moved by sleeps, and an account whose write takes 0.3 s to be answered
    settings.TRAKT_WRITE_INTERVAL_SECONDS = 1.0
    clock = {"now": 1000.5}

    def sleep(seconds: float) -> None:
        clock["now"] += seconds

    monkeypatch.setattr("users.trakt.write_limiter.time.time", lambda: clock["now"])
    monkeypatch.setattr("users.trakt.write_limiter.http.sleep", sleep)
    write_limiter.account_write_wait(account="slow")
    clock["now"] += 0.3  # on its way to Trakt (Trakt may count it only now)
    answered = clock["now"]
    write_limiter.account_write_done(account="slow")
    # when the account writes again
    write_limiter.account_write_wait(account="slow")
    # then it goes a full interval after the previous write was answered (its slot alone: 0.7 s later)
    assert clock["now"] - answered == pytest.approx(1.0)


def test_a_5xx_on_a_write_marks_the_list_retryable(trakt_user, fake_trakt):
    fake_trakt.fail("POST", "/users/me/lists", 503, times=1)
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    assert report.retryable is True
    assert report.lists[0].state == "error"
    # next run recovers
    assert user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603")]).lists[0].state == "ok"


def test_a_disconnected_user_is_skipped(trakt_user, fake_trakt):
    User.objects.filter(pk=trakt_user.pk).update(connection_state="needs_reauth")
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec("movie_603")])
    assert report.skipped_reason == "not connected (needs_reauth)"
    assert fake_trakt.requests == []


@pytest.mark.parametrize(("interval", "expected_429s"), [(1.0, 0), (0.0, 2)])
def test_fake_trakt_enforces_one_write_per_second_and_our_pacing_avoids_429(
    settings, waits, monkeypatch, interval, expected_429s
):
    from sandbox.trakt import FakeTrakt
    from tests.users.factories import UserFactory

    # given a Trakt that enforces 1 write/s on a virtual clock that advances only by our waits
    settings.TRAKT_WRITE_INTERVAL_SECONDS = interval
    monkeypatch.setattr("users.trakt.write_limiter.time.time", lambda: 1000.0)
    with FakeTrakt(enforce_write_rate=True, clock=lambda: sum(waits)) as fake:
        settings.TRAKT_API_URL = fake.url
        fake.add_account("sean")
        access, refresh = fake.issue_tokens("sean")
        user = UserFactory.create(trakt_slug="sean", access_token=access, refresh_token=refresh)
        # when three writes are needed (create, add, reorder)
        report = user_lists_write(user_id=user.pk, lists=[_spec("tv_1", "movie_2")])
        # then
        assert report.lists[0].state == "ok"
        assert len([r for r in fake.requests if r.status == 429]) == expected_429s
        list_id = report.lists[0].trakt_list_id
        assert list_id is not None
        assert fake.accounts["sean"].list_tmdb(list_id) == [("show", 1), ("movie", 2)]


@pytest.mark.parametrize("bad", ["tv_-123", "movie_-7", "tv_0", "movie_abc", "person_5"])
def test_ids_trakt_cannot_resolve_are_skipped_and_reported(trakt_user, trakt_account, fake_trakt, bad):
    # given picks that include a Netflix-only show (negative TMDB id, docs/design/catalog.md) or junk
    specs = [_spec("movie_603", bad, "tv_1399")]
    # when
    report = user_lists_write(user_id=trakt_user.pk, lists=specs)
    # then it never reaches Trakt, the rest is written, and the report names it
    result = report.lists[0]
    assert trakt_account.list_tmdb(result.trakt_list_id) == [("movie", 603), ("show", 1399)]
    assert all('"tmdb": -' not in json.dumps(r.body) for r in fake_trakt.writes())
    assert (result.state, result.skipped, result.added) == (ListState.OK, (bad,), 2)
    assert ManagedList.objects.get().item_ids == ["movie_603", "tv_1399"]


def test_a_list_of_only_unresolvable_ids_adds_nothing(trakt_user, trakt_account, fake_trakt):
    # when
    report = user_lists_write(user_id=trakt_user.pk, lists=[_spec("tv_-1", "tv_-2")])
    # then
    result = report.lists[0]
    assert trakt_account.list_tmdb(result.trakt_list_id) == []
    assert [r.path for r in fake_trakt.writes()] == ["/users/me/lists"]
    assert result.skipped == ("tv_-1", "tv_-2")
