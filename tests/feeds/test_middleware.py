from __future__ import annotations

import json
import logging
import types

import pytest
from django.core.cache import cache
from django.test import Client

from feeds import middleware, rows
from feeds.middleware import DEFAULT_DOCUMENT_BODY, FeedsNeverFailMiddleware, middleware_fallbacks_recent
from feeds.probes import feeds_probe
from feeds.selectors import feed_default_document
from tests.feeds.conftest import assert_feeds_document


def test_the_last_resort_is_the_default_document():
    # when
    document = json.loads(DEFAULT_DOCUMENT_BODY)

    # then
    assert document == {"feeds": rows.default_feeds()} == feed_default_document()
    assert_feeds_document(document)


def test_a_crash_on_feeds_is_answered_with_the_last_resort(rf):
    # given
    def crash(request):
        raise RuntimeError("crash")

    # when
    response = FeedsNeverFailMiddleware(crash)(rf.get("/feeds"))

    # then
    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    assert response.content == DEFAULT_DOCUMENT_BODY


@pytest.fixture
def clock(monkeypatch):
    """A moving clock for the middleware's log throttle and hour buckets; a fresh throttle per test."""
    now = types.SimpleNamespace(value=1_800_000_000.0)
    monkeypatch.setattr(middleware, "time", types.SimpleNamespace(time=lambda: now.value, monotonic=lambda: now.value))
    monkeypatch.setattr(middleware, "_throttle", middleware._LogThrottle())
    cache.clear()
    yield now
    cache.clear()


@pytest.mark.django_db
def test_a_wrong_allowed_hosts_still_serves_rows_but_is_counted_and_logged_once_per_period(clock, caplog, settings):
    # given: the operator forgot the host Chillio calls
    settings.ALLOWED_HOSTS = ["reclio.example.org"]
    client = Client(raise_request_exception=False)

    # when: three viewers ask, then a fourth after the log period
    with caplog.at_level(logging.WARNING, logger="feeds.middleware"):
        answers = [client.get("/feeds", {"user_id": "x"}, HTTP_HOST="10.0.0.5:8000") for _ in range(3)]
        clock.value += middleware.LOG_PERIOD_SECONDS
        answers.append(client.get("/feeds", HTTP_HOST="10.0.0.5:8000"))

    # then: every viewer still gets a document ...
    assert [answer.status_code for answer in answers] == [200] * 4
    assert_feeds_document(answers[0].json())
    # ... the operator sees a count ...
    assert middleware_fallbacks_recent()["bad_request"] == 4
    # ... and the log says so twice (first one, then the three since), not four times
    lines = [r.getMessage() for r in caplog.records if "feeds_default_served_by_middleware" in r.getMessage()]
    assert len(lines) == 2
    assert "count=1 reasons=bad_request:1" in lines[0] and "ALLOWED_HOSTS" in lines[0]
    assert "count=3 reasons=bad_request:3" in lines[1]


@pytest.mark.django_db
def test_an_odd_accept_header_is_answered_not_refused(clock):
    # /feeds is a plain view sending JSON bytes (no content negotiation): an odd Accept gets the
    # document itself, so there is no fallback to count.
    response = Client().get("/feeds", HTTP_ACCEPT="application/xml")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert sum(middleware_fallbacks_recent().values()) == 0


def test_a_406_from_below_is_counted(clock, rf):
    FeedsNeverFailMiddleware(lambda request: middleware.HttpResponse(status=406))(rf.get("/feeds"))

    assert middleware_fallbacks_recent()["not_acceptable"] == 1


def test_counts_cover_the_last_hour_only(clock, rf):
    def refuse(request):
        return middleware.HttpResponse(status=400)

    FeedsNeverFailMiddleware(refuse)(rf.get("/feeds"))
    clock.value += middleware.HOUR_SECONDS
    FeedsNeverFailMiddleware(refuse)(rf.get("/feeds"))
    assert middleware_fallbacks_recent()["bad_request"] == 2

    clock.value += 2 * middleware.HOUR_SECONDS

    assert middleware_fallbacks_recent()["bad_request"] == 0


def test_a_cache_outage_does_not_fail_the_fallback(clock, rf, monkeypatch):
    monkeypatch.setattr("feeds.middleware.cache.incr", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("down")))

    response = FeedsNeverFailMiddleware(lambda request: middleware.HttpResponse(status=400))(rf.get("/feeds"))

    assert response.status_code == 200


@pytest.mark.django_db
def test_the_feeds_probe_turns_red_when_many_requests_are_refused(clock, rf):
    # given
    refuse = FeedsNeverFailMiddleware(lambda request: middleware.HttpResponse(status=400))
    for _ in range(51):
        refuse(rf.get("/feeds"))

    # when
    result = feeds_probe()

    # then
    assert result.ok is False
    assert "51 /feeds requests in the last hour got generic rows" in result.detail
    assert "ALLOWED_HOSTS" in result.detail
    assert result.facts["refused_by_reason"] == {"bad_request": 51}


@pytest.mark.django_db
def test_a_few_refused_requests_are_reported_but_not_alarming(clock, rf):
    refuse = FeedsNeverFailMiddleware(lambda request: middleware.HttpResponse(status=406))
    for _ in range(3):
        refuse(rf.get("/feeds"))

    result = feeds_probe()

    assert result.ok is True
    assert (result.facts["refused_requests_last_hour"], result.facts["refused_by_reason"]) == (3, {"not_acceptable": 3})
