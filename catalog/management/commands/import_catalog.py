"""Build or refresh the catalog offline, through the same upsert path as the TMDB sync.

manage.py import_catalog titles.jsonl                    # TMDB details JSON, one per line
manage.py import_catalog --datasets ../shared/data        # MovieLens+TMDB movies, Netflix shows
manage.py import_catalog --movielens DIR [--tmdb-csv F] [--tmdb5000-csv F] [--netflix F]
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.datasets import DatasetFormatError
from catalog.services import catalog_datasets_import, catalog_tmdb_jsonl_import


def _existing(path: str | None, *, kind: str, directory: bool = False) -> Path | None:
    if path is None:
        return None
    resolved = Path(path).expanduser()
    if not resolved.exists():
        raise CommandError(f"{kind} not found: {resolved}")
    if directory and not resolved.is_dir():
        raise CommandError(f"{kind} is not a directory: {resolved}")
    if not directory and not resolved.is_file():
        raise CommandError(f"{kind} is not a file: {resolved}")
    return resolved


class Command(BaseCommand):
    help = "Import catalog titles offline: TMDB details JSON lines, or the MovieLens/TMDB/Netflix datasets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="TMDB details JSON, one object per line")
        parser.add_argument("--media-type", choices=["movie", "tv"], help="for PATH lines without a hint")
        parser.add_argument("--datasets", help="the shared data dir (movielens-small/, tmdb/, netflix-titles/)")
        parser.add_argument("--movielens", help="MovieLens dir with movies.csv and links.csv")
        parser.add_argument("--tmdb-csv", help="tmdb-movies.csv (cast, director, keywords)")
        parser.add_argument("--tmdb5000-csv", help="tmdb_5000_movies.csv (full keywords, genre ids)")
        parser.add_argument("--netflix", help="netflix_titles.csv (TV shows)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        datasets = _existing(options["datasets"], kind="datasets dir", directory=True)
        movielens = _existing(options["movielens"], kind="MovieLens dir", directory=True)
        tmdb_csv = _existing(options["tmdb_csv"], kind="tmdb-movies.csv")
        tmdb5000_csv = _existing(options["tmdb5000_csv"], kind="tmdb_5000_movies.csv")
        netflix = _existing(options["netflix"], kind="netflix_titles.csv")
        if datasets is not None:
            movielens = movielens or datasets / "movielens-small"
            tmdb_csv = tmdb_csv or datasets / "tmdb" / "tmdb-movies.csv"
            tmdb5000_csv = tmdb5000_csv or datasets / "tmdb" / "tmdb_5000_movies.csv"
            netflix = netflix or datasets / "netflix-titles" / "netflix_titles.csv"
        path = _existing(options["path"], kind="file")
        if path is None and movielens is None and netflix is None:
            raise CommandError("give a PATH of TMDB JSON lines, --datasets DIR, --movielens DIR or --netflix CSV")

        bar = tqdm(unit="title", desc="import", disable=options["no_progress"], file=sys.stderr)
        try:
            if path is not None:
                summary = catalog_tmdb_jsonl_import(path=path, media_type=options["media_type"], progress=bar.update)
            else:
                summary = catalog_datasets_import(
                    movielens_dir=movielens,
                    tmdb_csv=tmdb_csv,
                    tmdb5000_csv=tmdb5000_csv,
                    netflix_csv=netflix,
                    progress=bar.update,
                )
        except (OSError, UnicodeDecodeError, csv.Error, DatasetFormatError) as exc:
            # An unreadable or non-text dataset file: say which and why, without a traceback.
            raise CommandError(f"cannot read the input: {str(exc)[:300]}") from exc
        finally:
            bar.close()
        for error in summary.errors:
            self.stderr.write(f"skipped {error}")
        self.stdout.write(json.dumps(summary.as_dict(), default=str))
        self.stdout.write(
            self.style.SUCCESS(
                f"imported {summary.read - summary.skipped} of {summary.read} titles in {summary.seconds:.1f}s: "
                f"{summary.created} created, {summary.updated} updated, {summary.refreshed} refreshed, "
                f"{summary.unchanged} unchanged, {summary.skipped} skipped"
            )
        )
