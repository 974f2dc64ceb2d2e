"""Catalog admin: browse titles (read-only), refresh from TMDB, re-embed, and see/run content syncs."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from catalog.embedding.text import item_embedding_text
from catalog.models import ContentItem, ContentSyncRun
from catalog.services import catalog_items_reembed, catalog_items_refresh_enqueue, content_sync_enqueue
from catalog.services.sync import RUN_TITLE_COUNTS
from reclio.staff import StaffAction, StaffActionsMixin, staff_may

# Never load these in the changelist: the vector is kilobytes per row, the texts are long.
TMDB_ID_TERM = re.compile(r"-?[0-9]{1,10}")  # a bare TMDB id (negative: Netflix-only titles)
CHANGELIST_DEFERRED = ("embedding", "overview", "tagline", "cast", "keywords", "genres", "genre_ids")


class EmbeddingModelFilter(admin.SimpleListFilter):
    title = "embedding model"
    parameter_name = "embedding_model"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        models = (
            ContentItem.objects.exclude(embedding_model="")
            .order_by("embedding_model")
            .values_list("embedding_model", flat=True)
            .distinct()
        )
        return [("__none__", "(not embedded)"), *((name, name) for name in models)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ContentItem]) -> QuerySet[ContentItem]:
        value = self.value()
        if value == "__none__":
            return queryset.filter(embedding_model="")
        if value:
            return queryset.filter(embedding_model=value)
        return queryset


class EmbeddingDimFilter(admin.SimpleListFilter):
    title = "embedding dimension"
    parameter_name = "embedding_dim"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        dims = (
            ContentItem.objects.exclude(embedding_dim=None)
            .order_by("embedding_dim")
            .values_list("embedding_dim", flat=True)
            .distinct()
        )
        return [(str(dim), str(dim)) for dim in dims]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ContentItem]) -> QuerySet[ContentItem]:
        value = self.value()
        return queryset.filter(embedding_dim=int(value)) if value and value.isdigit() else queryset


@admin.register(ContentItem)
class ContentItemAdmin(StaffActionsMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "item_id",
        "media_type",
        "year",
        "popularity",
        "embedding_model",
        "embedding_dim",
        "recombee_synced",
        "tmdb_status",
        "updated_at",
    )
    list_filter = ("media_type", EmbeddingModelFilter, EmbeddingDimFilter, "recombee_synced", "tmdb_status")
    search_fields = ("title", "original_title", "=item_id")
    search_help_text = "Title, or an id: movie_603, tv_1399, or a bare TMDB number."
    ordering = ("-popularity",)
    list_per_page = 100
    show_full_result_count = False  # COUNT(*) over a large catalog on every search is not worth it
    actions = ("refresh_from_tmdb", "reembed")
    fields = (
        "item_id",
        "tmdb_id",
        "media_type",
        "title",
        "original_title",
        "original_language",
        "tagline",
        "overview",
        "genres",
        "keywords",
        "year",
        "release_date",
        "vote_average",
        "vote_count",
        "popularity",
        "cast",
        "director",
        "poster",
        "adult",
        "tmdb_status",
        "tmdb_confirmed_at",
        "requested_at",
        "embedding_text",
        "source_hash",
        "embedding_source_hash",
        "embedding_model",
        "embedding_dim",
        "recombee_synced",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContentItem]:
        queryset = super().get_queryset(request)
        if request.resolver_match and (request.resolver_match.url_name or "").endswith("_changelist"):
            return queryset.defer(*CHANGELIST_DEFERRED)
        return queryset.defer("embedding")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ContentItem], search_term: str
    ) -> tuple[QuerySet[ContentItem], bool]:
        term = search_term.strip()
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses (a 500, before).
        if TMDB_ID_TERM.fullmatch(term):
            return queryset.filter(tmdb_id=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # rows are written by the sync and importers only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleting would orphan users' history; a title TMDB lost is marked "gone"

    @admin.display(description="embedding text")
    def embedding_text(self, obj: ContentItem) -> str:
        text = item_embedding_text(
            title=obj.title,
            tagline=obj.tagline,
            overview=obj.overview,
            genre_names=[genre.get("name", "") for genre in obj.genres],
            keywords=obj.keywords,
        )
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    @admin.display(description="poster")
    def poster(self, obj: ContentItem) -> str:
        if not obj.poster_path:
            return "-"
        # https://developer.themoviedb.org/docs/image-basics
        url = f"https://image.tmdb.org/t/p/w185{obj.poster_path}"
        return format_html('<a href="{}">{}</a>', url, obj.poster_path)

    @admin.action(description="Refresh from TMDB", permissions=("run_catalog_jobs",))
    def refresh_from_tmdb(self, request: HttpRequest, queryset: QuerySet[ContentItem]) -> None:
        selected = list(queryset.values_list("item_id", flat=True))
        queued = catalog_items_refresh_enqueue(item_ids=selected)
        if queued:
            self.message_user(request, f"Queued {queued} title(s) for a refresh from TMDB.", messages.SUCCESS)
        if queued < len(selected):
            self.message_user(
                request,
                f"{len(selected) - queued} title(s) have no TMDB id (offline-only rows) and were not queued.",
                messages.WARNING,
            )

    @admin.action(description="Re-embed", permissions=("run_catalog_jobs",))
    def reembed(self, request: HttpRequest, queryset: QuerySet[ContentItem]) -> None:
        selected = list(queryset.values_list("item_id", flat=True))
        queued = catalog_items_reembed(item_ids=selected)
        level = messages.SUCCESS if queued else messages.WARNING
        self.message_user(request, f"Queued {queued} of {len(selected)} title(s) for re-embedding.", level)


@admin.register(ContentSyncRun)
class ContentSyncRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "mode", "status", *RUN_TITLE_COUNTS, "requests", "duration", "why")
    list_filter = ("status", "mode")
    date_hierarchy = "started_at"
    change_list_template = "admin/catalog/contentsyncrun/change_list.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in ContentSyncRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="duration")
    def duration(self, obj: ContentSyncRun) -> str:
        if not obj.finished_at:
            return "-"
        return f"{(obj.finished_at - obj.started_at).total_seconds():.1f}s"

    @admin.display(description="detail")
    def why(self, obj: ContentSyncRun) -> str:
        # Why a run failed or was skipped, e.g. "interrupted: …" for a run whose worker was killed.
        return obj.detail[:120]

    def get_urls(self) -> list:
        return [
            path("run/", self.admin_site.admin_view(self.run_now_view), name="catalog_contentsyncrun_run"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # The "run now" buttons are shown only to staff who may press them.
        context = {**(extra_context or {}), "may_run_catalog_jobs": staff_may(request, StaffAction.RUN_CATALOG_JOBS)}
        return super().changelist_view(request, extra_context=context)

    def run_now_view(self, request: HttpRequest) -> HttpResponse:
        """The "Run content sync now" button: queue the same task beat runs."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not staff_may(request, StaffAction.RUN_CATALOG_JOBS):
            return HttpResponseForbidden("You may not start a content sync: it needs the run_catalog_jobs permission.")
        full = request.POST.get("full") == "1"
        content_sync_enqueue(full=full)
        messages.success(request, f"Queued a {'full' if full else 'incremental'} content sync on the sync queue.")
        return HttpResponseRedirect(reverse("admin:catalog_contentsyncrun_changelist"))
