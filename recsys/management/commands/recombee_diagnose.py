from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from recsys.services import recombee_diagnosis_run


class Command(BaseCommand):
    help = "Why Recombee does (not) work: the verdict of GET /admin/recombee/diagnose, as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write-test", action="store_true", help="write, read back and delete a probe item")

    def handle(self, *args: Any, **options: Any) -> None:
        diagnosis = recombee_diagnosis_run(write_test=options["write_test"])
        self.stdout.write(json.dumps(diagnosis.as_dict(), indent=2, default=str))
