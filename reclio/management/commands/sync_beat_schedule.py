from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reclio.services import beat_schedule_mirror


class Command(BaseCommand):
    help = "Mirror the beat schedule defined in code into django-celery-beat's tables."

    def handle(self, *args: Any, **options: Any) -> None:
        for name in beat_schedule_mirror():
            self.stdout.write(f"scheduled: {name}")
