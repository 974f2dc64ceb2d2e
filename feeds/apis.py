"""ChillLink endpoints: GET /manifest and GET /feeds (../shared/api/README.md, "ChillLink").

No authentication: Chillio identifies the viewer by the ``user_id`` in the addon URL. Neither view
validates its query with a serializer that could answer 400: Chillio cannot show an error, so a
malformed parameter is ignored (``feeds.selectors.feed_request_parse``) and the response is always
a valid document. The output serializers below describe the shape for the OpenAPI schema only; the
selectors already return that shape and re-serialising it would cost every request.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feeds.documents import DEFAULT_BODY
from feeds.selectors import feed_body, feed_request_parse, manifest
from reclio.plainviews import PlainApiView

logger = logging.getLogger(__name__)


class ManifestApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema_serializer(component_name="ChillLinkManifest")
    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField()
        version = serializers.CharField()
        name = serializers.CharField()
        description = serializers.CharField()
        supported_endpoints = serializers.DictField(child=serializers.CharField(allow_null=True))

    @extend_schema(responses=OutputSerializer, auth=[], summary="ChillLink manifest")
    def get(self, request: Request) -> Response:
        return Response(manifest())


@extend_schema_serializer(component_name="ChillLinkFeed")
class FeedSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    source = serializers.ChoiceField(choices=["trakt_list", "tmdb_query"])  # type: ignore[assignment]  # a declared field, not Field.source: DRF's metaclass pops it
    source_metadata = serializers.DictField(help_text='{"id": <Trakt list id>} or {"path": ..., "parameters": ...}')
    content_type = serializers.ChoiceField(choices=["movies", "shows", "all"])
    blurb = serializers.CharField(required=False)


class FeedsApi(PlainApiView):
    """Described by DRF for the schema, served by plain Django (reclio/plainviews.py): the body is the
    stored ready-to-send bytes, so nothing is parsed, validated or rendered per request."""

    @extend_schema_serializer(component_name="ChillLinkFeeds")
    class OutputSerializer(serializers.Serializer):
        feeds = FeedSerializer(many=True)

    @extend_schema(
        responses=OutputSerializer,
        auth=[],
        summary="ChillLink feeds: ten rows, always 200",
        parameters=[
            OpenApiParameter("user_id", str, description="Reclio user UUID (from the addon URL)"),
            OpenApiParameter(
                "username",
                str,
                description="Trakt username: read-only rows when user_id is absent and FEEDS_USERNAME_FALLBACK is on",
            ),
            OpenApiParameter("session_id", str, description="opaque Chillio client id (ignored)"),
            OpenApiParameter("last_watched", str, description="movie:<tmdb_id> or show:<tmdb_id>"),
        ],
    )
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            body = feed_body(feed_request_parse(request.GET))
        except Exception:  # the selector never raises; this guards the view itself
            logger.exception("feeds_default_served reason=view_error")
            body = DEFAULT_BODY
        response = HttpResponse(body, content_type="application/json")
        # Set here because CommonMiddleware, which would, is skipped on this path; without it a WSGI
        # server may fall back to chunked encoding.
        response.headers["Content-Length"] = str(len(body))
        return response
