"""The smallest WSGI application that passes bench/feeds_load.py's checks: a fixed ten-row document.

``bench/feeds_load.py --floor`` runs it under the same web server command (granian; gunicorn with
``--server gunicorn``) and load as Reclio, without the access log, so the figures it prints are the
server's own cost per request on this machine: what no change to /feeds can go below while that
server serves it (docs/perf/feeds.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

BODY = json.dumps(
    {
        "feeds": [
            {
                "id": f"floor_{n}",
                "title": f"Row {n}",
                "source": "tmdb_query",
                "source_metadata": {"path": "/discover/movie", "parameters": "sort_by=popularity.desc"},
                "content_type": "movies",
            }
            for n in range(10)
        ]
    },
    separators=(",", ":"),
).encode()
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
