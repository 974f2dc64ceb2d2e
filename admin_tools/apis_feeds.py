"""Operator endpoints for feeds (X-Admin-Token): what a user's ten rows are and why; refresh them."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from admin_tools.apis import AdminApiView
from feeds.contracts import hint_parse
from feeds.selectors import prepared_feeds_get
from feeds.services import feed_refresh_enqueue
from reclio.exceptions import NotFoundError
from users import selectors as users_selectors


class FeedsPreparedApi(AdminApiView):
    """The served document of one user, with each row's titles, their origin, and notes."""

    @extend_schema_serializer(component_name="AdminFeedsPrepared")
    class OutputSerializer(serializers.Serializer):
        user_id = serializers.UUIDField()
        trakt_username = serializers.CharField()
        computed_at = serializers.DateTimeField()
        duration_ms = serializers.IntegerField()
        anchors = serializers.DictField()
        last_hint = serializers.CharField()
        problems = serializers.DictField()
        feeds = serializers.ListField(child=serializers.DictField())
        rows = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        prepared = prepared_feeds_get(user_id=str(user_id))
        if prepared is None:
            raise NotFoundError("no prepared rows for this user")
        return Response(self.OutputSerializer(prepared).data)


class FeedsRefreshApi(AdminApiView):
    """Queue a recomputation of one user's rows (optionally anchored on a last_watched hint)."""

    @extend_schema_serializer(component_name="AdminFeedsRefreshInput")
    class InputSerializer(serializers.Serializer):
        last_watched = serializers.CharField(required=False, allow_blank=True, max_length=32)

        def validate_last_watched(self, value: str) -> str | None:
            if value and hint_parse(value) is None:
                raise serializers.ValidationError("expected movie:<tmdb_id> or show:<tmdb_id>")
            return value or None

    @extend_schema_serializer(component_name="AdminFeedsRefreshOutput")
    class OutputSerializer(serializers.Serializer):
        queued = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer})
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        data = self.input_validated(self.InputSerializer, request.data)
        if users_selectors.user_get(user_id=user_id) is None:
            raise NotFoundError("no viewer with this id")
        queued = feed_refresh_enqueue(user_id=str(user_id), last_watched=data.get("last_watched"), reason="admin_api")
        return Response(self.OutputSerializer({"queued": queued}).data, status=status.HTTP_202_ACCEPTED)
