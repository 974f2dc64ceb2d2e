"""The X-Admin-Token guard for the operator API under /admin/…"""

from __future__ import annotations

import hmac

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

ADMIN_TOKEN_HEADER = "X-Admin-Token"  # noqa: S105 - a header name, not a secret


class AdminEndpointsDisabled(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "admin endpoints disabled: set ADMIN_TOKEN to enable them"
    default_code = "admin_disabled"


class AdminTokenInvalid(APIException):
    # Deliberately not DRF's NotAuthenticated: with no authentication classes DRF would turn that into 403.
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = f"missing or wrong {ADMIN_TOKEN_HEADER} header"
    default_code = "admin_token_invalid"


class HasAdminToken(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        expected = settings.ADMIN_TOKEN
        if not expected:
            raise AdminEndpointsDisabled()
        given = request.headers.get(ADMIN_TOKEN_HEADER, "")
        # Constant-time comparison: response timing must not reveal how much of a guess was right.
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise AdminTokenInvalid()
        return True
