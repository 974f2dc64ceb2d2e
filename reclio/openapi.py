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
