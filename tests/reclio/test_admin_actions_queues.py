"""Every admin action and button that starts work sends the right task on the right queue (the captured send).

Complements test_staff_permissions.py (who may press what, with the service call recorded): here the
real services run and the message that would reach the broker is captured. The Operations page's
buttons: tests/admin_tools/test_operations.py; beat's "run now": tests/admin_tools/test_beat_admin.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from recsys.models import EngineState
from tests.catalog.embedding.conftest import fake_provider, use_provider  # noqa: F401
from tests.catalog.factories import ContentItemFactory
from tests.feeds.factories import PreparedFeedsFactory
from tests.recsys.factories import RecommendationFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db

CASES: list[tuple[str, str, str | None, Callable[[], Any], tuple[str, str]]] = [
    ("refresh from TMDB", "/staff/catalog/contentitem/", "refresh_from_tmdb", ContentItemFactory.create,
     ("catalog.item_refresh", "sync")),
    ("re-embed", "/staff/catalog/contentitem/", "reembed", ContentItemFactory.create,
     ("catalog.item_embeddings_refresh", "embeddings")),
    ("run content sync now", "/staff/catalog/contentsyncrun/run/", None, lambda: None,
     ("catalog.content_sync", "sync")),
    ("sync now", "/staff/users/user/", "sync_now", UserFactory.create, ("users.user_sync", "sync")),
    ("full sync now", "/staff/users/user/", "full_sync_now", UserFactory.create, ("users.user_sync", "sync")),
    ("rewrite lists now", "/staff/users/user/", "rewrite_lists_now", UserFactory.create,
     ("feeds.user_rows_refresh", "feeds")),
    ("rescore", "/staff/recsys/recommendation/", "rescore_users", RecommendationFactory.create,
     ("recsys.users_recommendations_refresh", "recsys")),
    ("train now", "/staff/recsys/enginestate/", "train_now", lambda: EngineState.objects.create(key="k", value={}),
     ("recsys.engine_train", "recsys")),
    ("recompute rows", "/staff/feeds/preparedfeeds/", "refresh_rows", PreparedFeedsFactory.create,
     ("feeds.user_rows_refresh", "feeds")),
]  # fmt: skip


@pytest.mark.usefixtures("fake_provider")
@pytest.mark.parametrize(("name", "url", "action", "make_row", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_action_sends_its_task_on_its_queue(
    name, url, action, make_row, expected, admin_client, published, django_capture_on_commit_callbacks
):
    # given
    row = make_row()
    if action == "reembed":
        row.embedding_source_hash = "stale"  # current rows are not queued again
        row.save()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        if action is None:
            admin_client.post(url)
        else:
            admin_client.post(url, {"action": action, "_selected_action": [str(row.pk)]})

    # then
    assert expected in [(task, queue) for task, _, queue in published]
