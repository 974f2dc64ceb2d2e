"""Operator endpoints for running the install (X-Admin-Token), the ones migrating operators expect.

| method | path                                   | what                                                   |
|--------|----------------------------------------|--------------------------------------------------------|
| POST   | /admin/sync/user/<id>                  | queue a Trakt sync (alias of /admin/users/<id>/sync)   |
| GET    | /admin/engine/preview/<user_id>?count= | score a viewer now (nothing stored): score, reason, source |
| GET    | /admin/health/history                  | the last 48 stored health checks                       |
| POST   | /admin/health/run                      | queue a health check now (202)                         |
| GET    | /admin/eval                            | the latest offline evaluation table                    |
| GET    | /admin/selftest                        | database, broker, a worker per queue, embeddings, /feeds |
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from admin_tools.apis import AdminApiView, ProbeResultSerializer
from admin_tools.apis_users import AdminUserSyncApi, _user_or_404
from admin_tools.selectors import health_snapshot_list
from admin_tools.services import health_check_enqueue, selftest_run
from recsys import selectors as recsys_selectors
from recsys import services as recsys_services


class AdminSyncUserApi(AdminUserSyncApi):
    """Alias of ``POST /admin/users/<id>/sync`` under the path migrating operators know."""


class EnginePreviewApi(AdminApiView):
    """What the recommender would pick for a viewer right now, without storing anything."""

    @extend_schema_serializer(component_name="AdminEnginePreviewQuery")
    class InputSerializer(serializers.Serializer):
        count = serializers.IntegerField(min_value=1, max_value=200, default=20)

    @extend_schema_serializer(component_name="AdminEnginePick")
    class PickSerializer(serializers.Serializer):
        item_id = serializers.CharField()
        score = serializers.FloatField()
        reason = serializers.CharField(allow_blank=True)
        source = serializers.CharField(allow_blank=True)  # type: ignore[assignment]  # a declared field, not Field.source

    @extend_schema_serializer(component_name="AdminEnginePreview")
    class OutputSerializer(serializers.Serializer):
        user_id = serializers.UUIDField()
        live = serializers.BooleanField(help_text="false: the backend is unavailable; these are the stored picks")
        picks = serializers.DictField(child=serializers.ListField(child=serializers.DictField()))

    @extend_schema(parameters=[InputSerializer], responses=OutputSerializer)
    def get(self, request: Request, user_id: str) -> Response:
        params = self.input_validated(self.InputSerializer, request.query_params)
        user = _user_or_404(user_id)
        live, picks = recsys_services.user_recommendations_preview(user_id=str(user.pk), count=params["count"])
        payload = {
            "user_id": user.pk,
            "live": live,
            "picks": {media: self.PickSerializer(items, many=True).data for media, items in picks.items()},
        }
        return Response(self.OutputSerializer(payload).data)


@extend_schema_serializer(component_name="AdminHealthSnapshot")
class HealthSnapshotSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    ok = serializers.BooleanField()
    degraded = serializers.ListField(child=serializers.CharField())
    checks = ProbeResultSerializer(many=True)


class HealthHistoryApi(AdminApiView):
    """The last 48 stored health checks (hourly: two days), newest first."""

    @extend_schema_serializer(component_name="AdminHealthHistory")
    class OutputSerializer(serializers.Serializer):
        snapshots = HealthSnapshotSerializer(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer({"snapshots": health_snapshot_list(limit=48)}).data)


class HealthRunApi(AdminApiView):
    """Queue a health check now (the hourly task's run); its snapshot appears in /admin/health/history."""

    @extend_schema_serializer(component_name="AdminHealthRun")
    class OutputSerializer(serializers.Serializer):
        queued = serializers.IntegerField()

    @extend_schema(request=None, responses={202: OutputSerializer})
    def post(self, request: Request) -> Response:
        return Response(self.OutputSerializer({"queued": health_check_enqueue()}).data, status=status.HTTP_202_ACCEPTED)


class EvaluationApi(AdminApiView):
    """The newest table ``manage.py evaluate`` wrote (empty rows when it never ran), and the engine's tuning."""

    @extend_schema_serializer(component_name="AdminEvaluation")
    class OutputSerializer(serializers.Serializer):
        mode = serializers.CharField(allow_null=True)
        path = serializers.CharField(allow_null=True)
        modified_at = serializers.DateTimeField(allow_null=True)
        rows = serializers.ListField(child=serializers.DictField())
        engine = serializers.DictField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(recsys_selectors.evaluation_latest()).data)


class SelftestApi(AdminApiView):
    """A quick end-to-end check of the live install (a few seconds at most); ``ok`` is true when every check passed."""

    @extend_schema_serializer(component_name="AdminSelftestCheck")
    class CheckSerializer(serializers.Serializer):
        name = serializers.CharField()
        ok = serializers.BooleanField()
        detail = serializers.CharField(allow_blank=True)
        ms = serializers.FloatField()

    @extend_schema_serializer(component_name="AdminSelftest")
    class OutputSerializer(serializers.Serializer):
        ok = serializers.BooleanField()
        checks = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        checks = selftest_run()
        payload = {"ok": all(c.ok for c in checks), "checks": self.CheckSerializer(checks, many=True).data}
        return Response(self.OutputSerializer(payload).data)
