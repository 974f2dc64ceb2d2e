"""ChillLink Feed objects: ids, titles and the TMDB queries behind every row and its fallback.

Pure functions, no database: the default document is built from these once per process, and the
refresh task uses them for each user's rows. Shapes follow ChillLink (../shared/api/README.md):
``{"id", "title", "source": "trakt_list" | "tmdb_query", "source_metadata", "content_type"}``;
``tmdb_query`` metadata is ``{"path": "/discover/movie", "parameters": "k=v&..."}`` (no leading
``?``, ``""`` when none) and Chillio runs that TMDB query itself.

Feed ids are stable while a row means the same thing and change when its meaning changes (another
anchor, other genres, a list instead of a query), so Chillio's per-feed cache refreshes.
TMDB query references: https://developer.themoviedb.org/reference/discover-movie ,
https://developer.themoviedb.org/reference/discover-tv (``with_genres``: ``|`` = OR, ``,`` = AND),
https://developer.themoviedb.org/reference/trending-movies , …/movie-recommendations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeGuard
from urllib.parse import urlencode

from catalog.contracts import MediaType, genre_name

MOVIE = MediaType.MOVIE.value
TV = MediaType.TV.value
CONTENT_TYPE = {MOVIE: "movies", TV: "shows"}
NOUN = {MOVIE: "Movies", TV: "Shows"}
# Singular used in feed ids: because_watched_movie_…, because_watched_show_… (ChillLink example).
ID_WORD = {MOVIE: "movie", TV: "show"}

# The ten rows, in the order Chillio shows them.
ROW_KEYS: tuple[str, ...] = (
    "recommended_movies",
    "recommended_shows",
    "because_watched_movie",
    "because_watched_show",
    "trending_movies",
    "trending_shows",
    "top_genre_movies",
    "top_genre_shows",
    "hidden_gems_movies",
    "hidden_gems_shows",
)
ROW_MEDIA: dict[str, str] = {key: (TV if key.endswith(("_shows", "_show")) else MOVIE) for key in ROW_KEYS}

# Vote floors: TV titles collect far fewer votes on TMDB than movies, so their floors are lower.
_POPULAR_FLOOR = {MOVIE: 100, TV: 50}
_WELL_RATED_FLOOR = {MOVIE: 1000, TV: 300}
# Hidden gems: well rated, with a vote-count window standing in for "modest popularity" (discover
# has no popularity filter; vote_count tracks it closely). The floor keeps out 9.8-from-4-votes titles.
_GEM_MIN_AVERAGE = {MOVIE: "7.2", TV: "7.5"}
_GEM_VOTES = {MOVIE: (200, 2000), TV: (100, 1000)}


def _params(pairs: Sequence[tuple[str, Any]]) -> str:
    return urlencode([(key, str(value)) for key, value in pairs])


def _genre_list(genre_ids: Sequence[int]) -> str:
    return "|".join(str(genre) for genre in genre_ids)


def _genre_key(genre_ids: Sequence[int]) -> str:
    return "-".join(str(genre) for genre in genre_ids)


def tmdb_feed(
    *, feed_id: str, title: str, media_type: str, path: str, parameters: str = "", blurb: str | None = None
) -> dict[str, Any]:
    feed: dict[str, Any] = {
        "id": feed_id,
        "title": title,
        "source": "tmdb_query",
        "source_metadata": {"path": path, "parameters": parameters},
        "content_type": CONTENT_TYPE[media_type],
    }
    if blurb:
        feed["blurb"] = blurb
    return feed


def trakt_feed(*, feed_id: str, title: str, media_type: str, list_id: int, blurb: str | None = None) -> dict[str, Any]:
    feed: dict[str, Any] = {
        "id": feed_id,
        "title": title,
        "source": "trakt_list",
        "source_metadata": {"id": int(list_id)},
        "content_type": CONTENT_TYPE[media_type],
    }
    if blurb:
        feed["blurb"] = blurb
    return feed


# --- rows 1-2: Recommended For You ---------------------------------------------------------------
def recommended_title(media_type: str) -> str:
    return f"Recommended {NOUN[media_type]} for You"


def popular_feed(*, media_type: str) -> dict[str, Any]:
    """No history at all: TMDB's popular list."""
    return tmdb_feed(
        feed_id=f"popular_{CONTENT_TYPE[media_type]}",
        title=f"Popular {NOUN[media_type]}",
        media_type=media_type,
        path=f"/{media_type}/popular",
    )


def recommended_fallback_feed(*, media_type: str, genre_ids: Sequence[int], blurb: str | None = None) -> dict[str, Any]:
    """Picks not materialised: TMDB discover over the user's top genres (OR), most popular first."""
    if not genre_ids:
        return popular_feed(media_type=media_type)
    return tmdb_feed(
        feed_id=f"recommended_{CONTENT_TYPE[media_type]}_genres_{_genre_key(genre_ids)}",
        title=recommended_title(media_type),
        media_type=media_type,
        path=f"/discover/{media_type}",
        parameters=_params(
            [
                ("with_genres", _genre_list(genre_ids)),
                ("sort_by", "popularity.desc"),
                ("vote_count.gte", _POPULAR_FLOOR[media_type]),
            ]
        ),
        blurb=blurb,
    )


# --- rows 3-4: Because You Watched ---------------------------------------------------------------
def because_watched_feed_id(*, media_type: str, tmdb_id: int) -> str:
    return f"because_watched_{ID_WORD[media_type]}_tmdb_{tmdb_id}"


def because_watched_title(*, anchor_title: str) -> str:
    return f"Because You Watched {anchor_title}"


def because_watched_fallback_feed(*, media_type: str, tmdb_id: int, anchor_title: str) -> dict[str, Any]:
    """Blend not materialised: TMDB's own recommendations for the anchor.

    Its id differs from the list's (same anchor, other titles): Chillio caches per feed id, and would
    otherwise keep showing the list's titles under the query, or the reverse.
    """
    return tmdb_feed(
        feed_id=f"{because_watched_feed_id(media_type=media_type, tmdb_id=tmdb_id)}_recommendations",
        title=because_watched_title(anchor_title=anchor_title),
        media_type=media_type,
        path=f"/{media_type}/{tmdb_id}/recommendations",
    )


def more_to_discover_feed(*, media_type: str) -> dict[str, Any]:
    """No anchor: popular titles that viewers also rate well (differs from row 1's plain popular)."""
    return tmdb_feed(
        feed_id=f"more_to_discover_{CONTENT_TYPE[media_type]}",
        title=f"More {NOUN[media_type]} to Discover",
        media_type=media_type,
        path=f"/discover/{media_type}",
        parameters=_params(
            [
                ("sort_by", "popularity.desc"),
                ("vote_average.gte", "7"),
                ("vote_count.gte", _WELL_RATED_FLOOR[media_type] // 2),
            ]
        ),
    )


# --- rows 5-6: Trending --------------------------------------------------------------------------
def trending_feed(*, media_type: str) -> dict[str, Any]:
    return tmdb_feed(
        feed_id=f"trending_{CONTENT_TYPE[media_type]}",
        title=f"Trending {NOUN[media_type]}",
        media_type=media_type,
        path=f"/trending/{media_type}/week",
    )


# --- rows 7-8: Top genre for you -----------------------------------------------------------------
def top_genre_feed(*, media_type: str, genre_id: int | None, blurb: str | None = None) -> dict[str, Any]:
    name = genre_name(media_type=media_type, genre_id=genre_id) if genre_id is not None else None
    if genre_id is None or name is None:
        return tmdb_feed(
            feed_id=f"top_rated_{CONTENT_TYPE[media_type]}",
            title=f"Top Rated {NOUN[media_type]}",
            media_type=media_type,
            path=f"/{media_type}/top_rated",
        )
    return tmdb_feed(
        feed_id=f"top_genre_{CONTENT_TYPE[media_type]}_{genre_id}",
        title=f"Top {name} {NOUN[media_type]} for You",
        media_type=media_type,
        path=f"/discover/{media_type}",
        parameters=_params(
            [
                ("with_genres", genre_id),
                ("sort_by", "vote_average.desc"),
                ("vote_count.gte", _WELL_RATED_FLOOR[media_type]),
            ]
        ),
        blurb=blurb,
    )


# --- rows 9-10: Hidden gems ----------------------------------------------------------------------
def hidden_gems_feed(*, media_type: str, genre_ids: Sequence[int] = (), blurb: str | None = None) -> dict[str, Any]:
    low, high = _GEM_VOTES[media_type]
    pairs: list[tuple[str, Any]] = [
        ("sort_by", "vote_average.desc"),
        ("vote_average.gte", _GEM_MIN_AVERAGE[media_type]),
        ("vote_count.gte", low),
        ("vote_count.lte", high),
    ]
    feed_id = f"hidden_gems_{CONTENT_TYPE[media_type]}"
    if genre_ids:
        pairs.insert(0, ("with_genres", _genre_list(genre_ids)))
        feed_id = f"{feed_id}_{_genre_key(genre_ids)}"
    return tmdb_feed(
        feed_id=feed_id,
        title=f"Hidden Gem {NOUN[media_type]}",
        media_type=media_type,
        path=f"/discover/{media_type}",
        parameters=_params(pairs),
        blurb=blurb,
    )


def default_feeds() -> list[dict[str, Any]]:
    """The ten rows for a viewer we know nothing about (unknown user, or anything failed)."""
    return [
        popular_feed(media_type=MOVIE),
        popular_feed(media_type=TV),
        more_to_discover_feed(media_type=MOVIE),
        more_to_discover_feed(media_type=TV),
        trending_feed(media_type=MOVIE),
        trending_feed(media_type=TV),
        top_genre_feed(media_type=MOVIE, genre_id=None),
        top_genre_feed(media_type=TV, genre_id=None),
        hidden_gems_feed(media_type=MOVIE),
        hidden_gems_feed(media_type=TV),
    ]


_FEED_KEYS = frozenset({"id", "title", "source", "source_metadata", "content_type"})


def feed_is_valid(feed: Any) -> TypeGuard[dict[str, Any]]:
    """Cheap structural check of one stored Feed before serving it (full schema lives in tests)."""
    if not isinstance(feed, dict) or not _FEED_KEYS <= feed.keys():
        return False
    if not (isinstance(feed["id"], str) and feed["id"] and isinstance(feed["title"], str) and feed["title"]):
        return False
    if feed["content_type"] not in ("movies", "shows", "all"):
        return False
    meta = feed["source_metadata"]
    if not isinstance(meta, dict):
        return False
    if feed["source"] == "trakt_list":
        return type(meta.get("id")) is int and meta["id"] > 0
    if feed["source"] == "tmdb_query":
        path, parameters = meta.get("path"), meta.get("parameters")
        return isinstance(path, str) and path.startswith("/") and isinstance(parameters, str)
    return False
