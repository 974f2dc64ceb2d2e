"""/health (public liveness) and the X-Admin-Token operator API (/admin/…, deep health included)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from admin_tools.liveness import liveness_get
from admin_tools.selectors import health_snapshot_list
from admin_tools.services import health_report_build
from feeds.selectors import hit_rate_summary
from reclio.permissions import HasAdminToken
from reclio.plainviews import PlainApiView


class ProbeResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    ok = serializers.BooleanField()
    detail = serializers.CharField()
    latency_ms = serializers.FloatField(allow_null=True)
    facts = serializers.DictField()


class HealthApi(PlainApiView):
    """Liveness for load balancers and compose: cheap, cached a few seconds, no authentication.

    Always 200 while this process serves; ``status`` is ``degraded`` when the database did not answer
    (see admin_tools/liveness.py for why that is not a 503). The deep checks are ``/admin/health``.
    """

    class OutputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["ok", "degraded"])
        database = serializers.DictField()
        age_seconds = serializers.FloatField(help_text="seconds since this process last asked the database")

    @extend_schema(responses={200: OutputSerializer}, auth=[], summary="Liveness (cached, cheap)")
    def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse(liveness_get().as_dict())


class AdminApiView(APIView):
    """Base for operator endpoints: X-Admin-Token required (503 when ADMIN_TOKEN is unset)."""

    permission_classes = [HasAdminToken]

    @staticmethod
    def input_validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
        """``data`` (a body or a query string) through the view's input serializer; answers 400 when invalid."""
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class AdminHealthApi(AdminApiView):
    """Deep health of the platform: database, broker, workers (a Celery ping, ≥ 1 s) and beat.

    200 when the database answers, 503 otherwise; Redis, workers and beat are reported but do not fail
    the response. Behind the admin token because it is slow and tells a stranger too much.
    """

    class OutputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["ok", "degraded", "down"])
        checks = serializers.DictField(child=ProbeResultSerializer())

    @extend_schema(
        responses={200: OutputSerializer, 503: OpenApiResponse(OutputSerializer, description="database down")}
    )
    def get(self, request: Request) -> Response:
        report = health_report_build()
        database = report.result("database")
        database_ok = bool(database and database.ok)
        overall = "ok" if report.ok else ("degraded" if database_ok else "down")
        payload = {"status": overall, "checks": {r.name: r.as_dict() for r in report.results}}
        return Response(payload, status=status.HTTP_200_OK if database_ok else status.HTTP_503_SERVICE_UNAVAILABLE)


class AdminStatusApi(AdminApiView):
    """Configuration at a glance plus live probes and recent health history."""

    @extend_schema(
        responses=inline_serializer(
            "AdminStatus",
            {
                "providers": serializers.DictField(),
                "vendors_configured": serializers.DictField(),
                "health": serializers.DictField(),
                "history": serializers.ListField(),
                "hit_rate": serializers.DictField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        report = health_report_build()
        history = [
            {"created_at": snap.created_at, "ok": snap.ok, "degraded": snap.degraded}
            for snap in health_snapshot_list(limit=24)
        ]
        return Response(
            {
                "providers": {
                    "llm": settings.LLM_PROVIDER.value,
                    "embedding": settings.EMBEDDING_PROVIDER.value,
                    "embedding_resolved": settings.EMBEDDING_PROVIDER_RESOLVED.value,
                    "recommender": settings.RECOMMENDER.value,
                },
                "vendors_configured": {
                    "tmdb": bool(settings.TMDB_API_KEY or settings.TMDB_READ_ACCESS_TOKEN),
                    "trakt": bool(settings.TRAKT_CLIENT_ID and settings.TRAKT_CLIENT_SECRET),
                    "recombee": bool(settings.RECOMBEE_DATABASE_ID and settings.RECOMBEE_PRIVATE_TOKEN),
                    "openai": bool(settings.OPENAI_API_KEY),
                },
                "health": {"ok": report.ok, "checks": {r.name: r.as_dict() for r in report.results}},
                "history": history,
                # Served → watched over the last 30 days (feeds.services.hits): the online quality metric.
                "hit_rate": hit_rate_summary(days=30),
            }
        )
