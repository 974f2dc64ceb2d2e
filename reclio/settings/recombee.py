"""Recombee backend tuning (read only when RECOMMENDER=recombee).

Credentials and region live in ``reclio/settings/vendors.py``; these are the knobs of the push jobs,
the recommendation calls and the diagnosis. Reference: https://docs.recombee.com/api
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from reclio.env import env_float, env_int, env_str
from reclio.settings.providers import RECOMMENDER, RecommenderName

# Recombee accepts at most 10,000 requests in one Batch (https://docs.recombee.com/api#batch).
RECOMBEE_BATCH_MAX = 10_000

# Requests per Batch call of the push jobs. Smaller batches redo less work when one fails.
RECOMBEE_BATCH_SIZE = 1000
# Read timeout (s) of one Batch call, and of every other call (recommendations, listings).
RECOMBEE_BATCH_TIMEOUT_SECONDS = 120.0
RECOMBEE_TIMEOUT_SECONDS = 5.0
# Per-call timeout (s) of the diagnosis and the hourly probe: they must stay bounded in time.
RECOMBEE_PROBE_TIMEOUT_SECONDS = 3.0
# Optional scenario names configured in the Recombee admin UI (https://docs.recombee.com/scenarios).
RECOMBEE_SCENARIO_USER: str | None = None
RECOMBEE_SCENARIO_ITEM: str | None = None

if RECOMMENDER is RecommenderName.RECOMBEE:
    RECOMBEE_BATCH_SIZE = env_int("RECOMBEE_BATCH_SIZE", RECOMBEE_BATCH_SIZE, minimum=1)
    if RECOMBEE_BATCH_SIZE > RECOMBEE_BATCH_MAX:
        raise ImproperlyConfigured(f"RECOMBEE_BATCH_SIZE={RECOMBEE_BATCH_SIZE} exceeds Recombee's {RECOMBEE_BATCH_MAX}")
    RECOMBEE_BATCH_TIMEOUT_SECONDS = env_float("RECOMBEE_BATCH_TIMEOUT_SECONDS", RECOMBEE_BATCH_TIMEOUT_SECONDS)
    RECOMBEE_TIMEOUT_SECONDS = env_float("RECOMBEE_TIMEOUT_SECONDS", RECOMBEE_TIMEOUT_SECONDS)
    RECOMBEE_PROBE_TIMEOUT_SECONDS = env_float("RECOMBEE_PROBE_TIMEOUT_SECONDS", RECOMBEE_PROBE_TIMEOUT_SECONDS)
    RECOMBEE_SCENARIO_USER = env_str("RECOMBEE_SCENARIO_USER")
    RECOMBEE_SCENARIO_ITEM = env_str("RECOMBEE_SCENARIO_ITEM")
