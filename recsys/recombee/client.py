"""Building a Recombee client from settings, and sending requests with retries and typed errors.

Reference: https://docs.recombee.com/api (endpoints, status codes),
https://docs.recombee.com/authentication (signatures live 30 s),
https://docs.recombee.com/regions (one host per region: rapi-<region>.recombee.com).
"""

from __future__ import annotations

import importlib
import logging
import random
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from django.conf import settings

from reclio import http as reclio_http
from reclio.http import MAX_IN_PROCESS_WAIT_SECONDS, RETRY_STATUSES, UpstreamError, retry_after_seconds
from reclio.settings.vendors import RecombeeRegion
from recsys.backends.base import RecommenderError
from recsys.contracts import RecombeeVerdict

logger = logging.getLogger(__name__)


class RecombeeSetupError(RecommenderError):
    """No client can be built: credentials missing, SDK missing, or the SDK refused the settings."""

    def __init__(self, message: str, *, verdict: RecombeeVerdict) -> None:
        super().__init__(message, permanent=True)
        self.verdict = verdict


class RecombeeCallError(RecommenderError):
    """A call failed after its retries.

    ``unreachable``: no HTTP answer at all (DNS, refused, timeout). ``status``: the HTTP status of the
    answer otherwise. ``permanent`` errors (4xx but 408/409/429) will not improve by retrying.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        unreachable: bool = False,
        permanent: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, permanent=permanent)
        self.status = status
        self.unreachable = unreachable
        self.retry_after = retry_after

    @property
    def rejected(self) -> bool:
        """The service answered but refused us (bad token, unknown database)."""
        return self.status in (401, 403, 404)


@dataclass(frozen=True)
class RecombeeConfig:
    database_id: str | None
    private_token: str | None
    region: RecombeeRegion
    base_uri: str | None

    @classmethod
    def from_settings(cls) -> RecombeeConfig:
        return cls(
            database_id=settings.RECOMBEE_DATABASE_ID,
            private_token=settings.RECOMBEE_PRIVATE_TOKEN,
            region=settings.RECOMBEE_REGION,
            base_uri=settings.RECOMBEE_BASE_URI,
        )

    @property
    def missing(self) -> list[str]:
        return [
            name
            for name, value in (
                ("RECOMBEE_DATABASE_ID", self.database_id),
                ("RECOMBEE_PRIVATE_TOKEN", self.private_token),
            )
            if not value
        ]


def _backoff(attempt: int) -> float:
    delay = min(8.0, 0.5 * (2**attempt))
    return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not cryptography


class RecombeeApi:
    """A built client: ``send`` one SDK request, ``requests`` holds the SDK request classes."""

    def __init__(self, *, client: Any, sdk: ModuleType, region: RecombeeRegion | None, max_retries: int) -> None:
        self._client = client
        self._sdk = sdk
        self.requests = sdk.requests_module
        self.region = region
        self.max_retries = max_retries

    @property
    def host(self) -> str:
        return self._client.host

    @property
    def database_id(self) -> str:
        return self._client.database_id

    def send(self, request: Any) -> Any:
        """Send one request (a Batch is one request). Retries 429/5xx/timeouts, re-signing each time.

        Recombee writes are idempotent for us (SetItemValues overwrites; a repeated interaction with
        the same user, item and timestamp answers 409, which the push treats as done), so retrying a
        POST is safe. Reference: https://docs.recombee.com/api#add-detail-view (409).
        """
        sdk = self._sdk
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                return self._client.send(request)
            except UpstreamError as exc:  # connection refused, DNS, read timeout (reclio/http.py)
                error = RecombeeCallError(f"Recombee unreachable at {self.host}: {exc}", unreachable=True)
            except sdk.ApiTimeoutException:
                error = RecombeeCallError(f"Recombee timed out at {self.host}", unreachable=True)
            except sdk.ResponseException as exc:
                status = int(exc.status_code)
                retry_after = self._retry_after()
                description = str(exc.description)[:300]
                error = RecombeeCallError(
                    f"Recombee answered HTTP {status} for {request.method.upper()} {request.path}: {description}",
                    status=status,
                    permanent=status not in RETRY_STATUSES and status not in (408,),
                    retry_after=retry_after,
                )
            if error.permanent or attempt >= self.max_retries:
                raise error
            wait = error.retry_after if error.retry_after is not None else _backoff(attempt)
            if wait > MAX_IN_PROCESS_WAIT_SECONDS:
                raise error
            logger.info(
                "recombee_retry path=%s status=%s unreachable=%s wait=%.2f elapsed_ms=%.0f",
                request.path,
                error.status,
                error.unreachable,
                wait,
                (time.perf_counter() - started) * 1000,
            )
            attempt += 1
            reclio_http.sleep(wait)

    def _retry_after(self) -> float | None:
        response = getattr(self._client, "last_response", None)
        return None if response is None else retry_after_seconds(response)


def recombee_api_build(
    *,
    config: RecombeeConfig | None = None,
    region: RecombeeRegion | None = None,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
) -> RecombeeApi:
    """A client for the configured database; ``region`` overrides the configured region (and base URI).

    Raises ``RecombeeSetupError`` whose ``verdict`` says why no client could be built.
    """
    config = config or RecombeeConfig.from_settings()
    if config.missing:
        raise RecombeeSetupError(f"{' and '.join(config.missing)} not set", verdict=RecombeeVerdict.NO_CREDENTIALS)
    try:
        sdk = importlib.import_module("recsys.recombee.sdk")
    except ImportError as exc:
        raise RecombeeSetupError(
            f"the recombee-api-client package cannot be imported: {exc}", verdict=RecombeeVerdict.SDK_MISSING
        ) from exc

    use_region = region or config.region
    base_uri = config.base_uri if region is None else None
    timeout = timeout_seconds if timeout_seconds is not None else settings.RECOMBEE_TIMEOUT_SECONDS
    batch_timeout = timeout_seconds if timeout_seconds is not None else settings.RECOMBEE_BATCH_TIMEOUT_SECONDS
    try:
        sdk_region = None if base_uri else sdk.Region[use_region.name]
        client = sdk.SessionRecombeeClient(
            config.database_id,
            config.private_token,
            session=sdk.RecombeeSession(timeout=timeout, max_retries=0),
            region=sdk_region,
            base_uri=base_uri,
            timeout_seconds=timeout,
            batch_timeout_seconds=batch_timeout,
        )
    except Exception as exc:  # any SDK refusal is reported as a verdict, never a crash
        raise RecombeeSetupError(
            f"the Recombee client could not be built: {type(exc).__name__}: {exc}",
            verdict=RecombeeVerdict.CLIENT_INIT_FAILED,
        ) from exc
    return RecombeeApi(
        client=client,
        sdk=sdk,
        region=None if base_uri else use_region,
        max_retries=settings.HTTP_MAX_RETRIES if max_retries is None else max_retries,
    )
