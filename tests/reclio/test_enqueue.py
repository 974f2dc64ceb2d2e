"""reclio.enqueue: a fan-out sends every message on its own; a broker error drops only its own."""

from __future__ import annotations

import logging

import pytest
from kombu.exceptions import OperationalError

from reclio.enqueue import enqueue_each, enqueue_each_on_commit


class FlakyBroker:
    """Records sends; the sends whose position (1-based) is in ``fail_at`` raise like kombu does."""

    def __init__(self, *, fail_at: set[int]) -> None:
        self.fail_at = fail_at
        self.attempts: list[object] = []
        self.sent: list[object] = []

    def __call__(self, item: object) -> None:
        self.attempts.append(item)
        if len(self.attempts) in self.fail_at:
            raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")
        self.sent.append(item)


def test_a_failing_second_send_does_not_drop_the_third(caplog):
    # given
    broker = FlakyBroker(fail_at={2})
    undone: list[list[str]] = []
    # when
    with caplog.at_level(logging.WARNING, logger="reclio.enqueue"):
        failed = enqueue_each(broker, ["a", "b", "c"], what="demo", on_failed=undone.append)
    # then
    assert broker.sent == ["a", "c"]
    assert failed == ["b"]
    assert undone == [["b"]]
    assert [r.getMessage().split(" error=")[0] for r in caplog.records] == ["enqueue_failed what=demo failed=1 total=3"]


@pytest.mark.django_db
def test_sends_wait_for_the_commit_and_never_raise(django_capture_on_commit_callbacks):
    # given
    broker = FlakyBroker(fail_at={1, 2, 3})
    # when
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        queued = enqueue_each_on_commit(broker, ["a", "b", "c"], what="demo")
    # then nothing before commit, and a broker that refuses everything costs an error line, not an exception
    assert (queued, broker.attempts) == (3, [])
    for hook in hooks:
        hook()
    assert broker.attempts == ["a", "b", "c"]
    assert broker.sent == []


def test_a_failing_follow_up_is_logged_not_raised(caplog):
    def broken(_: list[str]) -> None:
        raise RuntimeError("database gone")

    with caplog.at_level(logging.WARNING, logger="reclio.enqueue"):
        assert enqueue_each(FlakyBroker(fail_at={1}), ["a"], what="demo", on_failed=broken) == ["a"]
    assert "enqueue_failed_followup_failed what=demo" in caplog.text
