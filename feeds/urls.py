"""ChillLink URLs. The addon URL a viewer pastes is ``{BASE_URL}/?user_id=<uuid>``: the root answers
with the manifest, like /manifest, so a client probing the addon URL itself gets something valid.
The trailing-slash forms are served too (no redirect: a redirect is one more round trip for Chillio)."""

from __future__ import annotations

from django.urls import path

from feeds import apis

urlpatterns = [
    path("", apis.ManifestApi.as_view(), name="chilllink-root"),
    path("manifest", apis.ManifestApi.as_view(), name="chilllink-manifest"),
    path("manifest/", apis.ManifestApi.as_view()),
    path("feeds", apis.FeedsApi.as_view(), name="chilllink-feeds"),
    path("feeds/", apis.FeedsApi.as_view()),
]
