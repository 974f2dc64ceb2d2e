"""Build ``sandbox/fixture/movies.jsonl`` once from the shared TMDB movie facts.

Run: ``python -m sandbox.fixture_build /work/shared/data`` (the output is committed, so a fresh clone
with no data folder still demos). It keeps facts only — id, title, year, genres, keywords, cast,
director, votes, popularity — and drops overviews and taglines: the builder in ``sandbox.data``
writes an overview from the facts instead of copying anyone's text.

Selection: the most-voted titles of every genre plus the most-voted overall, so each taste cluster
of the synthetic viewers has enough titles to watch and to be recommended; then a few well-rated,
less-voted titles per genre for the "hidden gems" rows.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from catalog.genres import MOVIE_GENRES

PER_GENRE = 18
OVERALL = 150
GEMS_PER_GENRE = 3
GEM_VOTES = (200, 2000)
GEM_MIN_AVERAGE = 7.2
OUT = Path(__file__).with_name("fixture") / "movies.jsonl"
_GENRE_IDS = {name: gid for gid, name in MOVIE_GENRES.items()}


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def fixture_rows(*, data_dir: Path) -> list[dict]:
    rows: dict[int, dict] = {}
    with (data_dir / "tmdb" / "tmdb-movies.csv").open(encoding="utf-8", newline="") as handle:
        for raw in csv.DictReader(handle):
            tmdb_id = int(raw["id"])
            genres = [_GENRE_IDS[g] for g in _split(raw["genres"]) if g in _GENRE_IDS]
            cast = _split(raw["cast"])[:5]
            if tmdb_id in rows or not genres or not cast or not raw["director"]:
                continue
            rows[tmdb_id] = {
                "tmdb_id": tmdb_id,
                "title": raw["original_title"],
                "year": int(raw["release_year"]),
                "genres": genres,
                "keywords": _split(raw["keywords"])[:5],
                "cast": cast,
                "director": _split(raw["director"])[0],
                "vote_average": float(raw["vote_average"]),
                "vote_count": int(raw["vote_count"]),
                "popularity": round(float(raw["popularity"]), 3),
            }
    by_votes = sorted(rows.values(), key=lambda row: (-row["vote_count"], row["tmdb_id"]))
    chosen: dict[int, dict] = {row["tmdb_id"]: row for row in by_votes[:OVERALL]}
    for genre_id in MOVIE_GENRES:
        for row in [row for row in by_votes if genre_id in row["genres"]][:PER_GENRE]:
            chosen[row["tmdb_id"]] = row
    main = sorted(chosen.values(), key=lambda row: (-row["vote_count"], row["tmdb_id"]))
    # "Hidden gems" (Reclio's rows 9-10 ask TMDB for well-rated, less-voted titles): a few per genre,
    # appended after the main list so a small subset (the first N rows) stays the most-voted titles.
    gems: dict[int, dict] = {}
    for genre_id in MOVIE_GENRES:
        candidates = [
            row
            for row in sorted(rows.values(), key=lambda row: (-row["vote_average"], row["tmdb_id"]))
            if genre_id in row["genres"]
            and GEM_VOTES[0] <= row["vote_count"] <= GEM_VOTES[1]
            and row["vote_average"] >= GEM_MIN_AVERAGE
            and row["tmdb_id"] not in chosen
        ]
        for row in candidates[:GEMS_PER_GENRE]:
            gems[row["tmdb_id"]] = row
    return main + sorted(gems.values(), key=lambda row: (-row["vote_count"], row["tmdb_id"]))


def main(argv: list[str]) -> None:
    data_dir = Path(argv[1] if len(argv) > 1 else "/work/shared/data")
    rows = fixture_rows(data_dir=data_dir)
    OUT.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    print(f"wrote {len(rows)} movies to {OUT}")  # noqa: T201 - a one-off script


if __name__ == "__main__":
    main(sys.argv)
