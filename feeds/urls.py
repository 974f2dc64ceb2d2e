"""ChillLink URLs. The addon URL a viewer pastes is ``{BASE_URL}/?user_id=<uuid>``: the root answers
with the manifest, like /manifest, so a client probing the addon URL itself gets something valid."""

from __future__ import annotations

from django.urls import path, re_path

from feeds import apis

urlpatterns = [
    path("", apis.ManifestApi.as_view(), name="chilllink-root"),
    re_path(r"^manifest/?$", apis.ManifestApi.as_view(), name="chilllink-manifest"),
    re_path(r"^feeds/?$", apis.FeedsApi.as_view(), name="chilllink-feeds"),
]
