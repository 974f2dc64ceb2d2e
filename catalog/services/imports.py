"""Offline catalog imports: TMDB JSON lines, and the tabular datasets. Same upsert path as the sync."""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings

from catalog.contracts import ImportSummary
from catalog.datasets import DatasetRecord, movielens_records, netflix_records
from catalog.services.notify import catalog_changed_notify, items_reembed_enqueue
from catalog.services.upsert import UpsertResult, content_items_upsert
from catalog.tmdb import TmdbParseError, TmdbTitle, tmdb_title_parse

Progress = Callable[[int], None]
MAX_ERRORS_KEPT = 50
# A TMDB details response with credits and keywords is a few tens of kB; a longer "line" is not one.
MAX_LINE_BYTES = 4 * 1024 * 1024


def _media_type_guess(record: dict) -> str:
    # A details response has no media_type field; shows are the ones with a name and a first air date.
    explicit = record.get("media_type")
    if explicit in ("movie", "tv"):
        return explicit
    return "tv" if "name" in record and "title" not in record else "movie"


def _upsert_stream(
    titles: Iterable[tuple[TmdbTitle, str]], *, progress: Progress | None
) -> tuple[UpsertResult, Counter[str]]:
    """Upsert in batches as records stream in; ``progress(n)`` after each batch."""
    result = UpsertResult()
    sources: Counter[str] = Counter()
    batch: list[TmdbTitle] = []
    size = settings.CATALOG_UPSERT_BATCH_SIZE

    def flush() -> None:
        if batch:
            result.merge(content_items_upsert(titles=batch, confirmed_at=None))
            if progress:
                progress(len(batch))
            batch.clear()

    for title, source in titles:
        sources[source] += 1
        batch.append(title)
        if len(batch) >= size:
            flush()
    flush()
    return result, sources


def _summary(
    result: UpsertResult, *, read: int, skipped: int, sources: Counter[str], errors: list[str], started: float
) -> ImportSummary:
    reembed = items_reembed_enqueue(item_ids=result.reembed)
    if result.changed:
        catalog_changed_notify(item_ids=result.changed)
    errors = [*errors, *(f"{item_id}: {reason}" for item_id, reason in result.refused)]
    return ImportSummary(
        read=read,
        skipped=skipped + len(result.refused),
        created=len(result.created),
        updated=len(result.updated),
        refreshed=len(result.refreshed),
        unchanged=len(result.unchanged),
        reembed_queued=reembed,
        seconds=round(time.monotonic() - started, 3),
        by_source=dict(sources),
        errors=tuple(errors[:MAX_ERRORS_KEPT]),
    )


def catalog_tmdb_jsonl_import(
    *, path: Path, media_type: str | None = None, progress: Progress | None = None
) -> ImportSummary:
    """``import_catalog PATH``: one TMDB details response per line (``append_to_response=credits,keywords``).

    A line that is not JSON or not TMDB-shaped is skipped and reported with its line number.
    """
    started = time.monotonic()
    counts = {"read": 0, "skipped": 0}
    errors: list[str] = []

    def titles() -> Iterator[tuple[TmdbTitle, str]]:
        # Bytes, decoded line by line: a file that is not UTF-8 (binary, a zip by mistake) is a list
        # of skipped lines, not a UnicodeDecodeError halfway through.
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                counts["read"] += 1
                try:
                    if len(raw) > MAX_LINE_BYTES:
                        raise TmdbParseError(f"line longer than {MAX_LINE_BYTES} bytes")
                    line = raw.decode("utf-8")
                    record = json.loads(line)
                    if not isinstance(record, dict):
                        raise TmdbParseError("line is not a JSON object")
                    yield tmdb_title_parse(record, media_type=media_type or _media_type_guess(record)), "tmdb-json"
                except UnicodeDecodeError:
                    counts["skipped"] += 1
                    errors.append(f"line {number}: not UTF-8 text")
                except (ValueError, TmdbParseError) as exc:
                    counts["skipped"] += 1
                    errors.append(f"line {number}: {str(exc)[:200]}")

    result, sources = _upsert_stream(titles(), progress=progress)
    return _summary(
        result, read=counts["read"], skipped=counts["skipped"], sources=sources, errors=errors, started=started
    )


def catalog_records_parse(records: Iterable[DatasetRecord], *, errors: list[str]) -> Iterator[tuple[TmdbTitle, str]]:
    for record in records:
        try:
            title = tmdb_title_parse(record.details, media_type=record.media_type)
        except TmdbParseError as exc:
            errors.append(f"{record.media_type}_{record.details.get('id')}: {exc}")
            continue
        if title.year is None and record.year is not None:
            title = dataclasses.replace(title, year=record.year)
        yield title, record.source


def catalog_datasets_import(
    *,
    movielens_dir: Path | None = None,
    tmdb_csv: Path | None = None,
    tmdb5000_csv: Path | None = None,
    netflix_csv: Path | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Build a catalog from the public datasets: MovieLens movies joined to both TMDB files, Netflix shows."""
    started = time.monotonic()
    errors: list[str] = []

    def records() -> Iterator[DatasetRecord]:
        if movielens_dir is not None:
            yield from movielens_records(movielens_dir=movielens_dir, tmdb_csv=tmdb_csv, tmdb5000_csv=tmdb5000_csv)
        if netflix_csv is not None:
            yield from netflix_records(netflix_csv=netflix_csv)

    result, sources = _upsert_stream(catalog_records_parse(records(), errors=errors), progress=progress)
    read = sum(sources.values()) + len(errors)
    return _summary(result, read=read, skipped=len(errors), sources=sources, errors=errors, started=started)
