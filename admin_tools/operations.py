"""The Operations page (/staff/operations/): one admin page where ops see and steer everything.

Read-only panels come from ``admin_tools.selectors.operations_overview``; each button calls the same
service the operator API, the admin actions and the beat schedule use, and says how many tasks it
queued. The page and its buttons need the ``reclio.operate`` permission (reclio.staff).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from admin_tools.selectors import operations_overview
from catalog import services as catalog_services
from reclio.staff import StaffAction, staff_may
from recsys import services as recsys_services
from users import selectors as users_selectors
from users import services as users_services


@dataclass(frozen=True)
class Button:
    label: str
    queue: str  # where its tasks go, shown next to the button
    needs_viewer: bool
    run: Callable[[str | None], object]


def _viewer_sync(user_id: str | None) -> object:
    return users_services.users_sync_enqueue(user_ids=[str(user_id)])


def _viewer_lists_rewrite(user_id: str | None) -> object:
    return users_services.user_lists_rewrite_request(user_ids=[str(user_id)])


BUTTONS: dict[str, Button] = {
    "content_sync": Button(
        "Run content sync", "sync (+ embeddings)", False, lambda _: catalog_services.content_sync_enqueue(full=False)
    ),
    "reembed_all": Button(
        "Re-embed the whole catalog", "embeddings", False, lambda _: catalog_services.catalog_reembed_all()
    ),
    "train": Button("Train the engine", "recsys", False, lambda _: recsys_services.engine_train_enqueue()),
    "rescore_all": Button(
        "Rescore every viewer",
        "recsys",
        False,
        lambda _: recsys_services.users_recommendations_refresh_enqueue(user_ids=users_selectors.user_ids_connected()),
    ),
    "sync_viewer": Button("Sync one viewer", "sync", True, _viewer_sync),
    "rewrite_lists": Button("Rewrite one viewer's lists", "trakt_lists", True, _viewer_lists_rewrite),
}


def tasks_queued(run: Callable[[], object]) -> int:
    """Run ``run`` in a transaction and count the tasks it queued (each enqueue is one on-commit hook:
    HOUSE_STYLE rule 15), so the message says what really went to the broker."""
    with transaction.atomic():
        before = len(connection.run_on_commit)
        run()
        return len(connection.run_on_commit) - before


def operations_view(request: HttpRequest) -> HttpResponse:
    if not staff_may(request, StaffAction.OPERATE):
        raise PermissionDenied("The Operations page needs the reclio.operate permission.")
    if request.method == "POST":
        return _button_pressed(request)
    context = {
        **admin.site.each_context(request),
        "title": "Operations",
        "ops": operations_overview(),
        "buttons": BUTTONS,
    }
    return render(request, "admin/operations.html", context)


def _button_pressed(request: HttpRequest) -> HttpResponse:
    back = HttpResponseRedirect(reverse("admin-operations"))
    button = BUTTONS.get(request.POST.get("action", ""))
    if button is None:
        messages.error(request, "Unknown action.")
        return back
    viewer: str | None = None
    if button.needs_viewer:
        viewer = _viewer_id(request.POST.get("viewer", ""))
        if viewer is None:
            messages.error(request, f"{button.label}: no viewer with that id or Trakt username.")
            return back
    count = tasks_queued(lambda: button.run(viewer))
    messages.success(request, f"{button.label}: queued {count} task(s) ({button.queue}).")
    return back


def _viewer_id(text: str) -> str | None:
    text = text.strip()
    try:
        user = users_selectors.user_get(user_id=uuid.UUID(text))
    except ValueError:
        user = users_selectors.user_by_trakt_username(username=text) if text else None
    return str(user.pk) if user is not None else None
