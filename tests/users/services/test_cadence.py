from __future__ import annotations

import datetime as dt
import math

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.users.factories import UserFactory
from users.contracts import ConnectionState
from users.models import User
from users.services import user_feed_hit_record, users_feed_hits_flush, users_sync_due_enqueue
from users.services.cadence import user_sync_bucket

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def queued(monkeypatch) -> list[tuple[str, bool]]:
    calls: list[tuple[str, bool]] = []
    monkeypatch.setattr("users.tasks.user_sync_task.delay", lambda user_id, full=False: calls.append((user_id, full)))
    return calls


def test_feed_hits_are_counted_in_the_cache_and_folded_into_a_daily_rate():
    # given
    user = UserFactory.create()
    for _ in range(6):
        user_feed_hit_record(user_id=str(user.pk))
    # when
    assert users_feed_hits_flush(now=NOW) == 1
    # then
    user.refresh_from_db()
    assert user.feed_hits_total == 6
    assert user.feed_hits_per_day == pytest.approx(6 * math.log(2))
    assert user.last_feed_hit_at is not None
    # the counter was drained: a second flush a day later only decays
    users_feed_hits_flush(now=NOW + dt.timedelta(days=1))
    user.refresh_from_db()
    assert user.feed_hits_total == 6
    assert user.feed_hits_per_day == pytest.approx(3 * math.log(2))


@pytest.mark.parametrize("user_id", ["not-a-uuid", "", None])
def test_feed_hit_record_ignores_malformed_ids(user_id):
    user_feed_hit_record(user_id=user_id)


def test_feed_hit_record_never_raises_when_the_cache_is_down(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "incr", broken)
    monkeypatch.setattr(cache, "add", broken)
    user_feed_hit_record(user_id="0b8f7d1e-3a54-4d38-9e8a-5d0c2c0b6a11")


@pytest.mark.parametrize(
    ("hits_per_day", "last_hit_hours", "trakt_idle_days", "bucket"),
    [
        (10.0, 2, 1, "heavy"),
        (10.0, 2, 90, "heavy"),  # uses the app a lot: keep polling even if Trakt is quiet
        (1.0, 2, 1, "regular"),
        (10.0, 30, 1, "regular"),  # heavy once, but not in the last 24 h
        (0.0, None, 1, "quiet"),
        (0.0, None, 45, "dormant"),
        (1.0, 48, 45, "dormant"),
    ],
)
def test_buckets(hits_per_day, last_hit_hours, trakt_idle_days, bucket):
    user = User(
        feed_hits_per_day=hits_per_day,
        last_feed_hit_at=None if last_hit_hours is None else NOW - dt.timedelta(hours=last_hit_hours),
        last_trakt_activity_at=NOW - dt.timedelta(days=trakt_idle_days),
    )
    assert user_sync_bucket(user=user, now=NOW) == bucket


def test_sweep_queues_due_users_and_really_advances_their_schedule(queued, django_capture_on_commit_callbacks):
    # given a new user (never synced), a quiet user due now, one not due and one needing re-auth
    new = UserFactory.create(next_sync_at=None)
    quiet = UserFactory.create(next_sync_at=timezone.now() - dt.timedelta(minutes=5))
    UserFactory.create(next_sync_at=timezone.now() + dt.timedelta(hours=3))
    UserFactory.create(next_sync_at=None, connection_state=ConnectionState.NEEDS_REAUTH)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        due = users_sync_due_enqueue()
    # then
    assert sorted(due) == sorted([str(new.pk), str(quiet.pk)])
    assert sorted(queued) == sorted([(str(new.pk), False), (str(quiet.pk), False)])
    quiet.refresh_from_db()
    assert quiet.sync_bucket == "quiet"
    assert quiet.next_sync_at is not None
    assert quiet.next_sync_at > timezone.now() + dt.timedelta(hours=23)
    # and an hour later the quiet user is not polled again
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert users_sync_due_enqueue(now=timezone.now() + dt.timedelta(hours=1)) == []
    assert queued == []


def test_heavy_feeds_user_is_polled_hourly(queued, django_capture_on_commit_callbacks):
    user = UserFactory.create(next_sync_at=None)
    for _ in range(20):
        user_feed_hit_record(user_id=user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        users_sync_due_enqueue()
    user.refresh_from_db()
    assert user.sync_bucket == "heavy"
    assert user.next_sync_at is not None
    assert user.next_sync_at - timezone.now() < dt.timedelta(minutes=61)


def test_a_quiet_user_who_starts_using_feeds_is_pulled_forward(queued, django_capture_on_commit_callbacks):
    # given a quiet user synced two hours ago, next poll in 22 h
    now = timezone.now()
    user = UserFactory.create(
        sync_bucket="quiet", last_history_sync=now - dt.timedelta(hours=2), next_sync_at=now + dt.timedelta(hours=22)
    )
    # when they open Chillio a lot
    for _ in range(20):
        user_feed_hit_record(user_id=user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        due = users_sync_due_enqueue(now=now)
    # then the heavy bucket's 1 h interval applies from their last sync: due now
    assert due == [str(user.pk)]
    user.refresh_from_db()
    assert user.sync_bucket == "heavy"


# --- one round trip and a circuit breaker (a Redis outage must not slow /feeds) -----------------
@pytest.fixture
def redis_cache(settings):
    """The default cache on the worktree's real (embedded) Redis, under a throwaway key prefix."""
    import uuid

    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-hits-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    try:
        backend.get("ping")
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"embedded Redis not reachable at {settings.REDIS_URL}: {exc}")
    yield backend
    client = backend._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
        client.delete(key)


def test_hits_are_buffered_and_written_in_one_round_trip_per_period(redis_cache, monkeypatch):
    # given a warm connection (connecting sends CLIENT SETINFO commands of its own) and a still clock
    import redis.connection

    from users.services import cadence

    clock = [1000.0]
    monkeypatch.setattr(cadence.time, "monotonic", lambda: clock[0])
    user, other = UserFactory.create(), UserFactory.create()
    user_feed_hit_record(user_id=user.pk)  # the first hit of a process writes at once
    sends: list[bytes] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sends.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    # when: a burst within the period, then one hit after it
    for _ in range(5):
        user_feed_hit_record(user_id=user.pk)
    user_feed_hit_record(user_id=other.pk)
    assert sends == []
    clock[0] += cadence.HIT_BUFFER_SECONDS
    user_feed_hit_record(user_id=user.pk)
    # then: one write for the whole period, carrying the whole MULTI … EXEC
    assert len(sends) == 1
    assert b"MULTI" in b"".join(bytes(part) for part in (sends[0] if isinstance(sends[0], list) else [sends[0]]))
    # and the stored values are what Django's cache API (the hourly flush) expects
    assert redis_cache.get(f"users:feed_hits:{user.pk}") == 7
    assert redis_cache.get(f"users:feed_hits:{other.pk}") == 1
    monkeypatch.undo()
    assert users_feed_hits_flush(now=NOW) == 2
    user.refresh_from_db()
    assert user.feed_hits_total == 7
    assert user.last_feed_hit_at is not None
    assert redis_cache.get(f"users:feed_hits:{user.pk}") == 0


def test_the_counter_keeps_its_first_expiry(redis_cache):
    # given
    from users.services.cadence import hit_buffer

    user = UserFactory.create()
    user_feed_hit_record(user_id=user.pk)
    client = redis_cache._cache.get_client(write=True)
    full = redis_cache.make_and_validate_key(f"users:feed_hits:{user.pk}")
    client.expire(full, 100)
    # when another hit arrives and is written
    user_feed_hit_record(user_id=user.pk)
    hit_buffer.flush()
    # then the counter was bumped without resetting its TTL (SET NX EX, like cache.add)
    assert 0 < client.ttl(full) <= 100
    assert redis_cache.get(f"users:feed_hits:{user.pk}") == 2


def test_with_redis_down_hits_never_raise_are_counted_and_logged_once(settings, monkeypatch, caplog):
    # given a cache whose Redis socket does not exist (connection refused at once), and a still clock
    from users.services import cadence

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "unix:///nonexistent/reclio-test-redis.sock",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    clock = [1000.0]
    monkeypatch.setattr(cadence.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr("reclio.throttled_log.time.monotonic", lambda: clock[0])
    attempts: list[int] = []
    real_write = cadence._hits_write

    def counting(batch):
        attempts.append(sum(int(count) for count, _ in batch.values()))
        real_write(batch)

    monkeypatch.setattr(cadence, "_hits_write", counting)
    user_id = "0b8f7d1e-3a54-4d38-9e8a-5d0c2c0b6a11"
    # when: many requests over several buffer periods, all inside the pause
    for _ in range(5):
        for _ in range(20):
            user_feed_hit_record(user_id=user_id)
        clock[0] += cadence.HIT_BUFFER_SECONDS
    # then only the first write tried Redis, and the outage was logged once, not per request
    assert attempts == [1]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert warnings[0].startswith("feed_hits_dropped_started reason=ConnectionError hits=1")


def test_recording_resumes_after_the_pause(monkeypatch):
    # given a write that failed
    from users.services import cadence

    clock = [1000.0]
    monkeypatch.setattr(cadence.time, "monotonic", lambda: clock[0])
    attempts: list[int] = []

    def failing(batch):
        attempts.append(sum(int(count) for count, _ in batch.values()))
        raise ConnectionError("redis down")

    monkeypatch.setattr(cadence, "_hits_write", failing)
    user = UserFactory.create()
    user_feed_hit_record(user_id=user.pk)
    # when: still inside the pause, then just after it
    clock[0] += cadence.HIT_RECORDING_PAUSE_SECONDS - 1
    user_feed_hit_record(user_id=user.pk)
    monkeypatch.setattr(cadence, "_hits_write", lambda batch: attempts.append(sum(int(c) for c, _ in batch.values())))
    clock[0] += 2
    user_feed_hit_record(user_id=user.pk)
    user_feed_hit_record(user_id=user.pk)
    cadence.hit_buffer.flush()
    # then: one failed try, the hit of the pause dropped, and both hits after it written (one batch)
    assert attempts == [1, 2]


# --- one broker error drops only its own message -------------------------------------------------
def test_a_sync_the_broker_refused_is_due_again_and_the_others_still_go(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given three quiet users due now, and a broker that refuses the second send
    from kombu.exceptions import OperationalError

    now = timezone.now()
    users = [UserFactory.create(next_sync_at=now - dt.timedelta(minutes=m)) for m in (30, 20, 10)]
    attempts: list[str] = []

    def delay(user_id, full=False):
        attempts.append(user_id)
        if len(attempts) == 2:
            raise OperationalError("Connection refused")

    monkeypatch.setattr("users.tasks.user_sync_task.delay", delay)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        users_sync_due_enqueue(now=now)
    # then the third was still sent
    assert attempts == [str(u.pk) for u in users]
    first, refused, third = (User.objects.get(pk=u.pk) for u in users)
    day_later = now + dt.timedelta(hours=23)
    assert (first.next_sync_at or now) > day_later and (third.next_sync_at or now) > day_later
    assert refused.next_sync_at == now
    # and the next sweep (an hour later) picks up exactly the one whose message was lost
    attempts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        due = users_sync_due_enqueue(now=now + dt.timedelta(hours=1))
    assert due == [str(refused.pk)] == attempts
