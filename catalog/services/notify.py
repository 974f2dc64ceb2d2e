"""The seams after an upsert: re-embedding (catalog.embedding) and the recommender push (recsys).

Both are best effort by design. The rows are already committed with their dirty flags
(``source_hash`` ≠ ``embedding_source_hash``, ``recombee_synced=False``), and the embedding and
recommender steps also sweep those flags periodically, so a broker hiccup here delays the follow-up
work instead of failing a sync whose data has landed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from reclio.events import RECSYS_CATALOG_CHANGED, send_on_commit

logger = logging.getLogger(__name__)

# Keep messages small: a first full sync can change tens of thousands of rows.
NOTIFY_CHUNK = 1000


def items_reembed_enqueue(*, item_ids: Sequence[str]) -> int:
    """Hand ids whose embedding text changed to the embedding step; returns how many it queued."""
    if not item_ids:
        return 0
    try:
        # Imported here: catalog.embedding is its own feature and must not be a hard import-time
        # dependency of the sync (and tests swap it out).
        from catalog.embedding.services import item_embeddings_enqueue

        return int(item_embeddings_enqueue(item_ids=list(item_ids)))
    except Exception:  # rows stay flagged; the embedding sweep picks them up
        logger.exception("catalog_reembed_enqueue_failed count=%d", len(item_ids))
        return 0


def catalog_changed_notify(*, item_ids: Sequence[str]) -> None:
    """Tell recsys which rows changed, after commit, one message per chunk (lower apps never import higher ones).

    A chunk the broker refuses is logged and skipped: ``recombee_synced=False`` stays set and the
    push sweep catches up.
    """
    ids = list(dict.fromkeys(item_ids))
    for start in range(0, len(ids), NOTIFY_CHUNK):
        send_on_commit(RECSYS_CATALOG_CHANGED, item_ids=ids[start : start + NOTIFY_CHUNK])
