"""Settings every gunicorn start in this repository picks up (gunicorn reads ./gunicorn.conf.py).

``manage.py serve``, the Docker image, docker-compose and bench/feeds_load.py all run gunicorn from
the repository root, so this is the one place for what must hold for all of them; their command
lines keep the rest (and still override these).
"""

from __future__ import annotations

# A cheap access-log line (reclio/access_log.py) with viewer UUIDs redacted: they are credentials
# (reclio/access_log.py).
logger_class = "reclio.access_log.RedactingGunicornLogger"
