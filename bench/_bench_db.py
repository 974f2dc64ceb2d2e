"""Shared set-up for the catalog benchmarks: Django with test settings and a throwaway database.

The benchmarks never touch the development database (``var/``'s ``postgres``) nor pytest's
``test_postgres``: they create ``bench_catalog``, migrate it, and drop it on exit.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("RECLIO_SHARED_DATA", REPO.parent / "shared" / "data"))


def django_setup() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reclio.settings.test")
    import django

    django.setup()


@contextmanager
def throwaway_database() -> Iterator[None]:
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    connection.settings_dict.setdefault("TEST", {})["NAME"] = "bench_catalog"
    config = setup_databases(verbosity=0, interactive=False, keepdb=False, aliases={"default": {}})
    try:
        yield
    finally:
        teardown_databases(config, verbosity=0)


def seams_stub() -> dict[str, int]:
    """Count what the catalog hands to the embedding step and to recsys, instead of running them."""
    counts = {"reembed_ids": 0, "catalog_changed_ids": 0}

    def item_embeddings_enqueue(*, item_ids):  # type: ignore[no-untyped-def]
        counts["reembed_ids"] += len(item_ids)
        return len(item_ids)

    module = types.ModuleType("catalog.embedding.services")
    module.item_embeddings_enqueue = item_embeddings_enqueue  # type: ignore[attr-defined]
    sys.modules["catalog.embedding.services"] = module

    from reclio.celery import app

    def send_task(name, kwargs, queue, **options):  # type: ignore[no-untyped-def]
        counts["catalog_changed_ids"] += len(kwargs["item_ids"])

    app.send_task = send_task  # type: ignore[method-assign,assignment]  # a counting fake, not the real signature
    return counts
