from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from feeds.models import PreparedFeeds, ServedTitle
from feeds.selectors import feed_rows_view
from feeds.services import feed_refresh_enqueue_many
from reclio.staff import StaffActionsMixin


class HasProblemsFilter(admin.SimpleListFilter):
    title = "last refresh"
    parameter_name = "problems"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "had problems"), ("no", "clean")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(problems={})
        if self.value() == "no":
            return queryset.filter(problems={})
        return queryset


@admin.register(PreparedFeeds)
class PreparedFeedsAdmin(StaffActionsMixin, admin.ModelAdmin):
    list_display = ("user_id", "trakt_username", "anchor_movie", "anchor_show", "computed_at", "duration_ms", "clean")
    list_filter = (HasProblemsFilter,)
    search_fields = ("=user_id", "trakt_username")
    ordering = ("-computed_at",)
    readonly_fields = ["chillio_view", *(field.name for field in PreparedFeeds._meta.fields)]
    actions = ["refresh_rows"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        # The served document and per-row titles are large JSON; the changelist shows neither.
        url_name = request.resolver_match.url_name if request.resolver_match else None
        if url_name and url_name.endswith("changelist"):
            queryset = queryset.defer("feeds", "rows")
        return queryset

    @admin.display(description="because watched (movie)")
    def anchor_movie(self, obj: PreparedFeeds) -> str:
        return (obj.anchors or {}).get("movie") or "—"

    @admin.display(description="because watched (show)")
    def anchor_show(self, obj: PreparedFeeds) -> str:
        return (obj.anchors or {}).get("tv") or "—"

    @admin.display(description="what Chillio would show")
    def chillio_view(self, obj: PreparedFeeds) -> str:
        rows = format_html_join(
            "",
            "<li><strong>{}</strong> <small>({}, {})</small> {}<br>{}</li>",
            (
                (
                    row.title,
                    row.source,
                    row.content_type,
                    format_html("<em>{}</em>", row.blurb) if row.blurb else "",
                    format_html_join(" · ", "{} <small>[{}]</small>", row.titles)
                    if row.titles
                    else format_html("TMDB query <code>{}</code>", row.query),
                )
                for row in feed_rows_view(prepared=obj)
            ),
        )
        return format_html("<ol>{}</ol>", rows)

    @admin.display(boolean=True, description="clean")
    def clean(self, obj: PreparedFeeds) -> bool:
        return not obj.problems

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows are computed by the refresh task, never typed in

    @admin.action(description="Recompute rows (enqueue a refresh)", permissions=("refresh_feeds",))
    def refresh_rows(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = feed_refresh_enqueue_many(
            user_ids=[str(pk) for pk in queryset.values_list("user_id", flat=True)], reason="admin"
        )
        level = messages.SUCCESS if count else messages.WARNING
        self.message_user(request, f"Queued a refresh for {count} user(s).", level=level)


class HitFilter(admin.SimpleListFilter):
    title = "watched"
    parameter_name = "hit"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "hit (watched after serving)"), ("no", "not watched")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(watched_at__isnull=self.value() == "no")
        return queryset


@admin.register(ServedTitle)
class ServedTitleAdmin(admin.ModelAdmin):
    """What Reclio served in its own rows and whether it was watched (the hit rate's raw rows); read-only."""

    list_display = ("user_id", "row_key", "item_id", "position", "first_served_at", "last_served_at", "watched_at")
    list_filter = ("row_key", HitFilter)
    search_fields = ("item_id",)
    date_hierarchy = "first_served_at"
    ordering = ("-last_served_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
