"""The connect pages: /connect/trakt → Trakt → /connect/trakt/callback → /connect/trakt/done.

Plain Django views (HTML for a person in a browser, not API clients). They only translate: the
OAuth work is in ``users.services.connect``. The ``state`` round trip guards against CSRF on the
callback (RFC 6749 §10.12).
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views import View

from reclio.exceptions import ApplicationError
from reclio.http import UpstreamError
from users import selectors, services

logger = logging.getLogger(__name__)

STATE_SESSION_KEY = "trakt_oauth_state"
INVITE_SESSION_KEY = "trakt_oauth_invite"
CONNECTED_SESSION_KEY = "trakt_connected_user_id"


def _error(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    # A script (or a test) that asks for JSON gets the same sentence as the person reading the page.
    if "application/json" in request.headers.get("Accept", "") and "text/html" not in request.headers.get("Accept", ""):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "users/connect_error.html", {"message": message}, status=status)


class TraktConnectView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not services.trakt_configured():
            return _error(
                request, "Trakt is not configured on this server (TRAKT_CLIENT_ID / TRAKT_CLIENT_SECRET).", status=503
            )
        invite_code = request.GET.get("invite", "")
        try:
            services.signup_check(invite_code=invite_code)
        except ApplicationError as exc:
            return _error(request, exc.message, status=exc.status_code)
        url, state = services.trakt_authorize_start()
        # The invite rides with the state (same session, popped together at the callback), never to Trakt.
        request.session[STATE_SESSION_KEY] = state
        request.session[INVITE_SESSION_KEY] = invite_code
        return HttpResponseRedirect(url)


class TraktCallbackView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        expected = request.session.pop(STATE_SESSION_KEY, None)
        invite_code = request.session.pop(INVITE_SESSION_KEY, "")
        state = request.GET.get("state", "")
        # Compared as bytes: compare_digest refuses non-ASCII str (a TypeError, a 500, before this fix).
        if not expected or not secrets.compare_digest(str(expected).encode(), state.encode(errors="replace")):
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
            user = services.trakt_authorize_complete(code=code, invite_code=invite_code)
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
