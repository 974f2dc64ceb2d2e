from __future__ import annotations

import json

from feeds import rows
from feeds.middleware import DEFAULT_DOCUMENT_BODY, FeedsNeverFailMiddleware
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
