"""The hourly check runs the liveness probes plus every probe the apps registered in AppConfig.ready."""

from __future__ import annotations

from admin_tools.probes import scheduled_probes


def test_scheduled_probes_are_liveness_then_each_apps_registered_probes():
    assert list(scheduled_probes()) == [
        "database",
        "redis",
        "workers",
        "beat",
        "parked_tasks",
        "tmdb",
        "catalog_sync",
        "embeddings",
        "trakt",
        "recombee",
        "recsys_engine",
        "feeds",
    ]
