"""Operator endpoints of the catalog (X-Admin-Token)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from admin_tools.apis import AdminApiView
from catalog.selectors import content_sync_runs_recent
from catalog.services import content_sync_enqueue


class ContentSyncRunApi(AdminApiView):
    """Queue the content sync: the same task (and service) the daily 03:00 beat entry runs.

    Answers 202 at once; the run takes minutes. Its summary lands in the Django admin
    (/staff/catalog/contentsyncrun/) and in ``last_runs`` of the next call.
    """

    class InputSerializer(serializers.Serializer):
        full = serializers.BooleanField(default=False, help_text="re-fetch every title, not only changes")

    class RunSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        mode = serializers.CharField()
        status = serializers.CharField()
        started_at = serializers.DateTimeField()
        finished_at = serializers.DateTimeField(allow_null=True)
        fetched = serializers.IntegerField()
        created = serializers.IntegerField()
        updated = serializers.IntegerField()
        refreshed = serializers.IntegerField()
        unchanged = serializers.IntegerField()
        gone = serializers.IntegerField()
        failed = serializers.IntegerField()
        requests = serializers.IntegerField()
        detail = serializers.CharField()

    class OutputSerializer(serializers.Serializer):
        queued = serializers.BooleanField()
        full = serializers.BooleanField()
        reembed_queued = serializers.IntegerField(help_text="stale rows queued for (re-)embedding")
        last_runs = serializers.ListField(child=serializers.DictField())

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer})
    def post(self, request: Request) -> Response:
        full = self.input_validated(self.InputSerializer, request.data)["full"]
        reembed_queued = content_sync_enqueue(full=full)
        runs = self.RunSerializer(content_sync_runs_recent(limit=5), many=True).data
        payload = {"queued": True, "full": full, "reembed_queued": reembed_queued, "last_runs": runs}
        return Response(self.OutputSerializer(payload).data, status=status.HTTP_202_ACCEPTED)
