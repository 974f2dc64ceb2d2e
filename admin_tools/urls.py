"""Operator API, mounted at /admin/ (X-Admin-Token). The Django admin site lives at /staff/."""

from __future__ import annotations

from django.urls import path

from admin_tools import apis, apis_embeddings

app_name = "admin_api"

urlpatterns = [
    path("status", apis.AdminStatusApi.as_view(), name="status"),
    path("similar/<str:item_id>", apis_embeddings.AdminSimilarItemsApi.as_view(), name="similar-items"),
]
