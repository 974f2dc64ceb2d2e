"""What Chillio would show a demo viewer, and a demo viewer watching something ("time passing").

``chillio_view`` does what Chillio does, over HTTP only: ``GET /manifest``, ``GET /feeds?user_id=``,
then resolves every row into titles — a ``trakt_list`` row through the (sandbox) Trakt list items
with the viewer's own Trakt token, a ``tmdb_query`` row through the (sandbox) TMDB. Chillio holds
its own Trakt token for the viewer; here it gets one through the sandbox device flow (request a
code, approve it with the control endpoint, poll once). It then checks what a viewer would notice:
every row non-empty, no watched title, no duplicate in a row, "Because You Watched" anchored on the
last watched title, and the reasons (blurbs) that rows carry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import requests

from sandbox import SANDBOX_TMDB_API_KEY, SANDBOX_TRAKT_CLIENT_ID, SANDBOX_TRAKT_CLIENT_SECRET

TIMEOUT = 10.0
TRAKT_HEADERS = {"trakt-api-version": "2", "trakt-api-key": SANDBOX_TRAKT_CLIENT_ID}
_TRAKT_MEDIA = {"movie": "movie", "show": "tv"}


@dataclass(frozen=True)
class ShownTitle:
    media_type: str  # "movie" | "tv"
    tmdb_id: int
    title: str


@dataclass(frozen=True)
class ShownRow:
    id: str
    title: str
    source: str  # "trakt_list" | "tmdb_query"
    content_type: str
    blurb: str | None
    titles: tuple[ShownTitle, ...]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class ChillioView:
    manifest: dict[str, Any]
    rows: tuple[ShownRow, ...]
    checks: tuple[Check, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def personal_rows(self) -> tuple[ShownRow, ...]:
        return tuple(row for row in self.rows if row.source == "trakt_list")


def _json(response: requests.Response) -> Any:
    response.raise_for_status()
    return response.json()


def trakt_viewer_token(*, trakt_url: str, username: str) -> str:
    """A Trakt access token for ``username`` as a client app gets one: the device flow, approved at once."""
    device = _json(
        requests.post(
            f"{trakt_url}/oauth/device/code",
            json={"client_id": SANDBOX_TRAKT_CLIENT_ID},
            headers=TRAKT_HEADERS,
            timeout=TIMEOUT,
        )
    )
    _json(
        requests.post(
            f"{trakt_url}/_sandbox/device/approve",
            json={"user_code": device["user_code"], "username": username},
            timeout=TIMEOUT,
        )
    )
    token = _json(
        requests.post(
            f"{trakt_url}/oauth/device/token",
            json={
                "code": device["device_code"],
                "client_id": SANDBOX_TRAKT_CLIENT_ID,
                "client_secret": SANDBOX_TRAKT_CLIENT_SECRET,
            },
            headers=TRAKT_HEADERS,
            timeout=TIMEOUT,
        )
    )
    return str(token["access_token"])


def _trakt_get_all(*, trakt_url: str, token: str, path: str) -> list[dict[str, Any]]:
    headers = {**TRAKT_HEADERS, "Authorization": f"Bearer {token}"}
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        response = requests.get(
            f"{trakt_url}{path}", params={"page": page, "limit": 250}, headers=headers, timeout=TIMEOUT
        )
        rows.extend(_json(response))
        if page >= int(response.headers.get("X-Pagination-Page-Count", "1")):
            return rows
        page += 1


def trakt_history(*, trakt_url: str, token: str) -> list[tuple[str, int, dt.datetime]]:
    """(media_type, tmdb_id, watched_at) of every play, newest first (episodes count for their show)."""
    plays: list[tuple[str, int, dt.datetime]] = []
    for path, kind in (("/sync/history/movies", "movie"), ("/sync/history/shows", "show")):
        for row in _trakt_get_all(trakt_url=trakt_url, token=token, path=path):
            tmdb_id = row[kind]["ids"].get("tmdb")
            if tmdb_id:
                when = dt.datetime.fromisoformat(row["watched_at"].replace("Z", "+00:00"))
                plays.append((_TRAKT_MEDIA[kind], int(tmdb_id), when))
    return sorted(plays, key=lambda play: play[2], reverse=True)


def _list_titles(*, trakt_url: str, token: str, list_id: int) -> tuple[ShownTitle, ...]:
    items = _trakt_get_all(trakt_url=trakt_url, token=token, path=f"/users/me/lists/{list_id}/items")
    return tuple(
        ShownTitle(_TRAKT_MEDIA[item["type"]], int(item[item["type"]]["ids"]["tmdb"]), item[item["type"]]["title"])
        for item in items
        if item["type"] in _TRAKT_MEDIA and item[item["type"]]["ids"].get("tmdb")
    )


def _query_titles(*, tmdb_url: str, path: str, parameters: str, content_type: str) -> tuple[ShownTitle, ...]:
    query = f"{parameters}&api_key={SANDBOX_TMDB_API_KEY}" if parameters else f"api_key={SANDBOX_TMDB_API_KEY}"
    response = requests.get(f"{tmdb_url}{path}?{query}", timeout=TIMEOUT)
    if response.status_code == 404:
        return ()  # what Chillio shows for a query TMDB does not answer: an empty row
    body = _json(response)
    default = "tv" if "/tv" in path or content_type == "shows" else "movie"
    return tuple(
        ShownTitle(row.get("media_type", default), int(row["id"]), row.get("title") or row.get("name") or "")
        for row in body.get("results", ())
    )


def _checks(rows: tuple[ShownRow, ...], history: list[tuple[str, int, dt.datetime]]) -> tuple[Check, ...]:
    watched = {(media, tmdb_id) for media, tmdb_id, _when in history}
    empty = [row.id for row in rows if not row.titles and row.source == "trakt_list"]
    empty_queries = [row.id for row in rows if not row.titles and row.source == "tmdb_query"]
    # Reclio writes the trakt_list rows and keeps watched titles out of them. A tmdb_query row is TMDB's
    # own answer to a query, which Reclio cannot filter (Chillio marks or hides watched titles there).
    seen = [
        f"{row.id}: {t.title} ({t.media_type} {t.tmdb_id})"
        for row in rows
        if row.source == "trakt_list"
        for t in row.titles
        if (t.media_type, t.tmdb_id) in watched
    ]
    seen_in_queries = sum(
        1 for row in rows if row.source == "tmdb_query" for t in row.titles if (t.media_type, t.tmdb_id) in watched
    )
    dupes = [row.id for row in rows if len({(t.media_type, t.tmdb_id) for t in row.titles}) != len(row.titles)]
    anchors: list[str] = []
    for row in rows:
        if not row.id.startswith("because_watched_"):
            continue
        media = "tv" if row.id.startswith("because_watched_show") else "movie"
        last = next(((m, tmdb_id) for m, tmdb_id, _w in history if m == media), None)
        anchor = int(row.id.rsplit("_", 1)[1])
        if last is None or last[1] != anchor:
            anchors.append(f"{row.id} (last watched {media}: {last[1] if last else 'none'})")
    with_reason = [row for row in rows if row.blurb]
    return (
        Check("every personal (trakt_list) row has titles", not empty, ", ".join(empty)),
        Check("every TMDB query row has titles", not empty_queries, ", ".join(empty_queries)),
        Check("no watched title in a personal (trakt_list) row", not seen, "; ".join(seen[:10])),
        Check("watched titles in TMDB query rows (informational)", True, str(seen_in_queries)),
        Check("no duplicate title in a row", not dupes, ", ".join(dupes)),
        Check("Because You Watched is anchored on the last watched title", not anchors, "; ".join(anchors)),
        Check(
            "reasons shown",
            True,  # informational: not every row has a reason to give
            f"{len(with_reason)} of {len(rows)} rows carry one",
        ),
    )


def chillio_view(*, base_url: str, user_id: str, username: str, trakt_url: str, tmdb_url: str) -> ChillioView:
    """The viewer's rows as Chillio would show them, resolved into titles, with the checks."""
    manifest = _json(requests.get(f"{base_url}/manifest", params={"user_id": user_id}, timeout=TIMEOUT))
    feeds = _json(requests.get(f"{base_url}/feeds", params={"user_id": user_id}, timeout=TIMEOUT))["feeds"]
    token = trakt_viewer_token(trakt_url=trakt_url, username=username)
    rows = []
    for feed in feeds:
        meta = feed["source_metadata"]
        if feed["source"] == "trakt_list":
            titles = _list_titles(trakt_url=trakt_url, token=token, list_id=int(meta["id"]))
        else:
            titles = _query_titles(
                tmdb_url=tmdb_url,
                path=meta["path"],
                parameters=meta.get("parameters", ""),
                content_type=feed["content_type"],
            )
        rows.append(
            ShownRow(feed["id"], feed["title"], feed["source"], feed["content_type"], feed.get("blurb"), titles)
        )
    history = trakt_history(trakt_url=trakt_url, token=token)
    return ChillioView(manifest=manifest, rows=tuple(rows), checks=_checks(tuple(rows), history))


def chillio_view_render(view: ChillioView, *, first: int = 5) -> str:
    lines = [f"{view.manifest.get('name', 'addon')}: {len(view.rows)} rows ({len(view.personal_rows)} trakt_list)"]
    for row in view.rows:
        lines.append(f"\n{row.title}  [{row.source}, {row.content_type}, {len(row.titles)} titles]")
        if row.blurb:
            lines.append(f"  why: {row.blurb}")
        lines.extend(f"  - {t.title} ({t.media_type} {t.tmdb_id})" for t in row.titles[:first])
    lines.append("\nChecks:")
    lines.extend(
        f"  [{'ok' if c.ok else 'FAIL'}] {c.name}" + (f": {c.detail}" if c.detail else "") for c in view.checks
    )
    return "\n".join(lines)


def sandbox_watch(
    *, trakt_url: str, username: str, media_type: str, tmdb_id: int, rating: int | None = None
) -> dict[str, Any]:
    """The viewer watches (and optionally rates) a title in the sandbox Trakt, now."""
    account = f"{trakt_url}/_sandbox/accounts/{username}"
    result = _json(
        requests.post(f"{account}/watch", json={"media_type": media_type, "tmdb_id": tmdb_id}, timeout=TIMEOUT)
    )
    if rating is not None:
        result = _json(
            requests.post(
                f"{account}/rate",
                json={"media_type": media_type, "tmdb_id": tmdb_id, "rating": rating},
                timeout=TIMEOUT,
            )
        )
    return result


def sandbox_writes(*, trakt_url: str, username: str) -> int:
    """How many writes (POST/PUT/DELETE) the account has received so far."""
    return int(_json(requests.get(f"{trakt_url}/_sandbox/accounts/{username}/writes", timeout=TIMEOUT))["writes"])
