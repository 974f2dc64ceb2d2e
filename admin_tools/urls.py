"""Operator API, mounted at /admin/ (X-Admin-Token). The Django admin site lives at /staff/."""

from __future__ import annotations

from django.urls import path

from admin_tools import apis, apis_catalog, apis_embeddings, apis_feeds, apis_ops, apis_recombee, apis_users

app_name = "admin_api"

urlpatterns = [
    path("health", apis.AdminHealthApi.as_view(), name="health"),
    path("status", apis.AdminStatusApi.as_view(), name="status"),
    path("recombee/diagnose", apis_recombee.RecombeeDiagnoseApi.as_view(), name="recombee-diagnose"),
    path("users/<str:user_id>", apis_users.AdminUserStatusApi.as_view(), name="user-status"),
    path("users/<str:user_id>/sync", apis_users.AdminUserSyncApi.as_view(), name="user-sync"),
    path("users/<str:user_id>/lists/rewrite", apis_users.AdminUserListsRewriteApi.as_view(), name="user-lists-rewrite"),
    path("sync/user/<str:user_id>", apis_ops.AdminSyncUserApi.as_view(), name="sync-user"),
    path("engine/preview/<str:user_id>", apis_ops.EnginePreviewApi.as_view(), name="engine-preview"),
    path("health/history", apis_ops.HealthHistoryApi.as_view(), name="health-history"),
    path("health/run", apis_ops.HealthRunApi.as_view(), name="health-run"),
    path("eval", apis_ops.EvaluationApi.as_view(), name="eval"),
    path("selftest", apis_ops.SelftestApi.as_view(), name="selftest"),
    path("sync/content", apis_catalog.ContentSyncRunApi.as_view(), name="sync-content"),
    path("feeds/<uuid:user_id>", apis_feeds.FeedsPreparedApi.as_view(), name="feeds-prepared"),
    path("feeds/<uuid:user_id>/refresh", apis_feeds.FeedsRefreshApi.as_view(), name="feeds-refresh"),
    path("similar/<str:item_id>", apis_embeddings.AdminSimilarItemsApi.as_view(), name="similar-items"),
]
