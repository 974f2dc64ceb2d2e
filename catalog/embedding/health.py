"""The embeddings health probe (run by the hourly health check, admin_tools.probes)."""

from __future__ import annotations

import time

from django.core.cache import cache

from catalog.embedding import registry
from catalog.embedding.selectors import embedding_dimensions_in_use
from catalog.embedding.services import LAST_FAILURE_CACHE_KEY
from reclio.health import ProbeResult


def embedding_provider_probe() -> ProbeResult:
    """Can the configured provider serve, and did the latest embedding batch fail?

    Bounded: remote probes use a 5 s timeout and no retries; the local probe checks files only.
    """
    started = time.perf_counter()
    provider = registry.get_embedding_provider()
    result = provider.probe()
    facts = {**result.facts, "dimensions_in_use": {str(k): v for k, v in embedding_dimensions_in_use().items()}}
    if not result.ok:
        return ProbeResult("embeddings", False, result.detail, result.latency_ms, facts)
    failure = cache.get(LAST_FAILURE_CACHE_KEY)
    if failure:
        age = time.time() - float(failure.get("at", 0))
        facts["last_failure_age_seconds"] = round(age)
        return ProbeResult(
            "embeddings",
            False,
            f"embedding batches are failing: {failure.get('message')}",
            (time.perf_counter() - started) * 1000,
            facts,
        )
    return ProbeResult("embeddings", True, result.detail, (time.perf_counter() - started) * 1000, facts)
