"""Trakt API v2 client: plain functions over one ``TraktSession``.

Reference: https://trakt.docs.apiary.io/  (headers: ``trakt-api-version: 2``, ``trakt-api-key``;
``Authorization: Bearer`` for user data; pagination headers ``X-Pagination-Page-Count``).
Errors are ``UpstreamError`` (service ``trakt``) or its subclasses below; 429 and 5xx are retried by
the session (``reclio.http``), honouring ``Retry-After``.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests
from django.conf import settings

from catalog.contracts import item_id_parse
from reclio.http import OutgoingSession, RateLimiter, UpstreamError, json_or_error
from users.trakt.types import (
    TRAKT_BODY_KEY,
    AccountSettings,
    DeviceCode,
    HistoryEntry,
    ItemsChange,
    LastActivities,
    ListItem,
    RatingEntry,
    TokenSet,
    TraktList,
    TraktParseError,
    WatchlistEntry,
)
from users.trakt.write_limiter import account_write_done, account_write_wait

logger = logging.getLogger(__name__)

SERVICE = "trakt"
PAGE_LIMIT = 250  # the largest `limit` Trakt accepts on paginated endpoints
T = TypeVar("T")


class TraktAuthError(UpstreamError):
    """401, or ``invalid_grant`` on /oauth/token: the token is revoked or expired; reconnect."""


class TraktAccountLimitError(UpstreamError):
    """HTTP 420: the account holds as many lists / list items as its plan allows."""

    def __init__(self, message: str, *, limit: str = "", upgrade_url: str = "") -> None:
        super().__init__(message, service=SERVICE, status=420, permanent=True)
        self.limit = limit
        self.upgrade_url = upgrade_url


class TraktSession(OutgoingSession):
    service = SERVICE

    def __init__(self, *, access_token: str | None = None, account: str = "", max_retries: int | None = None) -> None:
        reads = settings.TRAKT_READS_PER_SECOND
        super().__init__(
            base_url=settings.TRAKT_API_URL,
            max_retries=max_retries,
            rate_limiter=RateLimiter(reads) if reads > 0 else None,
            headers={
                "Content-Type": "application/json",
                "trakt-api-version": "2",
                "trakt-api-key": settings.TRAKT_CLIENT_ID or "",
            },
        )
        self.account = account  # Trakt slug: key of the cross-process write limiter
        self.write_count = 0
        if access_token:
            self.headers["Authorization"] = f"Bearer {access_token}"


def _check(response: requests.Response, *, ok: Iterable[int] = (200, 201)) -> Any:
    if response.status_code == 401:
        raise TraktAuthError("Trakt refused the access token (HTTP 401)", service=SERVICE, status=401, permanent=True)
    if response.status_code == 420:
        limit = response.headers.get("X-Account-Limit", "")
        raise TraktAccountLimitError(
            f"Trakt account limit reached{f' ({limit})' if limit else ''}",
            limit=limit,
            upgrade_url=response.headers.get("X-Upgrade-URL", ""),
        )
    return json_or_error(response, service=SERVICE, ok=ok)


def _parse(parser: Callable[[Any], T], data: Any) -> T:
    try:
        return parser(data)
    except TraktParseError as exc:
        raise UpstreamError(f"Trakt answered an unexpected shape: {exc}", service=SERVICE) from exc


# --- OAuth (https://trakt.docs.apiary.io/#reference/authentication-oauth) --------------------


def authorize_url(*, state: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.TRAKT_CLIENT_ID,
            "redirect_uri": settings.TRAKT_REDIRECT_URI,
            "state": state,
        }
    )
    return f"{settings.TRAKT_AUTHORIZE_URL}?{query}"


def _token_request(session: TraktSession, *, grant_type: str, **grant: str) -> TokenSet:
    body = {
        **grant,
        "client_id": settings.TRAKT_CLIENT_ID,
        "client_secret": settings.TRAKT_CLIENT_SECRET,
        "redirect_uri": settings.TRAKT_REDIRECT_URI,
        "grant_type": grant_type,
    }
    response = session.post("/oauth/token", json=body)
    if response.status_code in (400, 401):
        try:
            error = str(response.json().get("error") or "")
        except ValueError:
            error = ""
        if response.status_code == 401 or error == "invalid_grant":
            raise TraktAuthError(
                f"Trakt refused the grant ({error or 'HTTP 401'})",
                service=SERVICE,
                status=response.status_code,
                permanent=True,
            )
    return _parse(TokenSet.parse, _check(response))


def token_exchange_code(session: TraktSession, *, code: str) -> TokenSet:
    return _token_request(session, grant_type="authorization_code", code=code)


def token_refresh(session: TraktSession, *, refresh_token: str) -> TokenSet:
    return _token_request(session, grant_type="refresh_token", refresh_token=refresh_token)


def token_revoke(session: TraktSession, *, access_token: str) -> None:
    """POST /oauth/revoke: Trakt forgets the token (https://trakt.docs.apiary.io/#reference/authentication-oauth/revoke-token)."""
    _check(
        session.post(
            "/oauth/revoke",
            json={
                "token": access_token,
                "client_id": settings.TRAKT_CLIENT_ID,
                "client_secret": settings.TRAKT_CLIENT_SECRET,
            },
        )
    )


def device_code_request(session: TraktSession) -> DeviceCode:
    return _parse(
        DeviceCode.parse, _check(session.post("/oauth/device/code", json={"client_id": settings.TRAKT_CLIENT_ID}))
    )


class DevicePoll(enum.Enum):
    # https://trakt.docs.apiary.io/#reference/authentication-devices/get-token
    APPROVED = 200
    PENDING = 400
    INVALID = 404
    ALREADY_USED = 409
    EXPIRED = 410
    DENIED = 418
    SLOW_DOWN = 429


@dataclass(frozen=True)
class DevicePollResult:
    outcome: DevicePoll
    tokens: TokenSet | None = None


def device_token_poll(session: TraktSession, *, device_code: str) -> DevicePollResult:
    """One poll. The caller's session must not retry (``max_retries=0``): 429 means "slow down"."""
    response = session.post(
        "/oauth/device/token",
        json={
            "code": device_code,
            "client_id": settings.TRAKT_CLIENT_ID,
            "client_secret": settings.TRAKT_CLIENT_SECRET,
        },
    )
    try:
        outcome = DevicePoll(response.status_code)
    except ValueError:
        _check(response)  # raises a typed error for anything unexpected
        raise UpstreamError(f"Trakt device poll answered HTTP {response.status_code}", service=SERVICE) from None
    if outcome is DevicePoll.APPROVED:
        return DevicePollResult(outcome, _parse(TokenSet.parse, _check(response)))
    return DevicePollResult(outcome)


# --- Reads ---------------------------------------------------------------------------------


def account_settings(session: TraktSession) -> AccountSettings:
    return _parse(AccountSettings.parse, _check(session.get("/users/settings")))


def last_activities(session: TraktSession) -> LastActivities:
    return _parse(LastActivities.parse, _check(session.get("/sync/last_activities")))


@dataclass(frozen=True)
class Fetched:
    rows: list[Any]
    skipped: int  # rows that did not parse (reported, never fatal)


def _all_pages(
    session: TraktSession, path: str, parser: Callable[[Any], T | None], params: dict[str, Any] | None = None
) -> Fetched:
    """Every page of a paginated endpoint (no cap): follows ``X-Pagination-Page-Count``."""
    rows: list[Any] = []
    skipped = 0
    page = 1
    while True:
        response = session.get(path, params={**(params or {}), "page": page, "limit": PAGE_LIMIT})
        data = _check(response)
        if not isinstance(data, list):
            raise UpstreamError(f"Trakt {path} did not answer a list", service=SERVICE)
        for raw in data:
            parsed = parser(raw)
            if parsed is None:
                skipped += 1
            else:
                rows.append(parsed)
        try:
            page_count = int(response.headers.get("X-Pagination-Page-Count", "1"))
        except ValueError:
            page_count = 1
        if page >= page_count or not data:
            break
        page += 1
    if skipped:
        logger.warning("trakt_rows_skipped path=%s skipped=%s", path, skipped)
    return Fetched(rows=rows, skipped=skipped)


def history(session: TraktSession, *, kind: str, start_at: str | None = None) -> Fetched:
    """``kind`` is ``movies`` or ``episodes``; ``start_at`` filters on watched_at (ISO 8601)."""
    params = {"start_at": start_at} if start_at else {}
    return _all_pages(session, f"/sync/history/{kind}", HistoryEntry.parse, params)


def ratings(session: TraktSession, *, kind: str) -> Fetched:
    return _all_pages(session, f"/sync/ratings/{kind}", RatingEntry.parse)


def watchlist(session: TraktSession, *, kind: str) -> Fetched:
    return _all_pages(session, f"/sync/watchlist/{kind}", WatchlistEntry.parse)


def lists_mine(session: TraktSession) -> list[TraktList]:
    data = _check(session.get("/users/me/lists"))
    if not isinstance(data, list):
        raise UpstreamError("Trakt /users/me/lists did not answer a list", service=SERVICE)
    return [_parse(TraktList.parse, row) for row in data]


def list_items(session: TraktSession, *, list_id: int) -> list[ListItem]:
    fetched = _all_pages(session, f"/users/me/lists/{list_id}/items", ListItem.parse)
    return sorted(fetched.rows, key=lambda item: item.rank)


# --- Writes: one per second per account, across processes ------------------------------------


def _write(
    session: TraktSession, method: str, path: str, body: dict[str, Any], *, ok: Iterable[int] = (200, 201)
) -> Any:
    account_write_wait(account=session.account)
    session.write_count += 1
    try:
        response = session.request(method, path, json=body)
    finally:
        account_write_done(account=session.account)
    return _check(response, ok=ok)


def list_create(session: TraktSession, *, name: str, description: str) -> TraktList:
    body = {
        "name": name,
        "description": description,
        "privacy": "private",
        "display_numbers": True,
        "allow_comments": False,
        "sort_by": "rank",
        "sort_how": "asc",
    }
    return _parse(TraktList.parse, _write(session, "POST", "/users/me/lists", body))


def list_update(session: TraktSession, *, list_id: int, name: str, description: str) -> TraktList:
    body = {"name": name, "description": description}
    return _parse(TraktList.parse, _write(session, "PUT", f"/users/me/lists/{list_id}", body))


def items_body(item_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """``{"movies": [{"ids": {"tmdb": 1}}], "shows": [...]}`` from catalog item ids, order kept.

    Ids Trakt cannot match (no positive TMDB id) are left out; the list writer never passes them."""
    body: dict[str, list[dict[str, Any]]] = {}
    for item_id in item_ids:
        parsed = item_id_parse(item_id)
        if parsed is not None:
            media_type, tmdb_id = parsed
            body.setdefault(TRAKT_BODY_KEY[media_type], []).append({"ids": {"tmdb": tmdb_id}})
    return body


def list_items_add(session: TraktSession, *, list_id: int, item_ids: Sequence[str]) -> ItemsChange:
    data = _write(session, "POST", f"/users/me/lists/{list_id}/items", items_body(item_ids))
    return _parse(lambda d: ItemsChange.parse(d, counter="added"), data)


def list_items_remove(session: TraktSession, *, list_id: int, item_ids: Sequence[str]) -> ItemsChange:
    data = _write(session, "POST", f"/users/me/lists/{list_id}/items/remove", items_body(item_ids))
    return _parse(lambda d: ItemsChange.parse(d, counter="deleted"), data)


def list_items_reorder(session: TraktSession, *, list_id: int, list_item_ids: Sequence[int]) -> None:
    _write(session, "POST", f"/users/me/lists/{list_id}/items/reorder", {"rank": list(list_item_ids)})
