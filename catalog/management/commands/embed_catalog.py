"""Embed every catalog row that needs it, with a progress bar (or queue it for the workers)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.embedding import registry
from catalog.embedding.providers.base import ProviderError
from catalog.embedding.services import catalog_embeddings_enqueue_stale, catalog_embeddings_refresh


class Command(BaseCommand):
    help = (
        "Embed catalog rows whose vector is missing, from another model, or from older text. "
        "Current rows are skipped without a provider call; re-running continues where a run stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=None, help="rows per provider call (default EMBEDDING_BATCH_SIZE)"
        )
        parser.add_argument("--limit", type=int, default=None, help="embed at most this many rows")
        parser.add_argument(
            "--queue", action="store_true", help="queue tasks on the embeddings queue instead of embedding here"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        provider = registry.get_embedding_provider()
        if not provider.produces_vectors:
            self.stdout.write("Embeddings are off (EMBEDDING_PROVIDER resolves to none): nothing to do.")
            return
        if options["queue"]:
            queued = catalog_embeddings_enqueue_stale(limit=options["limit"])
            self.stdout.write(self.style.SUCCESS(f"Queued {queued} rows for {provider.model}."))
            return
        bar = tqdm(total=0, unit="item", desc=provider.model, disable=None)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            report = catalog_embeddings_refresh(
                batch_size=options["batch_size"], limit=options["limit"], on_progress=progress
            )
        except ProviderError as exc:
            raise CommandError(f"embedding stopped: {exc.message} (what was embedded is kept; run again)") from exc
        finally:
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Embedded {report.embedded} rows with {provider.model} "
                f"({report.provider_calls} provider calls, {report.raced} changed meanwhile, "
                f"{report.skipped} refused by the provider)."
            )
        )
