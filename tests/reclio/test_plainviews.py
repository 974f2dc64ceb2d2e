"""Plain-dispatched API views answer every method themselves: never a DRF object nobody renders."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/feeds", "/health"])
def test_options_and_unsupported_methods_get_plain_answers(path):
    client = Client()

    options = client.options(path)
    assert options.status_code == 200
    assert "GET" in options["Allow"]
    # /feeds answers every method with its document (never an error page); /health says 405.
    assert client.delete(path).status_code in (200, 405)
