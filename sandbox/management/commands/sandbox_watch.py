"""A demo viewer watches (or rates) a title in the sandbox Trakt; the next sync picks it up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.contracts import item_id_parse
from reclio.celery import app
from reclio.queues import Queue
from sandbox.chillio import sandbox_watch
from sandbox.management.commands.chillio_view import demo_user


class Command(BaseCommand):
    help = "Make a demo viewer watch (and optionally rate) a title in the sandbox Trakt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="sandbox username or Reclio user id")
        parser.add_argument("item_id", help="movie_<tmdb id> or tv_<tmdb id>")
        parser.add_argument("--rating", type=int, default=None, help="also rate it 1-10")
        parser.add_argument("--wait", action="store_true", help="do not queue a sync now; wait for the due one")

    def handle(self, *args: Any, user: str, item_id: str, rating: int | None, wait: bool, **options: Any) -> None:
        parsed = item_id_parse(item_id)
        if parsed is None:
            raise CommandError(f"not an item id: {item_id!r} (movie_603, tv_1396)")
        viewer = demo_user(user)
        sandbox_watch(
            trakt_url=settings.TRAKT_API_URL,
            username=viewer.username,
            media_type=parsed[0],
            tmdb_id=parsed[1],
            rating=rating,
        )
        self.stdout.write(f"{viewer.username} watched {item_id}" + (f" and rated it {rating}" if rating else ""))
        if not wait:
            # Time passes faster in a demo: queue the viewer's sync now on the real sync worker (by task
            # name, as a lower app notifies a higher one) instead of waiting for the hourly sweep.
            app.send_task("users.user_sync", args=[viewer.user_id], queue=Queue.SYNC.value)
            self.stdout.write("sync queued; rows change once the workers have run (chillio_view shows it)")
