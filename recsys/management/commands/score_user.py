"""Score and store one user's picks now and print them (debugging and demos)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from catalog.contracts import MEDIA_TYPES
from recsys.selectors import recommendations_for_user
from recsys.services import user_recommendations_refresh
from users import selectors as users_selectors


class Command(BaseCommand):
    help = "Rescore one user's picks with the active backend and print the top ones."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("user_id")
        parser.add_argument("--show", type=int, default=10)

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        viewer = users_selectors.user_get(user_id=options["user_id"])
        if viewer is None:
            raise CommandError(f"no viewer with id {options['user_id']!r}")
        options["user_id"] = str(viewer.pk)
        stored = user_recommendations_refresh(user_id=options["user_id"])
        self.stdout.write(f"stored {stored} pick(s)")
        for media_type in MEDIA_TYPES:
            for rank, item in enumerate(
                recommendations_for_user(user_id=options["user_id"], media_type=media_type, limit=options["show"]), 1
            ):
                self.stdout.write(
                    f"{media_type} {rank:>2}. {item.item_id} {item.score:.3f} [{item.source}] {item.reason}"
                )
