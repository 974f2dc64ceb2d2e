"""Print what Chillio would show a demo viewer (over HTTP only) and check it; non-zero exit on a failed check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox.chillio import chillio_view, chillio_view_render
from users.models import User


@dataclass(frozen=True)
class DemoViewer:
    user_id: str
    username: str  # the viewer's sandbox Trakt username


def demo_user(ref: str) -> DemoViewer:
    user = User.objects.filter(trakt_slug=ref.lower()).first()
    if user is None:
        user = User.objects.filter(pk=ref).first() if len(ref) == 36 else None
    if user is None or not user.trakt_slug:
        raise CommandError(f"no connected viewer {ref!r} (a sandbox username such as demo1, or a Reclio user id)")
    return DemoViewer(user_id=str(user.pk), username=user.trakt_slug)


class Command(BaseCommand):
    help = "GET /manifest and /feeds as Chillio does, resolve every row into titles and check them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="sandbox username (demo1, ml414, ...) or Reclio user id")
        parser.add_argument("--first", type=int, default=5, help="titles to print per row")

    def handle(self, *args: Any, user: str, first: int, **options: Any) -> None:
        viewer = demo_user(user)
        view = chillio_view(
            base_url=settings.BASE_URL,
            user_id=viewer.user_id,
            username=viewer.username,
            trakt_url=settings.TRAKT_API_URL,
            tmdb_url=settings.TMDB_BASE_URL,
        )
        self.stdout.write(chillio_view_render(view, first=first))
        if not view.ok:
            raise CommandError("a check failed")
