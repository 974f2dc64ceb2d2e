"""Settings of a drill worker: production settings on the embedded servers, except that

- the database is the test run's database (``DRILL_DATABASE_NAME``), so the test sees what it writes;
- the broker's visibility timeout is ``DRILL_VISIBILITY_TIMEOUT`` seconds, and unacked messages are
  swept every second, so a SIGKILLed worker's message comes back within seconds, not 75 minutes.
"""

from __future__ import annotations

import os

from reclio.settings.base import *  # noqa: F403
from reclio.settings.base import DATABASES

DATABASES["default"]["NAME"] = os.environ["DRILL_DATABASE_NAME"]
DATABASES["default"]["CONN_MAX_AGE"] = 0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("DRILL_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
