"""The keyless demo: world, processes, seeding, and the wait for the first personal rows.

``manage.py demo`` (``make demo``) runs, under ``sandbox.settings``:

1. ``demo_world_prepare``: the world (shared data folder or the shipped fixture) written once to
   ``<data dir>/world.json``; a re-run serves the same viewers.
2. ``demo_process_commands``: the sandbox (``python -m sandbox serve``), the web server (granian), one Celery worker
   per queue and beat, under honcho.
3. ``demo_seed`` (in a thread of the demo command, while honcho runs the processes): a content sync
   from the sandbox TMDB through the real sync path; once the catalog is embedded, every demo viewer
   connects through the real device flow — Reclio asks the sandbox for a code, the seeder approves it
   with the control endpoint, Reclio's own polling stores the tokens and queues the first sync. From there the real
   workers sync, embed, train, compose rows and write lists. Every step is idempotent.
4. ``demo_feeds_wait``: polls ``/feeds`` until every viewer has ``trakt_list`` rows (deadline).
"""

from __future__ import annotations

import logging
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings

from reclio.queues import ALL_QUEUES
from reclio.services import service_process_commands
from sandbox.data import world_build
from sandbox.world import World, world_dump, world_load

logger = logging.getLogger(__name__)

TIMEOUT = 10.0


def demo_world_prepare(
    *, path: Path, data_dir: Path | None, viewers: int, title_limit: int | None, rebuild: bool = False
) -> World:
    """The demo's world: built once, then read back (the same viewers on every run)."""
    if path.exists() and not rebuild:
        return world_load(path)
    world = world_build(data_dir=data_dir, viewers=viewers, title_limit=title_limit)
    path.parent.mkdir(parents=True, exist_ok=True)
    world_dump(world, path)
    return world


def demo_process_commands(
    *, world_path: Path, host: str, web_port: int, tmdb_port: int, trakt_port: int, queues: Sequence[str] = ALL_QUEUES
) -> dict[str, str]:
    """The honcho process table: the sandbox, then the installation's own processes (web, one worker
    per queue as docker-compose.yml runs them, beat) exactly as ``manage.py serve`` builds them."""
    python = shlex.quote(sys.executable)
    return {
        "sandbox": (
            f"{python} -m sandbox serve --world {shlex.quote(str(world_path))} --host {host} "
            f"--tmdb-port {tmdb_port} --trakt-port {trakt_port}"
        ),
        **service_process_commands(
            host=host, port=web_port, concurrency=1, debug=False, worker_queues=[(queue,) for queue in queues]
        ),
    }


def wait_until(what: str, probe: Callable[[], bool], *, deadline: float, every: float = 0.5) -> None:
    """Poll ``probe`` until it answers True; raise TimeoutError at ``deadline`` (time.monotonic())."""
    while True:
        try:
            if probe():
                return
        except (requests.RequestException, OSError):
            pass
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(every)


def _answers(url: str, ok: Sequence[int] = (200,)) -> bool:
    return requests.get(url, timeout=TIMEOUT).status_code in ok


def demo_catalog_seed() -> str:
    """One full content sync from the sandbox TMDB (the real sync path), unless one succeeded before."""
    from catalog.services import content_sync_run
    from catalog.services.sync import content_sync_last_good

    if content_sync_last_good() is not None:
        return "catalog already synced"
    summary = content_sync_run(full=True)
    return f"catalog synced: {summary}"


def catalog_unembedded() -> int:
    """Catalog rows still waiting for their vector (the embeddings worker is on it)."""
    from catalog.embedding.registry import get_embedding_provider
    from catalog.embedding.selectors import items_needing_embedding

    return items_needing_embedding(model=get_embedding_provider().model).count()


@dataclass(frozen=True)
class DemoViewer:
    username: str
    user_id: str
    connected_now: bool


def demo_viewer_connect(*, username: str, trakt_url: str) -> DemoViewer:
    """Connect ``username`` through the real device flow, approved by the sandbox; idempotent."""
    from users.models import ConnectionState, User
    from users.services import trakt_device_start, trakt_device_wait

    existing = User.objects.filter(trakt_slug=username, connection_state=ConnectionState.CONNECTED).first()
    if existing is not None:
        return DemoViewer(username=username, user_id=str(existing.pk), connected_now=False)
    device = trakt_device_start()
    response = requests.post(
        f"{trakt_url}/_sandbox/device/approve",
        json={"user_code": device.user_code, "username": username},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    user = trakt_device_wait(device=device)
    return DemoViewer(username=username, user_id=str(user.pk), connected_now=True)


def demo_seed(*, world: World, trakt_url: str, say: Callable[[str], None], deadline: float) -> list[DemoViewer]:
    """Catalog, then every demo viewer connected; the workers do the rest."""
    wait_until("the sandbox Trakt", lambda: _answers(f"{trakt_url}/_sandbox/accounts"), deadline=deadline)
    say(demo_catalog_seed())
    # Rows are composed right after a viewer's first sync; "Because You Watched" needs the vectors,
    # so the viewers connect once the embeddings worker has embedded the catalog.
    wait_until("the catalog embeddings", lambda: catalog_unembedded() == 0, deadline=deadline, every=1.0)
    say("catalog embedded")
    viewers = []
    for account in world.accounts:
        viewer = demo_viewer_connect(username=account.username, trakt_url=trakt_url)
        say(f"viewer {viewer.username}: {'connected (device flow)' if viewer.connected_now else 'already connected'}")
        viewers.append(viewer)
    return viewers


def feeds_personal_rows(*, base_url: str, user_id: str) -> int:
    feeds = requests.get(f"{base_url}/feeds", params={"user_id": user_id}, timeout=TIMEOUT).json()["feeds"]
    return sum(1 for feed in feeds if feed["source"] == "trakt_list")


def demo_feeds_wait(*, base_url: str, viewers: Sequence[DemoViewer], deadline: float) -> dict[str, float]:
    """Seconds until each viewer's /feeds first shows trakt_list rows (personal rows)."""
    started = time.monotonic()
    first: dict[str, float] = {}
    while len(first) < len(viewers):
        for viewer in viewers:
            if viewer.username in first:
                continue
            try:
                if feeds_personal_rows(base_url=base_url, user_id=viewer.user_id) > 0:
                    first[viewer.username] = time.monotonic() - started
            except (requests.RequestException, ValueError, KeyError):
                pass
        if len(first) < len(viewers):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no personal rows yet for {sorted({v.username for v in viewers} - set(first))}")
            time.sleep(2.0)
    return first


def demo_banner(*, base_url: str, admin_line: str, viewers: Sequence[DemoViewer], world: World) -> str:
    settings_env = "DJANGO_SETTINGS_MODULE=sandbox.settings"
    lines = [
        "",
        "=" * 96,
        f"Reclio KEYLESS DEMO — sandbox TMDB + Trakt, world from {world.source} "
        f"({len(world.titles)} titles, {len(world.accounts)} viewers); data in {settings.DATA_DIR}",
        f"  admin      {base_url}/staff/   {admin_line}",
        f"  health     {base_url}/health",
    ]
    for viewer in viewers:
        lines.append(f"  viewer {viewer.username:<10} addon URL {base_url}/?user_id={viewer.user_id}")
    first = viewers[0].username if viewers else "demo1"
    lines += [
        "  what Chillio would show:",
        f"    {settings_env} python manage.py chillio_view {first}",
        "  time passing (the viewer watches something; the next sync picks it up):",
        f"    {settings_env} python manage.py sandbox_watch {first} movie_603",
        "  leave the demo: Ctrl-C; run the real thing: set TMDB_API_KEY + TRAKT_CLIENT_ID/SECRET, `make run`",
        "=" * 96,
    ]
    return "\n".join(lines)
