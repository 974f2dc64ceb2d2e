"""The one module that imports ``recombee-api-client``, and how its requests reach the network.

Reference: https://docs.recombee.com/api and the SDK source (recombee_api_client/api_client.py).

The SDK builds the URL, signs it (HMAC-SHA1 over path + query, with ``hmac_timestamp``; a signature
lives 30 s, https://docs.recombee.com/authentication) and then calls ``requests.get/put/post/delete``
at module level. We keep everything the SDK does except that last step: ``SessionRecombeeClient``
overrides the SDK's four private transport methods so every call goes through our
``RecombeeSession`` (reclio/http.py: timeout, user agent), and so ``responses`` intercepts it in tests.
Overriding name-mangled methods ties us to the SDK's internals, hence the exact pin in
requirements.txt and the SDK-level tests in tests/recsys/recombee/test_client.py.

Importing this module raises ImportError when the SDK is not installed; callers turn that into the
``sdk_missing`` verdict.
"""

from __future__ import annotations

import json
import re
from typing import Any

import requests
from recombee_api_client import api_requests as requests_module  # re-exported
from recombee_api_client.api_client import RecombeeClient, Region
from recombee_api_client.exceptions import ApiTimeoutException, ResponseException

from reclio.http import USER_AGENT, OutgoingSession

__all__ = [
    "ApiTimeoutException",
    "RecombeeSession",
    "Region",
    "ResponseException",
    "SessionRecombeeClient",
    "requests_module",
]

SDK_USER_AGENT = "recombee-python-api-client"


class RecombeeSession(OutgoingSession):
    service = "recombee"
    # Retrying is done one level up (``RecombeeApi.send``) so every attempt is signed afresh: a
    # signature older than 30 s is rejected, and a Retry-After can be longer than that.
    retry_unsafe_methods = True


class SessionRecombeeClient(RecombeeClient):
    """The SDK client with its HTTP calls routed through ``RecombeeSession``."""

    def __init__(
        self,
        database_id: str,
        token: str,
        *,
        session: RecombeeSession,
        region: Region | None,
        base_uri: str | None,
        timeout_seconds: float,
        batch_timeout_seconds: float,
    ) -> None:
        protocol = "https"
        options: dict[str, Any] = {}
        if base_uri:
            # RECOMBEE_BASE_URI may carry a scheme (http://127.0.0.1:8123 for a loopback fake).
            match = re.match(r"^(https?)://(.+)$", base_uri)
            if match:
                protocol, base_uri = match.group(1), match.group(2)
            options["base_uri"] = base_uri.rstrip("/")
        super().__init__(database_id, token, protocol=protocol, options=options, region=region)
        self.session = session
        self.timeout_seconds = timeout_seconds
        self.batch_timeout_seconds = batch_timeout_seconds
        # The SDK sends batches over https even when told http; a base URI given with http:// is an
        # explicit choice (a loopback fake), so we honour it for every request.
        self.forced_protocol = protocol if base_uri else None
        # The last answer, so a 429's Retry-After can be honoured by the caller's retry loop.
        self.last_response: requests.Response | None = None

    @property
    def host(self) -> str:
        return self.base_uri

    def _transport(self, method: str, request: Any, uri: str, timeout: float, *, with_body: bool) -> Any:
        if self.forced_protocol:
            uri = re.sub(r"^https?://", f"{self.forced_protocol}://", uri)
        cap = self.batch_timeout_seconds if request.path == "/batch/" else self.timeout_seconds
        # The SDK's own timeouts are generous (a Batch sums its parts: 1,000 ratings = 50 minutes).
        effective = min(timeout, cap) if timeout else cap
        headers = {"User-Agent": f"{USER_AGENT} {SDK_USER_AGENT}"}
        kwargs: dict[str, Any] = {"timeout": effective, "headers": headers}
        if with_body:
            headers["Content-Type"] = "application/json"
            body = self._RecombeeClient__get_body_parameters(request)
            kwargs["data"] = json.dumps(body)
        response = self.session.request(method, uri, **kwargs)
        self.last_response = response
        self._RecombeeClient__check_errors(response, request)
        return response.json()

    # The SDK calls these as self.__get(...) etc., i.e. self._RecombeeClient__get.
    def _RecombeeClient__get(self, request: Any, uri: str, timeout: float) -> Any:
        return self._transport("GET", request, uri, timeout, with_body=False)

    def _RecombeeClient__put(self, request: Any, uri: str, timeout: float) -> Any:
        return self._transport("PUT", request, uri, timeout, with_body=True)

    def _RecombeeClient__post(self, request: Any, uri: str, timeout: float) -> Any:
        return self._transport("POST", request, uri, timeout, with_body=True)

    def _RecombeeClient__delete(self, request: Any, uri: str, timeout: float) -> Any:
        return self._transport("DELETE", request, uri, timeout, with_body=True)
