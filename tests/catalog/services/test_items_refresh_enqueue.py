from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from catalog.services.items import catalog_items_refresh_enqueue
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def test_a_failed_send_does_not_drop_the_other_titles_refreshes(monkeypatch, django_capture_on_commit_callbacks):
    # given three titles and a broker that refuses the second send
    items = ContentItemFactory.create_batch(3)
    attempts: list[str] = []

    def delay(item_id):
        attempts.append(item_id)
        if len(attempts) == 2:
            raise OperationalError("Connection refused")

    monkeypatch.setattr("catalog.tasks.item_refresh_task.delay", delay)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        queued = catalog_items_refresh_enqueue(item_ids=[i.item_id for i in items])
    # then
    assert queued == 3
    assert sorted(attempts) == sorted(i.item_id for i in items)
