"""Catalog writes. Split by sub-domain; the contract functions are re-exported here.

- ``sync``: the content sync (``content_sync_run``)
- ``items``: ``catalog_items_ensure`` (users app), per-title refresh and re-embed (admin)
- ``imports``: offline imports (TMDB JSON lines, tabular datasets)
- ``upsert``: the single write path every source goes through
- ``fetch``: bounded-concurrency TMDB fetching
- ``notify``: the seams to the embedding step and the recommender
"""

from __future__ import annotations

from catalog.services.imports import catalog_datasets_import, catalog_tmdb_jsonl_import
from catalog.services.items import (
    catalog_items_ensure,
    catalog_items_reembed,
    catalog_items_refresh,
    catalog_items_refresh_enqueue,
    catalog_reembed_all,
    content_sync_enqueue,
    items_mark_recombee_synced,
)
from catalog.services.sync import content_sync_run, content_sync_runs_reap
from catalog.services.upsert import content_items_upsert

__all__ = [
    "catalog_datasets_import",
    "catalog_items_ensure",
    "catalog_items_reembed",
    "catalog_items_refresh",
    "catalog_items_refresh_enqueue",
    "catalog_reembed_all",
    "catalog_tmdb_jsonl_import",
    "content_items_upsert",
    "content_sync_enqueue",
    "content_sync_run",
    "content_sync_runs_reap",
    "items_mark_recombee_synced",
]
