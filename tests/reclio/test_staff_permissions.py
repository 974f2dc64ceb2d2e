"""Every admin action and "run now" button that starts work: refused to view-only staff, allowed with its permission.

Each case names the action (changelist URL + action name, or a button URL), the family permission that
unlocks it, and the service call it makes; the call is recorded instead of run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from recsys.models import EngineState
from tests.catalog.factories import ContentItemFactory
from tests.feeds.factories import PreparedFeedsFactory
from tests.recsys.factories import RecommendationFactory
from tests.staff import staff_member
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    name: str
    changelist: str
    action: str | None  # None: a button posting to ``changelist + button``
    permission: str
    make_row: Callable[[], Any]
    patch: tuple[str, str]  # (module, attribute) whose call proves the work was started
    button: str = ""


def _engine_state() -> EngineState:
    return EngineState.objects.create(key=f"state-{uuid.uuid4()}", value={})


CASES = [
    Case("refresh from TMDB", "/staff/catalog/contentitem/", "refresh_from_tmdb", "run_catalog_jobs",
         ContentItemFactory.create, ("catalog.admin", "catalog_items_refresh_enqueue")),
    Case("re-embed", "/staff/catalog/contentitem/", "reembed", "run_catalog_jobs",
         ContentItemFactory.create, ("catalog.admin", "catalog_items_reembed")),
    Case("run content sync now", "/staff/catalog/contentsyncrun/", None, "run_catalog_jobs",
         lambda: None, ("catalog.admin", "content_sync_enqueue"), button="run/"),
    Case("sync now", "/staff/users/user/", "sync_now", "sync_viewers",
         UserFactory.create, ("users.services", "users_sync_enqueue")),
    Case("full sync now", "/staff/users/user/", "full_sync_now", "sync_viewers",
         UserFactory.create, ("users.services", "users_sync_enqueue")),
    Case("rewrite lists now", "/staff/users/user/", "rewrite_lists_now", "sync_viewers",
         UserFactory.create, ("users.services", "user_lists_rewrite_request")),
    Case("disconnect", "/staff/users/user/", "disconnect", "disconnect_viewers",
         UserFactory.create, ("users.services", "user_disconnect")),
    Case("rescore", "/staff/recsys/recommendation/", "rescore_users", "run_engine",
         RecommendationFactory.create, ("recsys.services", "users_recommendations_refresh_enqueue")),
    Case("train now", "/staff/recsys/enginestate/", "train_now", "run_engine",
         _engine_state, ("recsys.tasks", "engine_train_task")),
    Case("recompute rows", "/staff/feeds/preparedfeeds/", "refresh_rows", "refresh_feeds",
         PreparedFeedsFactory.create, ("feeds.admin", "feed_refresh_enqueue_many")),
]  # fmt: skip


class _Recorder:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> int:
        self.calls += 1
        return 1

    def delay(self, *args: Any, **kwargs: Any) -> None:  # stands in for a task's .delay
        self.calls += 1


def _press(client: Any, case: Case, row: Any) -> Any:
    if case.action is None:
        return client.post(case.changelist + case.button)
    return client.post(case.changelist, {"action": case.action, "_selected_action": [str(row.pk)]})


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@pytest.mark.parametrize("granted", [False, True], ids=["view-only", "with-permission"])
def test_action_needs_its_family_permission(case, granted, client, monkeypatch, django_capture_on_commit_callbacks):
    # given
    row = case.make_row()
    recorder = _Recorder()
    module, attribute = case.patch
    monkeypatch.setattr(f"{module}.{attribute}", recorder)
    client.force_login(staff_member(case.permission) if granted else staff_member())

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _press(client, case, row)

    # then
    assert recorder.calls == (1 if granted else 0)
    if case.action is None:
        assert response.status_code == (302 if granted else 403)
    else:
        assert response.status_code in (200, 302)
        listing = client.get(case.changelist).content.decode()
        assert (f'value="{case.action}"' in listing) is granted  # the action is offered only when allowed


def test_run_now_buttons_are_hidden_without_the_permission(client):
    client.force_login(staff_member())
    assert "Run content sync now" not in client.get("/staff/catalog/contentsyncrun/").content.decode()
    client.force_login(staff_member("run_catalog_jobs"))
    assert "Run content sync now" in client.get("/staff/catalog/contentsyncrun/").content.decode()


def test_superuser_holds_every_family(admin_user):
    from reclio.staff import StaffAction

    assert all(admin_user.has_perm(action.permission) for action in StaffAction)
