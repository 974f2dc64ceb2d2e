"""The connect pages: /connect/trakt → Trakt → /connect/trakt/callback → /connect/trakt/done.

Plain Django views (HTML for a person in a browser, not API clients). They only translate: the
OAuth work is in ``users.services.connect``. The ``state`` round trip guards against CSRF on the
callback (RFC 6749 §10.12).
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views import View

from reclio.exceptions import ApplicationError
from reclio.http import UpstreamError
from users import selectors, services

logger = logging.getLogger(__name__)

STATE_SESSION_KEY = "trakt_oauth_state"
CONNECTED_SESSION_KEY = "trakt_connected_user_id"


def _error(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "users/connect_error.html", {"message": message}, status=status)


class TraktConnectView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not services.trakt_configured():
            return _error(
                request, "Trakt is not configured on this server (TRAKT_CLIENT_ID / TRAKT_CLIENT_SECRET).", status=503
            )
        url, state = services.trakt_authorize_start()
        request.session[STATE_SESSION_KEY] = state
        return HttpResponseRedirect(url)


class TraktCallbackView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        expected = request.session.pop(STATE_SESSION_KEY, None)
        state = request.GET.get("state", "")
        if not expected or not secrets.compare_digest(str(expected), state):
            return _error(
                request, "This sign-in link is stale or was not started here. Please connect again.", status=400
            )
        if request.GET.get("error"):
            # https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (e.g. access_denied)
            return _error(request, "Trakt access was not granted, so nothing was connected.", status=400)
        code = request.GET.get("code", "")
        if not code:
            return _error(request, "Trakt did not send an authorization code. Please connect again.", status=400)
        try:
            user = services.trakt_authorize_complete(code=code)
        except ApplicationError as exc:
            return _error(request, exc.message, status=exc.status_code)
        except UpstreamError as exc:
            logger.warning("trakt_connect_failed status=%s error=%s", exc.status, exc)
            return _error(request, "Trakt could not be reached. Please try again in a minute.", status=502)
        request.session[CONNECTED_SESSION_KEY] = str(user.pk)
        return HttpResponseRedirect("/connect/trakt/done")


class TraktConnectedView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = selectors.user_get(user_id=request.session.get(CONNECTED_SESSION_KEY))
        if user is None:
            return HttpResponseRedirect("/connect/trakt")
        addon_url = f"{settings.BASE_URL}/?user_id={user.pk}"
        return render(request, "users/connected.html", {"user": user, "addon_url": addon_url})
