from __future__ import annotations

import pytest

from catalog.services.notify import catalog_changed_notify, items_reembed_enqueue


@pytest.mark.django_db
def test_catalog_changed_is_sent_after_commit_in_chunks(sent_tasks, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        catalog_changed_notify(item_ids=[f"movie_{i}" for i in range(2500)] + ["movie_0"])

    # then nothing is sent before commit, then three messages of ≤ 1,000 ids
    assert sent_tasks == []
    for callback in callbacks:
        callback()
    assert [(name, len(kwargs["item_ids"]), queue) for name, kwargs, queue in sent_tasks] == [
        ("recsys.catalog_changed", 1000, "recsys"),
        ("recsys.catalog_changed", 1000, "recsys"),
        ("recsys.catalog_changed", 500, "recsys"),
    ]


def test_a_failing_embedding_enqueue_is_logged_not_raised(monkeypatch, caplog):
    # given
    def broken(*, item_ids):
        raise ConnectionError("broker down")

    monkeypatch.setattr("catalog.embedding.services.item_embeddings_enqueue", broken)

    # when / then
    assert items_reembed_enqueue(item_ids=["movie_1"]) == 0
    assert "catalog_reembed_enqueue_failed" in caplog.text
