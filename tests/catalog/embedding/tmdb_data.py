"""Load TMDB-shaped catalog rows from the shared dataset (tests and benchmarks; never copied).

``tmdb-movies.csv`` (Udacity/Kaggle TMDB export): pipe-separated genres/keywords/cast, one row per
movie, ids are TMDB movie ids. Genre ids follow TMDB's /genre/movie/list.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from catalog.datasets import TMDB_MOVIE_GENRES
from catalog.embedding.text import content_item_embedding_text, embedding_text_hash


class _Row:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def tmdb_movie_rows(data_dir: Path, *, limit: int | None = None) -> list[dict[str, Any]]:
    """ContentItem field dicts for the most popular movies first (deduplicated by TMDB id)."""
    path = Path(data_dir) / "tmdb" / "tmdb-movies.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        raw = list(csv.DictReader(handle))
    raw.sort(key=lambda r: -float(r["popularity"] or 0))
    rows, seen = [], set()
    for record in raw:
        tmdb_id = int(record["id"])
        if tmdb_id in seen or not record["original_title"].strip():
            continue
        seen.add(tmdb_id)
        genres = [{"id": TMDB_MOVIE_GENRES.get(name, 0), "name": name} for name in _split(record["genres"])]
        fields = {
            "item_id": f"movie_{tmdb_id}",
            "tmdb_id": tmdb_id,
            "media_type": "movie",
            "title": record["original_title"].strip(),
            "tagline": record["tagline"].strip(),
            "overview": record["overview"].strip(),
            "genres": genres,
            "genre_ids": [g["id"] for g in genres],
            "keywords": _split(record["keywords"]),
            "year": int(record["release_year"]) if record["release_year"] else None,
            "popularity": float(record["popularity"] or 0),
            "vote_count": int(record["vote_count"] or 0),
            "vote_average": float(record["vote_average"] or 0),
            "cast": _split(record["cast"])[:5],
            "director": record["director"].strip()[:500],
        }
        fields["source_hash"] = embedding_text_hash(content_item_embedding_text(_Row(**fields)))
        rows.append(fields)
        if limit is not None and len(rows) >= limit:
            break
    return rows
