"""The Celery queues. Keep in sync with the worker commands that consume them:
``docker-compose.yml`` (one worker service per queue) and ``reclio/management/commands/serve.py``
(one embedded worker for all of them) both read or mirror this enum.
"""

from __future__ import annotations

import enum


class Queue(enum.Enum):
    # Network-bound: TMDB content sync, Trakt user sync, token refresh. Must not wait behind models.
    SYNC = "sync"
    # Embedding batches: CPU/GPU or a paid API; throughput-bound.
    EMBEDDINGS = "embeddings"
    # Recommender push, training and per-user scoring: CPU-bound and long.
    RECSYS = "recsys"
    # Writes into Trakt lists: Trakt allows ~1 write/s per account, so this is a slow trickle.
    # Viewers active on Trakt in the last hours (who just watched something) write here...
    TRAKT_LISTS = "trakt_lists"
    # ...and everyone else here (the nightly rewrite of every viewer's lists after training), on
    # workers of its own, so a viewer who just watched never waits behind the nightly bulk.
    TRAKT_LISTS_BULK = "trakt_lists_bulk"
    # Composing a viewer's ten rows (database reads, no Trakt writes): fast, but one per viewer after
    # the nightly training, so it gets its own workers instead of delaying health checks on default
    # or waiting behind the slow list writes.
    FEEDS = "feeds"
    # Health checks and small admin jobs.
    DEFAULT = "default"


ALL_QUEUES: tuple[str, ...] = tuple(queue.value for queue in Queue)

# The priority of the messages a fan-out sends for every viewer at once (the nightly rescoring
# chunks, the compose each rescored viewer asks for). On Redis, kombu keeps one list per priority
# step of a queue (0, 3, 6, 9) and a worker takes from the lower step first; a message sent without a
# priority is 0. So one viewer's interactive work, and the switch that follows each list write, go
# ahead of the night's backlog on the same workers instead of waiting for all of it to drain.
# https://docs.celeryq.dev/en/stable/userguide/routing.html#redis-message-priorities
BULK_PRIORITY = 6
