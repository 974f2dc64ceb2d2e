"""The connect pages, included at /connect/ by reclio/urls.py."""

from __future__ import annotations

from django.urls import path

from users import views

app_name = "users"

urlpatterns = [
    path("trakt", views.TraktConnectView.as_view(), name="connect-trakt"),
    path("trakt/callback", views.TraktCallbackView.as_view(), name="connect-trakt-callback"),
    path("trakt/done", views.TraktConnectedView.as_view(), name="connect-trakt-done"),
]
