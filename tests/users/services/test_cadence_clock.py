"""The adaptive cadence over half a day of a moving clock: sweep → real sync → sweep, hour after hour.

Nothing is mocked between the sweep and the sync: the sweep's commit hooks queue the real
``users.user_sync`` task (eager), which runs ``user_sync_run`` against the loopback fake Trakt a
little after the sweep's clock, as a worker would. Only the clock is moved.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.users.factories import UserFactory
from users.services import user_feed_hit_record, users_sync_due_enqueue

pytestmark = pytest.mark.django_db

# Beat fires at minute 5; the sweep's clock reads a few seconds later (worse when its queue is
# busy), and a worker starts each sync some seconds after that.
SWEEP_LATE_SECONDS = [3, 40, 1, 25, 0, 12, 58, 2, 30, 5, 0, 18, 7]
SYNC_AFTER_SWEEP_SECONDS = 20


@pytest.fixture
def clock(monkeypatch):
    """``timezone.now()`` everywhere reads this moving clock."""
    start = timezone.now().replace(minute=5, second=0, microsecond=0)
    moment = [start]
    monkeypatch.setattr(timezone, "now", lambda: moment[0])
    return moment


def _viewer(fake_trakt, name: str):
    account = fake_trakt.add_account(name)
    account.watch_movie(603, (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    access, refresh = fake_trakt.issue_tokens(account.slug)
    return UserFactory.create(
        trakt_username=name, trakt_slug=name, access_token=access, refresh_token=refresh, next_sync_at=None
    )


def test_heavy_viewers_are_synced_every_hour_and_regular_ones_every_six(
    clock, fake_trakt, catalog_ensure, django_capture_on_commit_callbacks
):
    # given a viewer who opens Chillio all day (heavy) and one who opened it once this week (regular)
    heavy = _viewer(fake_trakt, "heavy")
    regular = _viewer(fake_trakt, "regular")
    user_feed_hit_record(user_id=regular.pk)
    start = clock[0]
    synced: dict[str, list[int]] = {str(heavy.pk): [], str(regular.pk): []}
    # when thirteen hourly sweeps run, each followed by the syncs it queued
    for hour, late in enumerate(SWEEP_LATE_SECONDS):
        for _ in range(3):
            user_feed_hit_record(user_id=heavy.pk)
        clock[0] = start + dt.timedelta(hours=hour, seconds=late)
        with django_capture_on_commit_callbacks(execute=False) as hooks:
            due = users_sync_due_enqueue()
        for user_id in due:
            synced[user_id].append(hour)
        clock[0] += dt.timedelta(seconds=SYNC_AFTER_SWEEP_SECONDS)
        for hook in hooks:
            hook()
    # then
    heavy.refresh_from_db()
    regular.refresh_from_db()
    assert (heavy.sync_bucket, regular.sync_bucket) == ("heavy", "regular")
    assert synced[str(heavy.pk)] == list(range(13))
    assert synced[str(regular.pk)] == [0, 6, 12]
    # every sync really ran (one last_activities poll each), and none more
    assert len(fake_trakt.calls("GET", "/sync/last_activities")) == 13 + 3
