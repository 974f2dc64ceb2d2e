"""Train the local engine now, in this process (the same service the nightly task runs)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from recsys.services import engine_train, users_recommendations_refresh_enqueue


class Command(BaseCommand):
    help = "Train the local recommender engine; --rescore also queues rescoring of every user."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--rescore", action="store_true", help="queue per-user rescoring on the recsys queue")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        summary = engine_train()
        self.stdout.write(
            f"trained {summary.version}: {summary.users} users, {summary.items} titles "
            f"({summary.cf_items} with collaborative signal), "
            f"{summary.interactions} interactions in {summary.seconds:.1f}s"
        )
        if options["rescore"]:
            chunks = users_recommendations_refresh_enqueue(user_ids=summary.user_ids)
            self.stdout.write(f"queued {chunks} rescoring chunk(s)")
