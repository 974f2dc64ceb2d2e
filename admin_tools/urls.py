"""Operator API, mounted at /admin/ (X-Admin-Token). The Django admin site lives at /staff/."""

from __future__ import annotations

from django.urls import path

from admin_tools import apis, apis_feeds

app_name = "admin_api"

urlpatterns = [
    path("status", apis.AdminStatusApi.as_view(), name="status"),
    path("feeds/<uuid:user_id>", apis_feeds.FeedsPreparedApi.as_view(), name="feeds-prepared"),
    path("feeds/<uuid:user_id>/refresh", apis_feeds.FeedsRefreshApi.as_view(), name="feeds-refresh"),
]
