"""Operator API, mounted at /admin/ (X-Admin-Token). The Django admin site lives at /staff/."""

from __future__ import annotations

from django.urls import path

from admin_tools import apis, apis_catalog

app_name = "admin_api"

urlpatterns = [
    path("status", apis.AdminStatusApi.as_view(), name="status"),
    path("sync/content", apis_catalog.ContentSyncRunApi.as_view(), name="sync-content"),
]
