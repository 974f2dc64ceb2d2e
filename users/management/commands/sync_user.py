"""Sync one viewer from Trakt now, in this process (operators, debugging)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reclio.http import UpstreamError
from users import selectors, services


class Command(BaseCommand):
    help = "Sync one user's Trakt history, ratings and watchlist now."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("user_id", help="Reclio user id (UUID)")
        parser.add_argument("--full", action="store_true", help="re-fetch everything and reconcile removals")

    def handle(self, *args: Any, **options: Any) -> None:
        user = selectors.user_get(user_id=options["user_id"])
        if user is None:
            raise CommandError(f"no user {options['user_id']!r}")
        try:
            summary = services.user_sync_run(user_id=user.pk, full=options["full"])
        except UpstreamError as exc:
            raise CommandError(f"Trakt sync failed: {exc}") from exc
        self.stdout.write(str(summary))
