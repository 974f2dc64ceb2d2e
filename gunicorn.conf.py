"""Settings every gunicorn start in this repository picks up (gunicorn reads ./gunicorn.conf.py).

``manage.py serve``, the Docker image and docker-compose all run gunicorn from the repository root,
so this is the one place for what must hold for all of them; their command lines keep the rest.
"""

from __future__ import annotations

# Viewer UUIDs are credentials: the access log redacts them (reclio/access_log.py).
logger_class = "reclio.access_log.RedactingGunicornLogger"
