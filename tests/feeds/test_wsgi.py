"""/feeds as the web server (granian) calls it: the WSGI application answers it in front of Django's handler
(feeds/wsgi.py), with what every response gets, and hands everything else to Django."""

from __future__ import annotations

import io
import json
import uuid
import wsgiref.util
from typing import Any
from unittest import mock

import pytest
from django.db import connections

from feeds import documents
from feeds.documents import DEFAULT_BODY, document_body
from reclio.wsgi import application
from tests.feeds.conftest import USER_ID
from tests.feeds.factories import PreparedFeedsFactory

# Not inside a test transaction: the WSGI application closes obsolete connections after /feeds, as
# Django's request_finished signal does.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def prepared(world):
    feeds = PreparedFeedsFactory.build().feeds
    return PreparedFeedsFactory.create(user_id=uuid.UUID(USER_ID), feeds=feeds, body=document_body(feeds))


def call(
    path: str, query: str = "", *, method: str = "GET", host: str = "localhost"
) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": host,
        "wsgi.input": io.BytesIO(b""),
    }
    wsgiref.util.setup_testing_defaults(environ)
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.update(status=status, headers=dict(headers))

    chunks = application(environ, start_response)
    body = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return answer["status"], answer["headers"], body


def test_feeds_is_answered_with_the_stored_body_and_every_security_header(prepared):
    status, headers, body = call("/feeds", f"user_id={USER_ID}")
    _, manifest_headers, _ = call("/manifest")

    assert status == "200 OK"
    assert body == bytes(prepared.body)
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(body))
    for header in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"):
        assert headers.get(header) == manifest_headers.get(header) is not None, header
    assert "Set-Cookie" not in headers


def test_other_paths_and_methods_go_to_django(prepared):
    status, _, body = call("/manifest")
    assert status == "200 OK" and json.loads(body)["id"] == "reclio"
    # POST /feeds goes through Django's handler, whose never-fail middleware still answers a document
    status, _, body = call("/feeds", method="POST")
    assert status == "200 OK" and body == DEFAULT_BODY
    status, _, _ = call("/no-such-page")
    assert status.startswith("404")


def test_a_host_outside_allowed_hosts_gets_the_default_rows(prepared):
    status, _, body = call("/feeds", f"user_id={USER_ID}", host="evil.example")

    assert status == "200 OK"
    assert body == DEFAULT_BODY


def test_whatever_fails_the_answer_is_a_document(prepared):
    with mock.patch("feeds.apis.feed_body", side_effect=RuntimeError("boom")):
        status, _, body = call("/feeds", f"user_id={USER_ID}")
    assert (status, body) == ("200 OK", DEFAULT_BODY)

    with mock.patch("feeds.wsgi.WSGIRequest", side_effect=UnicodeDecodeError("utf-8", b"", 0, 1, "bad")):
        status, headers, body = call("/feeds", f"user_id={USER_ID}")
    assert (status, body) == ("200 OK", DEFAULT_BODY)
    assert headers["Content-Length"] == str(len(DEFAULT_BODY))


def test_a_connection_past_its_max_age_is_closed_after_feeds_reads_the_database(prepared, settings):
    # given: a connection that has outlived CONN_MAX_AGE (what request_finished would close)
    connection = connections["default"]
    connection.ensure_connection()
    connection.close_at = 0.0  # long past
    documents.local_copies.clear()  # the request must read the database

    # when
    status, _, body = call("/feeds", f"user_id={USER_ID}")

    # then
    assert status == "200 OK" and body == bytes(prepared.body)
    assert connection.connection is None
