"""Admin for viewers, their interactions and managed lists. Tokens are never shown (not even encrypted)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from reclio.staff import StaffActionsMixin
from users import services
from users.contracts import ListState
from users.models import Interaction, InviteCode, ManagedList, PendingInteraction, User, UserSyncRun


class ManagedListInline(admin.TabularInline):
    model = ManagedList
    extra = 0
    can_delete = False
    fields = ("key", "name", "trakt_list_id", "state", "detail", "items", "last_written_at")
    readonly_fields = fields

    @admin.display(description="items")
    def items(self, obj: ManagedList) -> int:
        return obj.item_count

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ListLimitFilter(admin.SimpleListFilter):
    title = "Trakt lists"
    parameter_name = "lists"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(ListState.LIMIT_REACHED, ListState.LIMIT_REACHED.label), (ListState.ERROR, "List write error")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in (ListState.LIMIT_REACHED, ListState.ERROR):
            return queryset.filter(managed_lists__state=self.value()).distinct()
        return queryset


@admin.register(User)
class UserAdmin(StaffActionsMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "trakt_username",
        "connection_state",
        "sync_bucket",
        "interaction_count",
        "last_history_sync",
        "next_sync_at",
        "feed_hits_per_day",
        "list_status",
    )
    list_filter = ("connection_state", "sync_bucket", ListLimitFilter, "trakt_vip")
    search_fields = ("trakt_username", "trakt_slug", "display_name", "=id")
    # Token columns are not editable=True, so no form shows them; this list is explicit anyway.
    fields = (
        "id",
        "trakt_username",
        "trakt_slug",
        "display_name",
        "timezone",
        "trakt_vip",
        "connection_state",
        "connection_detail",
        "token_expires_at",
        "last_history_sync",
        "last_full_sync",
        "last_trakt_activity_at",
        "next_sync_at",
        "sync_bucket",
        "last_sync_error",
        "sync_runs",
        "feed_hits_total",
        "feed_hits_per_day",
        "last_feed_hit_at",
        "list_limit",
        "list_item_limit",
        "limits_checked_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = tuple(f for f in fields if f not in ("display_name", "timezone", "connection_state"))
    inlines = [ManagedListInline]
    actions = ["sync_now", "full_sync_now", "rewrite_lists_now", "disconnect"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .defer("last_activities", "access_token_encrypted", "refresh_token_encrypted")
            .annotate(_interactions=Count("interactions", distinct=True))
            .prefetch_related("managed_lists")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # viewers are created by connecting Trakt

    @admin.display(description="interactions", ordering="_interactions")
    def interaction_count(self, obj: User) -> int:
        return obj._interactions  # type: ignore[attr-defined]

    @admin.display(description="sync runs")
    def sync_runs(self, obj: User) -> str:
        url = reverse("admin:users_usersyncrun_changelist") + f"?user__id__exact={obj.pk}"
        return format_html('<a href="{}">{} recent syncs</a>', url, obj.sync_runs.count())

    @admin.display(description="lists")
    def list_status(self, obj: User) -> str:
        rows = list(obj.managed_lists.all())
        if not rows:
            return "–"
        if any(row.state == ListState.LIMIT_REACHED for row in rows):
            return ListState.LIMIT_REACHED.label
        if any(row.state == ListState.ERROR for row in rows):
            return "error"
        return f"{len(rows)} ok"

    @admin.action(description="Sync from Trakt now", permissions=("sync_viewers",))
    def sync_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.users_sync_enqueue(user_ids=[str(pk) for pk in queryset.values_list("pk", flat=True)])
        self.message_user(request, f"Queued a Trakt sync for {count} user(s).", messages.SUCCESS)

    @admin.action(description="Full sync from Trakt now (reconcile removals)", permissions=("sync_viewers",))
    def full_sync_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.users_sync_enqueue(
            user_ids=[str(pk) for pk in queryset.values_list("pk", flat=True)], full=True
        )
        self.message_user(request, f"Queued a full Trakt sync for {count} user(s).", messages.SUCCESS)

    @admin.action(description="Rewrite Trakt lists now", permissions=("sync_viewers",))
    def rewrite_lists_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.user_lists_rewrite_request(user_ids=[str(pk) for pk in queryset.values_list("pk", flat=True)])
        self.message_user(request, f"Queued a list rewrite for {count} user(s).", messages.SUCCESS)

    @admin.action(
        description="Disconnect from Trakt (forget tokens, keep history)", permissions=("disconnect_viewers",)
    )
    def disconnect(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = sum(services.user_disconnect(user_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"Disconnected {count} user(s).", messages.SUCCESS)


class EstimatedCountPaginator(Paginator):
    """Unfiltered changelists use PostgreSQL's row estimate: COUNT(*) over millions of rows is slow."""

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [Interaction._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] and row[0] > 10_000:
                return int(row[0])
        return super().count


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "user", "item", "kind", "value", "source")
    list_filter = ("kind", "source")
    search_fields = ("=user__id", "user__trakt_username", "=item__item_id")
    raw_id_fields = ("user", "item")
    list_select_related = ("user", "item")
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    date_hierarchy = None
    ordering = ("-occurred_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Only what the changelist shows: never the catalog's vector and large JSON columns.
        return (
            super()
            .get_queryset(request)
            .select_related("user", "item")
            .only(
                "id",
                "kind",
                "value",
                "occurred_at",
                "source",
                "user__id",
                "user__trakt_username",
                "user__display_name",
                "item__item_id",
                "item__title",
                "item__year",
            )
        )


@admin.register(ManagedList)
class ManagedListAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "key", "state", "trakt_list_id", "items", "last_written_at")
    list_filter = ("state", "key")
    search_fields = ("name", "user__trakt_username", "=user__id")
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "key",
        "name",
        "description",
        "trakt_list_id",
        "trakt_slug",
        "item_ids",
        "state",
        "detail",
        "last_written_at",
    )

    @admin.display(description="items")
    def items(self, obj: ManagedList) -> int:
        return obj.item_count

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PendingInteraction)
class PendingInteractionAdmin(admin.ModelAdmin):
    list_display = ("user", "media_type", "tmdb_id", "kind", "occurred_at", "attempts")
    list_filter = ("kind", "media_type")
    search_fields = ("=user__id", "user__trakt_username", "=tmdb_id")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(UserSyncRun)
class UserSyncRunAdmin(admin.ModelAdmin):
    """Every viewer's recent Trakt syncs (read only): what each stored, or why it failed."""

    list_display = ("started_at", "user", "status", "changed", "full", "stored", "requests", "error")
    list_filter = ("status", "changed", "full")
    search_fields = ("user__trakt_username", "=user__id")
    list_select_related = ("user",)
    date_hierarchy = "started_at"
    ordering = ("-started_at",)
    readonly_fields = [field.name for field in UserSyncRun._meta.fields]

    @admin.display(description="stored")
    def stored(self, obj: UserSyncRun) -> str:
        stored = {name: count for name, count in obj.counts.items() if count}
        return ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in stored.items()) or "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InviteCode)
class InviteCodeAdmin(admin.ModelAdmin):
    """Invite links for ``SIGNUPS=invite``: add one, send its link, revoke it when it should stop working."""

    list_display = ("__str__", "status", "uses", "uses_allowed", "expires_at", "last_used_at", "created_at")
    list_filter = ("revoked",)
    search_fields = ("note", "=code")
    fields = ("code", "note", "uses_allowed", "expires_at", "revoked", "uses", "last_used_at", "link", "created_at")
    readonly_fields = ("code", "uses", "last_used_at", "link", "created_at")
    actions = ["revoke"]

    @admin.display(description="status")
    def status(self, obj: InviteCode) -> str:
        return obj.refusal(now=timezone.now()) or "usable"

    @admin.display(description="invite link (send this)")
    def link(self, obj: InviteCode) -> str:
        if obj.pk is None:
            return "shown once saved"
        return f"{settings.BASE_URL}/connect/trakt?invite={obj.code}"

    @admin.action(description="Revoke (the link stops working)", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.invites_revoke(invite_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Revoked {count} invite(s).", messages.SUCCESS)
