"""Readers for the public tabular datasets (../shared/data), producing TMDB-shaped detail records.

Each reader yields ``DatasetRecord``s whose ``details`` is the JSON the TMDB details endpoint returns
(``append_to_response=credits,keywords``), so the importer parses and upserts them through exactly the
code path the sync uses, and the fake TMDB server (tests/fakes/tmdb.py) can serve them as responses.

Sources (see ../shared/data/README.md and docs/design/catalog.md):
- MovieLens ``movies.csv`` + ``links.csv``: every movie with a tmdbId; the join key for the rest.
- ``tmdb/tmdb_5000_movies.csv``: full keyword lists, genres with ids, dates, language.
- ``tmdb/tmdb-movies.csv``: cast (top 5), director, ≤ 5 keywords, tagline, overview.
  A movie in neither TMDB file still gets a row from MovieLens title + genres, so that every rated
  movie exists in the catalog.
- Netflix ``netflix_titles.csv``: TV shows only. It carries no TMDB id, so a show gets the negative
  id ``-N`` from its ``show_id`` ``sN`` (item id ``tv_-N``): real TMDB ids are positive, so these can
  never collide with a title the sync fetches, the ``tv_`` prefix keeps its meaning, and the sync
  never asks TMDB about them (it only fetches ``tmdb_id > 0``). Netflix movies are skipped: MovieLens
  covers movies with real TMDB ids, and a Netflix movie could not be matched to a viewer's history.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.genres import MOVIE_GENRES, RETIRED_MOVIE_GENRES, TV_GENRES

# Name → TMDB genre id, derived from the one genre table (catalog.genres); "Foreign" is a retired
# movie genre still present in older exports.
TMDB_MOVIE_GENRES = {name: genre_id for genre_id, name in (MOVIE_GENRES | RETIRED_MOVIE_GENRES).items()}
TMDB_TV_GENRES = {name: genre_id for genre_id, name in TV_GENRES.items()}
# MovieLens genre → TMDB movie genre; the rest (IMAX, Film-Noir) become keywords.
MOVIELENS_GENRES = {
    "Action": "Action",
    "Adventure": "Adventure",
    "Animation": "Animation",
    "Children": "Family",
    "Comedy": "Comedy",
    "Crime": "Crime",
    "Documentary": "Documentary",
    "Drama": "Drama",
    "Fantasy": "Fantasy",
    "Horror": "Horror",
    "Musical": "Music",
    "Mystery": "Mystery",
    "Romance": "Romance",
    "Sci-Fi": "Science Fiction",
    "Thriller": "Thriller",
    "War": "War",
    "Western": "Western",
}
# Netflix "listed_in" → TMDB TV genre(s); the rest ("International TV Shows", "British TV Shows",
# "Teen TV Shows" …) become keywords, which the embedding text uses.
NETFLIX_TV_GENRES = {
    "TV Dramas": ("Drama",),
    "TV Comedies": ("Comedy",),
    "Crime TV Shows": ("Crime",),
    "Kids' TV": ("Kids",),
    "Docuseries": ("Documentary",),
    "Science & Nature TV": ("Documentary",),
    "Reality TV": ("Reality",),
    "Anime Series": ("Animation",),
    "TV Action & Adventure": ("Action & Adventure",),
    "TV Mysteries": ("Mystery",),
    "TV Sci-Fi & Fantasy": ("Sci-Fi & Fantasy",),
    "Stand-Up Comedy & Talk Shows": ("Comedy", "Talk"),
}

_ML_TITLE = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:[-–]\d{0,4})?\)\s*$")
# MovieLens files articles at the end: "Matrix, The" → "The Matrix" (also in foreign languages).
_ML_ARTICLE = re.compile(r"^(?P<rest>.*), (?P<article>The|A|An|Les|La|Le|L'|Il|Das|Der|Die|El|Los|Las)$")


@dataclass(frozen=True)
class DatasetRecord:
    media_type: str
    details: dict[str, Any]  # TMDB details JSON (credits and keywords appended)
    year: int | None  # when no full release date is known
    source: str  # "tmdb5000+tmdb", "tmdb", "tmdb5000", "movielens", "netflix"


class DatasetFormatError(ValueError):
    """A dataset file that is not the expected CSV (wrong file, binary content): the import stops with this."""


def _csv_rows(path: Path, *, columns: tuple[str, ...]) -> Iterator[dict[str, str]]:
    # utf-8-sig tolerates a BOM; newline="" lets csv handle the CRLF files and quoted newlines.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
        except UnicodeDecodeError:
            raise DatasetFormatError(f"{path.name} is not UTF-8 text") from None
        if missing := [column for column in columns if column not in header]:
            raise DatasetFormatError(f"{path.name} has no {', '.join(missing)} column: is it the right file?")
        try:
            yield from reader
        except UnicodeDecodeError as exc:
            raise DatasetFormatError(f"{path.name} is not UTF-8 text (byte {exc.start} of a chunk)") from None


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except (ValueError, OverflowError):  # OverflowError: int(float("inf"))
        return None


def _float_or_none(value: str | None) -> float | None:
    try:
        parsed = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    # float() reads "inf", "nan" and "1e999": an unknown number, not an infinite popularity.
    return parsed if parsed is not None and math.isfinite(parsed) else None


def _split(value: str | None, sep: str) -> list[str]:
    return [part.strip() for part in (value or "").split(sep) if part.strip()]


def movielens_title(raw: str) -> tuple[str, int | None]:
    """'American President, The (1995)' → ('The American President', 1995)."""
    match = _ML_TITLE.match(raw.strip())
    title, year = (match["title"], int(match["year"])) if match else (raw.strip(), None)
    article = _ML_ARTICLE.match(title)
    if article:
        joiner = "" if article["article"].endswith("'") else " "
        title = f"{article['article']}{joiner}{article['rest']}"
    return title, year


def _tmdb_movies_date(row: dict[str, str]) -> str:
    """tmdb-movies.csv writes M/D/YY; the two-digit year is ambiguous, so take it from release_year."""
    year = _int_or_none(row.get("release_year"))
    parts = _split(row.get("release_date"), "/")
    if year is None or len(parts) != 3:
        return ""
    try:
        return dt.date(year, int(parts[0]), int(parts[1])).isoformat()
    except ValueError:
        return ""


def _json_list(value: str | None) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(value or "[]")
    except ValueError:
        return []
    return [item for item in parsed if isinstance(item, dict)] if isinstance(parsed, list) else []


def tmdb_csv_read(path: Path) -> dict[int, dict[str, str]]:
    """tmdb-movies.csv keyed by id (the first of a duplicated id wins)."""
    rows: dict[int, dict[str, str]] = {}
    for row in _csv_rows(path, columns=("id",)):
        tmdb_id = _int_or_none(row.get("id"))
        if tmdb_id is not None and tmdb_id > 0:
            rows.setdefault(tmdb_id, row)
    return rows


def tmdb5000_csv_read(path: Path) -> dict[int, dict[str, str]]:
    return tmdb_csv_read(path)


def _movie_details(
    tmdb_id: int, *, ml: tuple[str, list[str]] | None, tm: dict[str, str] | None, t5: dict[str, str] | None
) -> DatasetRecord:
    ml_title, ml_year, ml_genres = "", None, []
    if ml is not None:
        ml_title, ml_year = movielens_title(ml[0])
        ml_genres = ml[1]
    tm, t5 = tm or {}, t5 or {}

    def first(*values: str | None) -> str:
        return next((v.strip() for v in values if v and v.strip()), "")

    if t5.get("genres"):
        genres = [{"id": g["id"], "name": g["name"]} for g in _json_list(t5["genres"]) if "id" in g and "name" in g]
    elif tm.get("genres"):
        genres = [{"id": TMDB_MOVIE_GENRES[n], "name": n} for n in _split(tm["genres"], "|") if n in TMDB_MOVIE_GENRES]
    else:
        names = [MOVIELENS_GENRES[g] for g in ml_genres if g in MOVIELENS_GENRES]
        genres = [{"id": TMDB_MOVIE_GENRES[n], "name": n} for n in dict.fromkeys(names)]
    keywords = [k["name"] for k in _json_list(t5.get("keywords")) if isinstance(k.get("name"), str)]
    if not keywords:
        keywords = _split(tm.get("keywords"), "|")
    if not t5 and not tm:
        keywords = [g.lower() for g in ml_genres if g not in MOVIELENS_GENRES and g != "(no genres listed)"]
    cast = [{"name": name, "order": order} for order, name in enumerate(_split(tm.get("cast"), "|")[:5])]
    crew = [{"name": name, "job": "Director"} for name in _split(tm.get("director"), "|")]
    popularity = _float_or_none(t5.get("popularity")) or _float_or_none(tm.get("popularity")) or 0.0
    details = {
        "id": tmdb_id,
        "title": first(t5.get("title"), tm.get("original_title"), ml_title) or f"TMDB {tmdb_id}",
        "original_title": first(t5.get("original_title"), tm.get("original_title"), ml_title),
        "original_language": first(t5.get("original_language")),
        "tagline": first(t5.get("tagline"), tm.get("tagline")),
        "overview": first(t5.get("overview"), tm.get("overview")),
        "release_date": first(t5.get("release_date"), _tmdb_movies_date(tm)),
        "genres": genres,
        "vote_average": _float_or_none(t5.get("vote_average")) or _float_or_none(tm.get("vote_average")) or 0.0,
        "vote_count": _int_or_none(t5.get("vote_count")) or _int_or_none(tm.get("vote_count")) or 0,
        "popularity": popularity,
        "poster_path": None,
        "adult": False,
        "credits": {"cast": cast, "crew": crew},
        "keywords": {"keywords": [{"id": 0, "name": k} for k in keywords]},
    }
    year = _int_or_none(tm.get("release_year")) or ml_year
    source = "+".join(name for name, row in (("tmdb5000", t5), ("tmdb", tm)) if row) or "movielens"
    return DatasetRecord("movie", details, year, source)


def movielens_records(
    *, movielens_dir: Path, tmdb_csv: Path | None = None, tmdb5000_csv: Path | None = None
) -> Iterator[DatasetRecord]:
    """Every MovieLens movie with a tmdbId, enriched from whichever TMDB file knows it."""
    movies = {
        row["movieId"]: (row["title"], _split(row.get("genres"), "|"))
        for row in _csv_rows(movielens_dir / "movies.csv", columns=("movieId", "title"))
    }
    tm = tmdb_csv_read(tmdb_csv) if tmdb_csv else {}
    t5 = tmdb5000_csv_read(tmdb5000_csv) if tmdb5000_csv else {}
    seen: set[int] = set()
    for link in _csv_rows(movielens_dir / "links.csv", columns=("movieId", "tmdbId")):
        tmdb_id = _int_or_none(link.get("tmdbId"))
        if tmdb_id is None or tmdb_id <= 0 or tmdb_id in seen:  # 8 have none; 4912 appears twice
            continue
        seen.add(tmdb_id)
        yield _movie_details(tmdb_id, ml=movies.get(link["movieId"]), tm=tm.get(tmdb_id), t5=t5.get(tmdb_id))


def tmdb_movie_records(*, tmdb_csv: Path | None = None, tmdb5000_csv: Path | None = None) -> Iterator[DatasetRecord]:
    """Every movie of the two TMDB files (with or without MovieLens): the fake TMDB server's movies."""
    tm = tmdb_csv_read(tmdb_csv) if tmdb_csv else {}
    t5 = tmdb5000_csv_read(tmdb5000_csv) if tmdb5000_csv else {}
    for tmdb_id in sorted(set(tm) | set(t5)):
        yield _movie_details(tmdb_id, ml=None, tm=tm.get(tmdb_id), t5=t5.get(tmdb_id))


def netflix_show_id(show_id: str) -> int | None:
    """'s123' → -123: negative, so it can never be a real TMDB id (see the module docstring)."""
    match = re.fullmatch(r"s(\d+)", show_id.strip())
    return -int(match[1]) if match else None


def netflix_records(*, netflix_csv: Path) -> Iterator[DatasetRecord]:
    for row in _csv_rows(netflix_csv, columns=("show_id", "type", "title")):
        if row.get("type") != "TV Show":
            continue
        tmdb_id = netflix_show_id(row.get("show_id", ""))
        title = (row.get("title") or "").strip()
        if tmdb_id is None or not title:
            continue
        genre_names: list[str] = []
        keywords: list[str] = []
        for category in _split(row.get("listed_in"), ","):
            mapped = NETFLIX_TV_GENRES.get(category)
            if mapped:
                genre_names.extend(mapped)
            else:
                keywords.append(category)
        details = {
            "id": tmdb_id,
            "name": title,
            "original_name": title,
            "overview": (row.get("description") or "").strip(),
            "first_air_date": "",
            "genres": [{"id": TMDB_TV_GENRES[n], "name": n} for n in dict.fromkeys(genre_names)],
            "created_by": [{"name": name} for name in _split(row.get("director"), ",")],
            "credits": {"cast": [{"name": n, "order": i} for i, n in enumerate(_split(row.get("cast"), ",")[:5])]},
            "keywords": {"results": [{"id": 0, "name": k} for k in keywords]},
            "vote_average": 0.0,
            "vote_count": 0,
            "popularity": 0.0,
            "poster_path": None,
            "adult": False,
        }
        yield DatasetRecord("tv", details, _int_or_none(row.get("release_year")), "netflix")
