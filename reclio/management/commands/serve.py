"""Run the whole service on one machine: migrate, then web + one worker for every queue + beat.

Logs of the three processes are interleaved with a prefix; Ctrl-C (or SIGTERM) stops all of them,
and the embedded PostgreSQL/Redis stop once the last process that uses them has exited. While they
run, this process restarts the embedded PostgreSQL/Redis if either dies.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from honcho.manager import Manager

from reclio.services import (
    DEMO_ADMIN_FILE,
    beat_schedule_mirror,
    demo_admin_ensure,
    embedded_servers_supervised,
    service_process_commands,
    superuser_exists,
)


class Command(BaseCommand):
    help = "Run web + Celery worker (all queues) + beat with interleaved logs. Ctrl-C stops everything."
    requires_system_checks: list = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, host: str, port: int, concurrency: int, no_migrate: bool, **options: Any) -> None:
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=1)
        beat_schedule_mirror()
        call_command("check")
        # Only the embedded single-machine default gets a generated admin (printed, and kept in the
        # data dir); a real DATABASE_URL is a deployment, whose operator makes their own admin.
        admin = demo_admin_ensure() if settings.EMBEDDED_DATABASE else None
        base = f"http://{host}:{port}"
        lines = [
            "",
            "Reclio is starting:",
            f"  health     {base}/health",
            f"  admin      {base}/staff/",
            f"  API docs   {base}/api/docs/",
            f"  ChillLink  {base}/manifest",
        ]
        if admin is not None and admin.created:
            lines.append(
                f"  demo admin {admin.username} / {admin.password}  (also in {settings.DATA_DIR}/{DEMO_ADMIN_FILE})"
            )
        elif admin is None and not superuser_exists():
            lines.append("  no admin account yet: create one with `manage.py createsuperuser`")
        lines.append("Press Ctrl-C to stop.\n")
        self.stdout.write("\n".join(lines))

        manager = Manager()
        for name, command in service_process_commands(
            host=host, port=port, concurrency=concurrency, debug=settings.DEBUG
        ).items():
            manager.add_process(name, command, cwd=str(settings.BASE_DIR))
        # The embedded PostgreSQL/Redis are restarted if they die while the processes run.
        with embedded_servers_supervised():
            manager.loop()
        sys.exit(manager.returncode)
