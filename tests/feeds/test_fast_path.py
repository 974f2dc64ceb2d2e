"""/feeds skips what it does not use (DRF, sessions, CSRF, auth, messages, URL resolving, the per-request
connection check) and keeps what every response gets (host check, security headers) — issue 14."""

from __future__ import annotations

import uuid

import pytest
from django.db import connections

from admin_tools.liveness import liveness_reset
from feeds.documents import DEFAULT_BODY, document_body
from tests.feeds.conftest import USER_ID, assert_feeds_document
from tests.feeds.factories import PreparedFeedsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def prepared(world):
    feeds = PreparedFeedsFactory.build().feeds
    return PreparedFeedsFactory.create(user_id=uuid.UUID(USER_ID), feeds=feeds, body=document_body(feeds))


def test_feeds_gets_the_same_security_headers_as_other_paths(client, prepared):
    # when
    feeds = client.get("/feeds", {"user_id": USER_ID})
    manifest = client.get("/manifest")

    # then
    for header in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"):
        assert feeds.headers.get(header) == manifest.headers.get(header) is not None, header
    assert feeds["Content-Length"] == str(len(feeds.content))
    assert "Set-Cookie" not in feeds.headers and "Vary" not in feeds.headers


def test_a_host_outside_allowed_hosts_is_still_refused_on_feeds(client, prepared):
    # the check runs (DisallowedHost); the never-fail middleware answers the default rows
    response = client.get("/feeds", {"user_id": USER_ID}, headers={"host": "evil.example"})

    assert response.status_code == 200
    assert response.content == DEFAULT_BODY


def test_feeds_skips_the_per_request_connection_check_other_paths_keep_it(client, prepared, monkeypatch):
    # given: health checks on, and a request that has not checked its connection yet
    connection = connections["default"]  # the wrapper itself: monkeypatch restores its attributes
    calls: list[int] = []
    monkeypatch.setattr(connection, "health_check_enabled", True)

    def is_usable() -> bool:
        calls.append(1)
        return True

    monkeypatch.setattr(connection, "is_usable", is_usable)
    connection.ensure_connection()
    connection.health_check_done = False  # type: ignore[attr-defined]  # set in BaseDatabaseWrapper.__init__

    # when
    assert_feeds_document(client.get("/feeds", {"user_id": USER_ID}).json())

    # then: no SELECT 1 round trip for /feeds
    assert calls == []

    # while /health (any other database user) still checks its connection first
    liveness_reset()
    connection.health_check_done = False  # type: ignore[attr-defined]  # set in BaseDatabaseWrapper.__init__
    client.get("/health")
    assert calls == [1]
    liveness_reset()


def test_the_schema_still_describes_feeds_manifest_and_health(client):
    schema = client.get("/api/schema/", headers={"accept": "application/json"}).json()

    assert "ChillLinkFeeds" in str(schema["paths"]["/feeds"]["get"]["responses"]["200"])
    assert "ChillLinkManifest" in str(schema["paths"]["/manifest"]["get"]["responses"]["200"])
    assert "/health" in schema["paths"] and "/admin/health" in schema["paths"]
    assert {p["name"] for p in schema["paths"]["/feeds"]["get"]["parameters"]} >= {"user_id", "last_watched"}
