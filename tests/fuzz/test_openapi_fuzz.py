"""Property-based fuzzing of every operation in the OpenAPI schema (schemathesis + Hypothesis).

Each operation gets a bounded number of generated requests from a fixed seed (derandomized), sent
in-process through the WSGI app with the admin token, against a small world (a connected viewer
with prepared rows, a few titles). Whatever the input: no 5xx, and every response matches the
schema (status code documented, content type and body conform).

The per-operation request counts are printed at the end of the module (``pytest -s``).
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from reclio.permissions import ADMIN_TOKEN_HEADER

pytestmark = pytest.mark.django_db

# Bounded: CI time. Raise locally with FUZZ_EXAMPLES=… for a deeper run.
MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
REQUESTS_PER_OPERATION: collections.Counter[str] = collections.Counter()


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection() -> Iterator[None]:
    from django.core import signals
    from django.db import close_old_connections

    # As Django's test client does: a request must not close the test's connection (its transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    yield
    width = max((len(name) for name in REQUESTS_PER_OPERATION), default=0)
    print("\nschemathesis requests per operation:")  # noqa: T201 - the run's report (pytest -s)
    for name, count in sorted(REQUESTS_PER_OPERATION.items()):
        print(f"  {name:<{width}}  {count}")  # noqa: T201 - the run's report (pytest -s)
    print(f"  {'total':<{width}}  {sum(REQUESTS_PER_OPERATION.values())}")  # noqa: T201 - the run's report (pytest -s)


def _load_schema() -> Any:
    from django.core.wsgi import get_wsgi_application

    # The schema view needs no database: loaded once, at collection, through the app itself.
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


schema = _load_schema()


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_operation_never_fails_and_keeps_to_the_schema(case: Any, fuzz_world: Any) -> None:
    REQUESTS_PER_OPERATION[case.operation.label] += 1
    response = case.call(headers={ADMIN_TOKEN_HEADER: settings.ADMIN_TOKEN})
    case.validate_response(response, checks=CHECKS)


@pytest.fixture
def fuzz_world(sent_tasks: Any) -> dict[str, Any]:
    """A connected viewer with prepared rows and a few titles, so some generated ids hit real rows."""
    from tests.catalog.factories import ContentItemFactory
    from tests.feeds.factories import PreparedFeedsFactory
    from tests.users.factories import UserFactory

    viewer = UserFactory.create()
    PreparedFeedsFactory.create(user_id=viewer.id, trakt_username=viewer.trakt_username)
    items = ContentItemFactory.create_batch(3)
    return {"viewer": viewer, "items": items, "sent": sent_tasks}
