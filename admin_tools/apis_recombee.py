"""GET /admin/recombee/diagnose[?write_test=1]: why Recombee does (not) work, in plain English."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from admin_tools.apis import AdminApiView
from recsys.contracts import RecombeeVerdict
from recsys.services import recombee_diagnosis_run


class RecombeeDiagnoseApi(AdminApiView):
    """Verdict, facts (local pushed counts vs remote counts, region, latency) and next steps.

    ``write_test=1`` writes a probe item, reads it back and deletes it. Always 200: the verdict is the
    answer, even when Recombee is down.
    """

    # Unique component names: every view's nested serializers are called Input/Output.
    @extend_schema_serializer(component_name="RecombeeDiagnoseInput")
    class InputSerializer(serializers.Serializer):
        write_test = serializers.BooleanField(required=False, default=False)

    @extend_schema_serializer(component_name="RecombeeDiagnosis")
    class OutputSerializer(serializers.Serializer):
        verdict = serializers.ChoiceField(choices=RecombeeVerdict.values)
        ok = serializers.BooleanField()
        summary = serializers.CharField()
        next_steps = serializers.ListField(child=serializers.CharField())
        facts = serializers.DictField()
        latency_ms = serializers.FloatField(allow_null=True)

    @extend_schema(
        parameters=[OpenApiParameter("write_test", bool, description="write, read back and delete a probe item")],
        responses={200: OutputSerializer},
    )
    def get(self, request: Request) -> Response:
        params = self.input_validated(self.InputSerializer, request.query_params)
        diagnosis = recombee_diagnosis_run(write_test=params["write_test"])
        return Response(self.OutputSerializer(diagnosis.as_dict()).data)
