"""Offline evaluation on MovieLens-format files (issue 6 protocol). No database needed."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recsys.evaluation.report import EvaluationRequest, evaluation_run, robustness_text, table_text


class Command(BaseCommand):
    help = "Evaluate popularity, item-kNN, ALS, EASE and the local engine with the fixed temporal protocol."
    requires_system_checks: list = []  # pure file work: must run without the database
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--ratings", type=Path, required=True)
        parser.add_argument("--movies", type=Path, required=True)
        parser.add_argument("--links", type=Path)
        parser.add_argument(
            "--metadata",
            type=Path,
            action="append",
            default=[],
            help="TMDB metadata CSV (tmdb-movies.csv and/or tmdb_5000_movies.csv); repeatable",
        )
        parser.add_argument("--mode", choices=("community", "solo"), default="community")
        parser.add_argument("--dump-recs", type=Path, help="write userId,movieId,rank for the engine's top 20")
        parser.add_argument(
            "--results", type=Path, default=settings.RECSYS_EVAL_RESULTS_DIR, help="folder for table, plot and caches"
        )
        parser.add_argument("--content", choices=("minilm", "none"), default="minilm")
        parser.add_argument("--max-users", type=int, help="evaluate a fixed random subset of users (quick runs)")
        parser.add_argument("--no-cold", action="store_true", help="skip the cold slice")
        parser.add_argument(
            "--no-robustness", action="store_true", help="skip the time split and new-titles slices (community mode)"
        )

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        for key in ("ratings", "movies", "links", *()):
            path = options.get(key)
            if path is not None and not path.exists():
                raise CommandError(f"--{key} {path} does not exist")
        for path in options["metadata"]:
            if not path.exists():
                raise CommandError(f"--metadata {path} does not exist")
        request = EvaluationRequest(
            ratings=options["ratings"],
            movies=options["movies"],
            links=options["links"],
            metadata=tuple(options["metadata"]),
            mode=options["mode"],
            results_dir=options["results"],
            dump_recs=options["dump_recs"],
            content=options["content"],
            max_users=options["max_users"],
            cold=not options["no_cold"],
            robustness=not options["no_robustness"],
        )
        rows = evaluation_run(request)
        self.stdout.write(table_text(rows, mode=request.mode))
        if robustness := robustness_text(rows):
            self.stdout.write(robustness)
        self.stdout.write(f"results written to {request.results_dir.resolve()}")
