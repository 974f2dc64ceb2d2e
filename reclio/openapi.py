"""OpenAPI schema generation tweaks (drf-spectacular)."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """Names nested serializers after their view.

    Views follow the house style of nested ``InputSerializer`` / ``OutputSerializer`` classes, which
    drf-spectacular would all name "Input"/"Output" and collide. ``HealthApi.OutputSerializer``
    becomes the component ``HealthApiOutput``.
    """

    def get_serializer_name(self, serializer: Any, direction: Literal["request", "response"]) -> str:
        cls = serializer if isinstance(serializer, type) else type(serializer)
        qualname = cls.__qualname__
        if "." in qualname and "<locals>" not in qualname:
            return qualname.replace(".", "")
        return super().get_serializer_name(serializer, direction)


def drop_trailing_slash_aliases(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """Keep one schema entry per operation when a URL is also served with a trailing slash.

    ChillLink clients may call either form (feeds/urls.py serves both without a redirect); the schema
    documents the canonical slash-less one.
    """
    served = {(path, method) for path, _, method, _ in endpoints}
    return [
        endpoint
        for endpoint in endpoints
        if not (endpoint[0].endswith("/") and endpoint[0] != "/" and (endpoint[0].rstrip("/"), endpoint[2]) in served)
    ]


ERROR_BODY = {
    "type": "object",
    "description": 'DRF\'s error body: {"detail": "…"}, or one list of messages per invalid field.',
    "additionalProperties": True,
}
# What the error answers mean, for the operations that can give them.
_ERROR_ANSWERS = {
    "400": "invalid input; the body says which field and why",
    "401": "missing or wrong X-Admin-Token header",
    "404": "no such object (or an id of the wrong shape)",
    "503": "admin endpoints disabled: ADMIN_TOKEN is not set",
}


def document_error_responses(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Declare the error answers every operation can give, so clients (and the fuzzer) can rely on them.

    The views raise them through DRF's exception handler (JSON ``ERROR_BODY``) and the URL resolver's
    404 answers JSON outside the Django admin (``reclio.urls.handler404``). Which ones apply follows
    from the operation's shape: input → 400, path parameters → 404, the operator API → 401 and 503.
    """
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = []
            if operation.get("parameters") or operation.get("requestBody"):
                codes.append("400")
            if "{" in path:
                codes.append("404")
            if path.startswith("/admin/"):
                codes += ["401", "503"]
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    code,
                    {"description": _ERROR_ANSWERS[code], "content": {"application/json": {"schema": ERROR_BODY}}},
                )
    return result
