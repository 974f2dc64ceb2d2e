"""``/health`` at the URL root (liveness for load balancers and compose). Included by ``reclio.urls``
by dotted path, so the project package never imports an app above it."""

from __future__ import annotations

from django.urls import path

from admin_tools.apis import HealthApi

urlpatterns = [
    path("health", HealthApi.as_view(), name="health"),
]
