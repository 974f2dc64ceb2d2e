"""Run the keyless demo: sandbox TMDB + Trakt, web, one worker per queue, beat; seed; print where to look."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from honcho.manager import Manager

from reclio.services import beat_schedule_mirror, demo_admin_ensure, embedded_servers_supervised
from sandbox.demo import (
    demo_banner,
    demo_feeds_wait,
    demo_process_commands,
    demo_seed,
    demo_world_prepare,
    wait_until,
)


class Command(BaseCommand):
    help = "Keyless demo against the local sandbox (docs/demo.md). Ctrl-C stops everything."
    requires_system_checks: list = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--viewers", type=int, default=3, help="demo viewers (sandbox Trakt accounts)")
        parser.add_argument("--titles", type=int, default=None, help="at most this many titles (small catalog)")
        parser.add_argument("--rebuild-world", action="store_true", help="build the world again (new viewers)")
        parser.add_argument("--deadline", type=float, default=600.0, help="seconds to wait for personal rows")

    def handle(
        self, *args: Any, viewers: int, titles: int | None, rebuild_world: bool, deadline: float, **options: Any
    ) -> None:
        if settings.SETTINGS_MODULE != "sandbox.settings":
            raise CommandError("run with DJANGO_SETTINGS_MODULE=sandbox.settings (make demo)")
        # Already imported as the settings module (checked above), so this runs nothing; it reads the
        # DEMO_* names with their types, which django.conf.settings cannot give mypy.
        from sandbox import settings as demo_settings

        started = time.monotonic()
        shared = os.environ.get("RECLIO_SHARED_DATA")
        world = demo_world_prepare(
            path=demo_settings.DEMO_WORLD_PATH,
            data_dir=Path(shared) if shared else None,
            viewers=viewers,
            title_limit=titles,
            rebuild=rebuild_world,
        )
        call_command("migrate", interactive=False, verbosity=0)
        beat_schedule_mirror()
        admin = demo_admin_ensure()
        admin_line = (
            f"{admin.username} / {admin.password}" if admin.created else f"see {settings.DATA_DIR}/demo-admin.txt"
        )
        base_url = settings.BASE_URL
        manager = Manager()
        for name, command in demo_process_commands(
            world_path=demo_settings.DEMO_WORLD_PATH,
            host=demo_settings.DEMO_HOST,
            web_port=demo_settings.DEMO_WEB_PORT,
            tmdb_port=demo_settings.DEMO_TMDB_PORT,
            trakt_port=demo_settings.DEMO_TRAKT_PORT,
        ).items():
            manager.add_process(name, command, cwd=str(settings.BASE_DIR))

        def seed() -> None:
            say = lambda line: self.stdout.write(f"[demo] {line}")  # noqa: E731
            try:
                until = time.monotonic() + deadline
                connected = demo_seed(world=world, trakt_url=demo_settings.DEMO_TRAKT_URL, say=say, deadline=until)
                wait_until("the web server", lambda: _ok(f"{base_url}/health"), deadline=until)
                self.stdout.write(demo_banner(base_url=base_url, admin_line=admin_line, viewers=connected, world=world))
                say("waiting for the first personal rows (trakt_list in /feeds) ...")
                first = demo_feeds_wait(base_url=base_url, viewers=connected, deadline=until)
                for username, _seconds in sorted(first.items(), key=lambda kv: kv[1]):
                    say(f"{username}: personal rows in /feeds {time.monotonic() - started:.0f} s after start")
                say(f"all viewers have personal rows, {time.monotonic() - started:.0f} s after `make demo`")
            except Exception as exc:  # noqa: BLE001 - the demo keeps running; say what failed
                say(f"seeding failed: {exc!r} (the processes keep running; see their logs above)")

        threading.Thread(target=seed, name="demo-seed", daemon=True).start()
        with embedded_servers_supervised():
            manager.loop()
        sys.exit(manager.returncode)


def _ok(url: str) -> bool:
    import requests

    return requests.get(url, timeout=5).status_code < 500
