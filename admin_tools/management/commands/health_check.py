from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from admin_tools.services import health_check_run


class Command(BaseCommand):
    help = "Run the health check now (every probe), store a snapshot and print it."

    def handle(self, *args: Any, **options: Any) -> None:
        snapshot = health_check_run()
        self.stdout.write(json.dumps({"ok": snapshot.ok, "checks": snapshot.checks}, indent=2, default=str))
