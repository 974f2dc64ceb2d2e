from __future__ import annotations

import pytest
import requests
import responses

from reclio.http import (
    MAX_RETRY_COUNTDOWN_SECONDS,
    OutgoingSession,
    RateLimiter,
    UpstreamError,
    json_or_error,
    task_retry_countdown,
)

URL = "https://api.example.test/thing"


@responses.activate
def test_retries_429_honouring_retry_after(no_sleep):
    responses.get(URL, status=429, headers={"Retry-After": "3"})
    responses.get(URL, json={"ok": True})
    session = OutgoingSession(max_retries=2)
    assert json_or_error(session.get(URL), service="example") == {"ok": True}
    assert no_sleep == [3.0]
    assert session.request_count == 2


@responses.activate
def test_retries_5xx_with_backoff_then_gives_back_last_response(no_sleep):
    for _ in range(3):
        responses.get(URL, status=503)
    session = OutgoingSession(max_retries=2)
    response = session.get(URL)
    assert response.status_code == 503
    assert len(no_sleep) == 2
    with pytest.raises(UpstreamError) as excinfo:
        json_or_error(response, service="example")
    assert excinfo.value.status == 503 and excinfo.value.permanent is False


@responses.activate
def test_timeout_becomes_typed_error_after_retries(no_sleep):
    responses.get(URL, body=requests.Timeout("slow"))
    responses.get(URL, body=requests.Timeout("slow"))
    with pytest.raises(UpstreamError, match="Timeout after 2 attempts"):
        OutgoingSession(max_retries=1).get(URL)


@responses.activate
def test_post_is_not_retried_on_5xx_but_is_on_429(no_sleep):
    responses.post(URL, status=500)
    assert OutgoingSession(max_retries=3).post(URL).status_code == 500
    assert len(responses.calls) == 1


@responses.activate
def test_too_long_retry_after_is_raised_for_the_task_to_retry_later(no_sleep):
    responses.get(URL, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(UpstreamError) as excinfo:
        OutgoingSession(max_retries=3).get(URL)
    assert excinfo.value.retry_after == 3600
    assert no_sleep == []


@pytest.mark.parametrize("header", ["inf", "Infinity", "nan", "1e12", "86401"])
@responses.activate
def test_an_unusable_retry_after_falls_back_to_our_own_backoff(no_sleep, header):
    # given: a 429 whose Retry-After no task could wait out (Celery cannot count down infinity)
    responses.get(URL, status=429, headers={"Retry-After": header})
    responses.get(URL, json={"ok": True})

    # when
    response = OutgoingSession(max_retries=1).get(URL)

    # then: our short backoff, not the header, decided the wait
    assert response.status_code == 200
    assert len(no_sleep) == 1 and no_sleep[0] < 5


@pytest.mark.parametrize(
    ("retries", "retry_after", "expected"),
    [
        (0, None, 60.0),
        (3, None, 480.0),
        (30, None, MAX_RETRY_COUNTDOWN_SECONDS),
        (0, 12.0, 12.0),
        (0, float("inf"), 60.0),
        (2, float("nan"), 240.0),
        (0, 10 * 3600.0, MAX_RETRY_COUNTDOWN_SECONDS),
        (0, -5.0, 0.0),
    ],
)
def test_task_retry_countdown_is_finite_and_inside_the_visibility_timeout(retries, retry_after, expected, settings):
    countdown = task_retry_countdown(retries=retries, retry_after=retry_after)
    assert countdown == expected
    assert countdown < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


@responses.activate
def test_permanent_errors_are_flagged():
    responses.get(URL, status=401)
    with pytest.raises(UpstreamError) as excinfo:
        json_or_error(OutgoingSession().get(URL), service="example")
    assert excinfo.value.permanent is True


@responses.activate
def test_non_json_body_is_a_typed_error():
    responses.get(URL, body="<html>oops</html>")
    with pytest.raises(UpstreamError, match="not JSON"):
        json_or_error(OutgoingSession().get(URL), service="example")


def test_rate_limiter_spaces_calls(no_sleep):
    limiter = RateLimiter(per_second=10)
    for _ in range(5):
        limiter.wait()
    assert len(no_sleep) == 4
    assert all(0 < wait <= 0.4 + 1e-6 for wait in no_sleep)


def test_external_network_is_blocked_in_tests():
    with pytest.raises(Exception, match=r"(?i)socket|host"):
        requests.get("http://93.184.215.14/", timeout=2)
