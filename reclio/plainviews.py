"""Views described by DRF for the OpenAPI schema but served by plain Django.

The hottest endpoints (``/feeds``, ``/health``) need none of what DRF does per request: wrapping the
request, authentication, permissions, throttling, content negotiation, rendering (profiled: about a
third of the CPU of a ``/feeds`` request, docs/perf/feeds.md). ``PlainApiView`` stays an ``APIView``
subclass so drf-spectacular still reads its ``@extend_schema`` handlers into /api/schema/, while
``dispatch`` is Django's own: a handler takes the ``HttpRequest`` and returns an ``HttpResponse``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views import View
from rest_framework.views import APIView


class PlainApiView(APIView):
    # No authentication or permission classes: nothing would run them, and the schema says so.
    authentication_classes: list = []
    permission_classes: list = []

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Django's View.dispatch: the method's handler, or 405 (APIView.dispatch is skipped on purpose).
        return View.dispatch(self, request, *args, **kwargs)

    # Django's own, too: DRF's would return an unrendered ``Response`` (OPTIONS) or raise for its
    # exception handler (405), neither of which runs here.
    def options(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return View.options(self, request, *args, **kwargs)

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return View.http_method_not_allowed(self, request, *args, **kwargs)
