from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recsys.recombee.client import RecombeeSetupError, recombee_api_build
from recsys.recombee.push import PushReport, recombee_push_state_reset, recombee_sync_run


class Command(BaseCommand):
    help = "Push the catalog and the interactions to Recombee from their cursors (what the recsys job does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="forget the cursors first and send everything")
        parser.add_argument("--batch-size", type=int, default=None, help="requests per Batch call (≤ 10,000)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] is not None and not 1 <= options["batch_size"] <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10,000 (Recombee's Batch limit)")
        try:
            api = recombee_api_build()
        except RecombeeSetupError as exc:
            raise CommandError(f"{exc.verdict}: {exc}") from exc
        if options["reset"]:
            self.stdout.write(f"reset: {', '.join(recombee_push_state_reset())}")
        report = recombee_sync_run(api=api, batch_size=options["batch_size"])
        for part in (report.catalog, report.interactions):
            self.stdout.write(self._line(part))
        if report.failed:
            raise CommandError("a batch failed; its cursor did not move (run again to resume)")

    @staticmethod
    def _line(report: PushReport) -> str:
        line = (
            f"{report.kind}: sent={report.sent} accepted={report.accepted} "
            f"skipped={report.skipped} batches={report.batches}"
        )
        return line + (f" error={report.error}" if report.error else "")
