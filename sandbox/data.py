"""World builders: the titles and viewers a sandbox serves, from the shared data folder or the fixture.

``world_from_data_dir`` reads the shared MovieLens + TMDB files (``RECLIO_SHARED_DATA``): the
MovieLens movies that join TMDB become titles (facts only), and the N MovieLens users with the most
ratings (or a seeded sample) become Trakt accounts with their real history timestamps, their ratings
×2 (Trakt's 1–10) and a watchlist of well-rated titles they have not seen.

``world_from_fixture`` needs nothing outside the repository: a few hundred movies and a few dozen
shows in ``sandbox/fixture/`` plus synthetic viewers drawn from genre taste clusters (seeded RNG).

Overviews are written here from the facts ("A 1999 science fiction film directed by …"); no overview
or tagline text is copied from any dataset.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from catalog.genres import MOVIE_GENRES, TV_GENRES
from sandbox.world import Account, Rating, Title, Watch, WatchlistEntry, World

FIXTURE_DIR = Path(__file__).with_name("fixture")
_MOVIE_GENRE_IDS = {name: gid for gid, name in MOVIE_GENRES.items()}


@dataclass(frozen=True)
class TasteCluster:
    name: str
    movie_genres: frozenset[int]
    tv_genres: frozenset[int]


# Synthetic viewers lean towards one cluster; a cluster names the genres they watch and rate high.
TASTE_CLUSTERS: tuple[TasteCluster, ...] = (
    TasteCluster("scifi-action", frozenset({878, 28, 12}), frozenset({10765, 10759})),
    TasteCluster("crime-thriller", frozenset({80, 53, 9648}), frozenset({80, 9648})),
    TasteCluster("comedy-romance", frozenset({35, 10749}), frozenset({35})),
    TasteCluster("family-animation", frozenset({16, 10751, 14}), frozenset({16, 10751})),
    TasteCluster("drama-history", frozenset({18, 36, 10752}), frozenset({18, 10768})),
    TasteCluster("horror-mystery", frozenset({27, 9648, 53}), frozenset({9648, 10765})),
)


def overview_from_facts(
    *, media_type: str, year: int | None, genres: tuple[tuple[int, str], ...], director: str, cast: tuple[str, ...]
) -> str:
    """One sentence built from the facts, so no synopsis text is copied from anywhere."""
    kind = " ".join(name.lower() for _gid, name in genres[:2]) or "feature"
    noun = "series" if media_type == "tv" else "film"
    made = "created by" if media_type == "tv" else "directed by"
    text = f"A {year} {kind} {noun}" if year else f"A {kind} {noun}"
    if director:
        text += f" {made} {director}"
    if cast:
        text += ", starring " + (" and ".join(cast[:2]) if len(cast) <= 2 else f"{cast[0]}, {cast[1]} and {cast[2]}")
    return text + "."


def _title(*, media_type: str, row: dict) -> Title:
    table = TV_GENRES if media_type == "tv" else MOVIE_GENRES
    genres = tuple((gid, table[gid]) for gid in row["genres"] if gid in table)
    cast = tuple(row.get("cast", ()))
    return Title(
        media_type=media_type,
        tmdb_id=int(row["tmdb_id"]),
        title=row["title"],
        year=row.get("year"),
        genres=genres,
        keywords=tuple(row.get("keywords", ())),
        cast=cast,
        director=row.get("director", ""),
        overview=overview_from_facts(
            media_type=media_type, year=row.get("year"), genres=genres, director=row.get("director", ""), cast=cast
        ),
        vote_average=float(row.get("vote_average", 0.0)),
        vote_count=int(row.get("vote_count", 0)),
        popularity=float(row.get("popularity", 0.0)),
    )


def fixture_titles(*, limit: int | None = None) -> tuple[Title, ...]:
    """The shipped titles, movies then shows, each in the file's order (most-voted first).

    ``limit`` keeps a small catalog (e.g. for the end-to-end test): the first ``limit`` movies and a
    proportional share of the shows."""
    movies = [json.loads(line) for line in (FIXTURE_DIR / "movies.jsonl").read_text(encoding="utf-8").splitlines()]
    shows = [json.loads(line) for line in (FIXTURE_DIR / "shows.jsonl").read_text(encoding="utf-8").splitlines()]
    if limit is not None:
        movies, shows = movies[:limit], shows[: max(3, limit * len(shows) // (len(movies) + len(shows) or 1))]
    return tuple(_title(media_type="movie", row=row) for row in movies) + tuple(
        _title(media_type="tv", row=row) for row in shows
    )


def _affinity(title: Title, cluster: TasteCluster) -> float:
    wanted = cluster.tv_genres if title.media_type == "tv" else cluster.movie_genres
    return sum(1.0 for gid, _name in title.genres if gid in wanted)


def world_from_fixture(
    *, viewers: int = 3, seed: int = 7, title_limit: int | None = None, now: dt.datetime | None = None
) -> World:
    """The shipped titles plus ``viewers`` synthetic accounts (``demo1``, ``demo2``, …).

    Viewer i leans towards cluster i mod 6: its history is drawn from titles weighted by genre
    affinity and popularity over the last year, its ratings are high inside the cluster and middling
    outside it, and its watchlist holds unwatched in-cluster titles."""
    rng = random.Random(seed)  # noqa: S311 - seeded for a reproducible demo world, not secrecy
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    titles = fixture_titles(limit=title_limit)
    accounts = []
    for index in range(viewers):
        cluster = TASTE_CLUSTERS[index % len(TASTE_CLUSTERS)]
        weights = [(1.0 + 4.0 * _affinity(t, cluster)) * (1.0 + t.vote_count / 5000.0) for t in titles]
        count = min(len(titles) // 2, rng.randint(25, 40))
        watched: list[Title] = []
        pool = list(zip(titles, weights, strict=True))
        while len(watched) < count and pool:
            pick = rng.choices(range(len(pool)), weights=[w for _t, w in pool])[0]
            watched.append(pool.pop(pick)[0])
        start = now - dt.timedelta(days=365)
        moments = sorted(start + dt.timedelta(seconds=rng.randint(0, 360 * 86400)) for _ in watched)
        history = tuple(Watch(t.media_type, t.tmdb_id, when) for t, when in zip(watched, moments, strict=True))
        ratings = tuple(
            Rating(w.media_type, w.tmdb_id, _synthetic_rating(rng, _affinity(t, cluster)), w.watched_at)
            for t, w in zip(watched, history, strict=True)
            if rng.random() < 0.6
        )
        seen = {(t.media_type, t.tmdb_id) for t in watched}
        liked = sorted(
            (t for t in titles if (t.media_type, t.tmdb_id) not in seen and _affinity(t, cluster) > 0),
            key=lambda t: (-_affinity(t, cluster), -t.vote_count, t.tmdb_id),
        )
        watchlist = tuple(
            WatchlistEntry(t.media_type, t.tmdb_id, now - dt.timedelta(days=rng.randint(1, 30)))
            for t in rng.sample(liked[:30], k=min(6, len(liked[:30])))
        )
        accounts.append(
            Account(
                username=f"demo{index + 1}",
                name=f"Demo viewer {index + 1} ({cluster.name})",
                history=history,
                ratings=ratings,
                watchlist=watchlist,
            )
        )
    return World(
        titles=titles,
        accounts=tuple(accounts),
        source="fixture",
        meta={"seed": seed, "clusters": [TASTE_CLUSTERS[i % len(TASTE_CLUSTERS)].name for i in range(viewers)]},
    )


def _synthetic_rating(rng: random.Random, affinity: float) -> int:
    return max(1, min(10, round(rng.gauss(8.5 if affinity > 0 else 5.5, 1.0))))


# --- the shared data folder -------------------------------------------------------------------------


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split("|") if part.strip())


def _tmdb_facts(path: Path) -> dict[int, dict]:
    facts: dict[int, dict] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for raw in csv.DictReader(handle):
            tmdb_id = int(raw["id"])
            if tmdb_id in facts:
                continue  # id 42194 is listed twice; the first row wins
            facts[tmdb_id] = {
                "tmdb_id": tmdb_id,
                "title": raw["original_title"],
                "year": int(raw["release_year"]) if raw["release_year"] else None,
                "genres": [_MOVIE_GENRE_IDS[g] for g in _split(raw["genres"]) if g in _MOVIE_GENRE_IDS],
                "keywords": list(_split(raw["keywords"])[:5]),
                "cast": list(_split(raw["cast"])[:5]),
                "director": (_split(raw["director"]) or ("",))[0],
                "vote_average": float(raw["vote_average"] or 0),
                "vote_count": int(raw["vote_count"] or 0),
                "popularity": float(raw["popularity"] or 0),
            }
    return facts


def world_from_data_dir(
    data_dir: Path,
    *,
    users: int = 3,
    sample_seed: int | None = None,
    title_limit: int | None = None,
    watchlist_size: int = 8,
) -> World:
    """MovieLens users as Trakt accounts over the MovieLens movies that join TMDB.

    ``sample_seed`` None takes the ``users`` users with the most ratings; otherwise a seeded sample.
    ``title_limit`` keeps the most-rated titles plus every title the chosen users touch."""
    movielens = data_dir / "movielens-small"
    facts = _tmdb_facts(data_dir / "tmdb" / "tmdb-movies.csv")
    tmdb_of: dict[int, int] = {}
    with (movielens / "links.csv").open(encoding="utf-8", newline="") as handle:
        for raw in csv.DictReader(handle):
            if raw["tmdbId"] and int(raw["tmdbId"]) in facts:
                tmdb_of.setdefault(int(raw["movieId"]), int(raw["tmdbId"]))
    by_user: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
    with (movielens / "ratings.csv").open(encoding="utf-8", newline="") as handle:
        for raw in csv.DictReader(handle):
            movie = int(raw["movieId"])
            if movie in tmdb_of:
                by_user[int(raw["userId"])].append((tmdb_of[movie], float(raw["rating"]), int(raw["timestamp"])))

    if sample_seed is None:
        chosen = sorted(by_user, key=lambda uid: (-len(by_user[uid]), uid))[:users]
    else:
        sampler = random.Random(sample_seed)  # noqa: S311 - seeded for a reproducible sample, not secrecy
        chosen = sorted(sampler.sample(sorted(by_user), k=min(users, len(by_user))))

    totals: dict[int, list[float]] = defaultdict(list)
    for rows in by_user.values():
        for tmdb_id, stars, _ts in rows:
            totals[tmdb_id].append(stars)
    well_rated = sorted(
        (tmdb_id for tmdb_id, stars in totals.items() if len(stars) >= 20 and sum(stars) / len(stars) >= 4.0),
        key=lambda tmdb_id: (-len(totals[tmdb_id]), tmdb_id),
    )

    keep = set(tmdb_of.values())
    if title_limit is not None:
        keep = {tmdb_id for tmdb_id, _n in sorted(totals.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:title_limit]}
        keep |= {tmdb_id for uid in chosen for tmdb_id, _s, _t in by_user[uid]}
    rng = random.Random(sample_seed or 0)  # noqa: S311 - seeded for a reproducible demo world
    accounts = []
    for uid in chosen:
        rows = sorted(by_user[uid], key=lambda row: row[2])
        history = tuple(
            Watch("movie", tmdb_id, dt.datetime.fromtimestamp(ts, tz=dt.UTC)) for tmdb_id, _stars, ts in rows
        )
        ratings = tuple(
            Rating("movie", tmdb_id, max(1, min(10, round(stars * 2))), dt.datetime.fromtimestamp(ts, tz=dt.UTC))
            for tmdb_id, stars, ts in rows
        )
        seen = {tmdb_id for tmdb_id, _s, _t in rows}
        candidates = [tmdb_id for tmdb_id in well_rated if tmdb_id not in seen and tmdb_id in keep][:40]
        listed_at = dt.datetime.fromtimestamp(rows[-1][2], tz=dt.UTC) + dt.timedelta(hours=1)
        watchlist = tuple(
            WatchlistEntry("movie", tmdb_id, listed_at)
            for tmdb_id in rng.sample(candidates, k=min(watchlist_size, len(candidates)))
        )
        accounts.append(
            Account(
                username=f"ml{uid}", name=f"MovieLens user {uid}", history=history, ratings=ratings, watchlist=watchlist
            )
        )
    titles = tuple(_title(media_type="movie", row=facts[tmdb_id]) for tmdb_id in sorted(keep))
    return World(
        titles=titles,
        accounts=tuple(accounts),
        source=str(data_dir),
        meta={"movielens_users": chosen, "sample_seed": sample_seed},
    )


def world_build(*, data_dir: Path | None, viewers: int = 3, title_limit: int | None = None, seed: int = 7) -> World:
    """The data folder when it holds MovieLens + TMDB, else the fixture: a fresh clone still demos."""
    if (
        data_dir is not None
        and (data_dir / "movielens-small" / "ratings.csv").exists()
        and (data_dir / "tmdb" / "tmdb-movies.csv").exists()
    ):
        # A seeded sample, not the heaviest raters (thousands of ratings each): a demo viewer should look
        # like a person, and the first sync should take seconds.
        return world_from_data_dir(data_dir, users=viewers, sample_seed=seed, title_limit=title_limit)
    return world_from_fixture(viewers=viewers, seed=seed, title_limit=title_limit)
