from __future__ import annotations

import pytest

from tests.feeds.conftest import assert_manifest


@pytest.mark.parametrize("path", ["/manifest", "/manifest/", "/", "/?user_id=6f1c2a5e-8d0b-4b7e-9a43-2f8a1d3c4b5a"])
def test_manifest_is_the_chilllink_manifest(client, path):
    # when
    response = client.get(path)

    # then
    assert response.status_code == 200
    body = response.json()
    assert_manifest(body)
    assert body["id"] == "reclio"
    assert body["version"] == "1.0.0"
    assert body["supported_endpoints"] == {"feeds": "/feeds", "streams": None}
    assert "not endorsed or certified by TMDB" in body["description"]
