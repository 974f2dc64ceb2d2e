"""Admin for stored picks and engine state. Actions only enqueue; the work runs on the recsys queue."""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from reclio.staff import StaffActionsMixin
from recsys.models import EngineState, Recommendation


@admin.register(Recommendation)
class RecommendationAdmin(StaffActionsMixin, admin.ModelAdmin):
    list_display = ("user_id", "media_type", "rank", "item", "score", "source", "reason", "created_at")
    list_filter = ("media_type", "source")
    search_fields = ("user_id__exact", "item__item_id", "item__title")
    raw_id_fields = ("item",)
    list_select_related = ("item",)
    ordering = ("user_id", "media_type", "rank")
    actions = ("rescore_users",)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        # user_id is a UUID column: an exact lookup with a non-UUID term would raise, so only a
        # UUID-shaped query searches it.
        try:
            uuid.UUID(request.GET.get("q", "").strip())
        except ValueError:
            return ("item__item_id", "item__title")
        return self.search_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The vector and long text columns of the catalog row are never shown here.
        return super().get_queryset(request).defer("item__embedding", "item__overview", "item__keywords")

    @admin.action(description="Rescore the selected users' picks", permissions=("run_engine",))
    def rescore_users(self, request: HttpRequest, queryset: QuerySet) -> None:
        from recsys.services import users_recommendations_refresh_enqueue

        user_ids = sorted({str(u) for u in queryset.values_list("user_id", flat=True)})
        with transaction.atomic():
            users_recommendations_refresh_enqueue(user_ids=user_ids)
        self.message_user(request, f"Queued rescoring for {len(user_ids)} user(s).", messages.SUCCESS)


@admin.register(EngineState)
class EngineStateAdmin(StaffActionsMixin, admin.ModelAdmin):
    list_display = ("key", "updated_at")
    search_fields = ("key",)
    readonly_fields = ("key", "value", "updated_at")
    actions = ("train_now",)

    @admin.action(description="Train the local engine now", permissions=("run_engine",))
    def train_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        from recsys.services import engine_train_enqueue

        engine_train_enqueue()  # the same path as the Operations page's "Train the engine"
        self.message_user(request, "Queued a training run on the recsys queue.", messages.SUCCESS)
