"""Celery, its queues and the beat schedule.

Reference: https://docs.celeryq.dev/en/stable/userguide/configuration.html
The schedule lives here, in code; django-celery-beat's DatabaseScheduler mirrors it into its tables
so ops can see, pause and "run now" each entry in the Django admin.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab
from kombu import Queue as KombuQueue

from reclio import events
from reclio.env import env_float, env_int
from reclio.queues import ALL_QUEUES, Queue
from reclio.settings.runtime import REDIS_URL


def _celery_redis_url(redis_url: str) -> str:
    # redis-py speaks unix:///path; kombu and Celery's result backend spell it redis+socket:///path.
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :]
    return redis_url


CELERY_BROKER_URL = _celery_redis_url(REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True

CELERY_TASK_DEFAULT_QUEUE = Queue.DEFAULT.value
CELERY_TASK_QUEUES = [KombuQueue(name, routing_key=name) for name in ALL_QUEUES]
CELERY_TASK_CREATE_MISSING_QUEUES = False

# Tasks can be killed mid-flight (deploys, OOM): acknowledge only after they finish, fetch one at a
# time so a long task does not hold others hostage, and keep the broker's visibility timeout above
# the longest hard time limit so an unacked task is not redelivered while it still runs.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 55 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 60 * 60, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 15 * 60}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS
# A message delivered this many times without its task ever finishing (each delivery killed its
# worker: OOM, a native crash) is parked instead of run again (reclio/deliveries.py, the admin).
TASK_MAX_DELIVERIES = env_int("TASK_MAX_DELIVERIES", 3, minimum=1)
# Deploys: on SIGQUIT (compose's stop_signal) a worker stops taking messages, lets running tasks
# finish for this many seconds, then cancels the rest, whose messages go back to the queue at once
# (acks_late) instead of after the visibility timeout. Each compose worker service sets its own
# value, sized to its queue's work, below its stop_grace_period.
# https://docs.celeryq.dev/en/stable/userguide/workers.html#soft-shutdown
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env_float("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", 60.0)
# Also wait when idle: a task counted down (a retry's ETA) is held unacked by the worker and is
# requeued only at shutdown.
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_TASK_TRACK_STARTED = True

CELERY_BEAT_SCHEDULER = "reclio.beat:TickRecordingScheduler"


def _beat(task: events.TaskRef, schedule: crontab) -> dict[str, Any]:
    # Every entry names its queue: beat sends by name, so it cannot read the task decorator's queue=.
    return {"task": task.name, "schedule": schedule, "options": {"queue": task.queue}}


# Keys are stable: django-celery-beat stores them as PeriodicTask names.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # https://crontab.guru/#0_3_*_*_*
    "daily-0300-content-sync": _beat(events.CATALOG_CONTENT_SYNC, crontab(minute="0", hour="3")),
    # https://crontab.guru/#5_*_*_*_*  (the sweep itself decides which users are due)
    "hourly-user-sync-sweep": _beat(events.USERS_USER_SYNC_SWEEP, crontab(minute="5")),
    # https://crontab.guru/#20_*/6_*_*_*
    "every-6h-token-refresh": _beat(events.USERS_TOKEN_REFRESH_SWEEP, crontab(minute="20", hour="*/6")),
    # https://crontab.guru/#30_4_*_*_*  (after the 03:00 content sync has refreshed the catalog)
    "daily-0430-recsys-train": _beat(events.RECSYS_ENGINE_TRAIN, crontab(minute="30", hour="4")),
    # Recombee mode: push what the per-event pushes left behind (a failed batch, retries used up) and
    # rescore the viewers it delivered. A no-op with the local engine. https://crontab.guru/#*/10_*_*_*_*
    "every-10m-recommender-push": _beat(events.RECSYS_RECOMMENDER_PUSH, crontab(minute="*/10")),
    # Safety net for embedding enqueues that never ran (Redis restart, a sync that crashed after
    # commit); one query when nothing is stale. https://crontab.guru/#*/30_*_*_*_*
    "every-30m-embed-stale-catalog": _beat(events.CATALOG_EMBEDDINGS_REFRESH_STALE, crontab(minute="*/30")),
    # https://crontab.guru/#30_*_*_*_*
    "hourly-health-check": _beat(events.ADMIN_TOOLS_HEALTH_CHECK, crontab(minute="30")),
}
