"""Recompute prepared feed rows: ``manage.py feeds_refresh --user <uuid> [--now]`` or ``--all``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from feeds.models import PreparedFeeds
from feeds.services import feed_refresh_enqueue_many, user_feed_rows_refresh
from users import selectors as users_selectors


class Command(BaseCommand):
    help = "Queue (or with --now, run) a refresh of users' ten ChillLink rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", action="append", default=[], help="user UUID (repeatable)")
        parser.add_argument("--all", action="store_true", help="every user that has prepared rows")
        parser.add_argument("--now", action="store_true", help="run in this process instead of queueing")
        parser.add_argument("--last-watched", default=None, help="anchor hint, e.g. movie:157336")

    def handle(
        self, *args: Any, user: list[str], all: bool, now: bool, last_watched: str | None, **options: Any
    ) -> None:
        # A typo or a removed viewer is the operator's to see, not a traceback or a silent "refreshed".
        viewers = {user_id: users_selectors.user_get(user_id=user_id) for user_id in user}
        if missing := [user_id for user_id, viewer in viewers.items() if viewer is None]:
            raise CommandError(f"no viewer with id {', '.join(repr(user_id) for user_id in missing)}")
        user_ids = [str(viewer.pk) for viewer in viewers.values() if viewer is not None]
        if all:
            user_ids += [str(pk) for pk in PreparedFeeds.objects.values_list("user_id", flat=True)]
        if not user_ids:
            raise CommandError("give --user <uuid> (repeatable) or --all")
        if now:
            for user_id in user_ids:
                user_feed_rows_refresh(user_id=user_id, last_watched=last_watched)
            self.stdout.write(self.style.SUCCESS(f"refreshed {len(user_ids)} user(s)"))
            return
        queued = feed_refresh_enqueue_many(user_ids=user_ids, reason="command")
        self.stdout.write(self.style.SUCCESS(f"queued {queued} refresh(es)"))
