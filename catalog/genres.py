"""TMDB genre ids and names: row titles ("Top Science Fiction Movies for You") and dataset imports.

Reference: https://developer.themoviedb.org/reference/genre-movie-list and
https://developer.themoviedb.org/reference/genre-tv-list (stable ids; English names).
Kept in code so /feeds, the refresh task and the offline imports never call TMDB for a genre.
"""

from __future__ import annotations

# Ids TMDB gives the same name for movies and TV (Mystery and Western are shared too but sit apart
# in TMDB's order, which the tables keep).
_SHARED_GENRES: dict[int, str] = {
    16: "Animation",
    35: "Comedy",
    80: "Crime",
    99: "Documentary",
    18: "Drama",
    10751: "Family",
}

MOVIE_GENRES: dict[int, str] = {
    28: "Action",
    12: "Adventure",
    **_SHARED_GENRES,
    14: "Fantasy",
    36: "History",
    27: "Horror",
    10402: "Music",
    9648: "Mystery",
    10749: "Romance",
    878: "Science Fiction",
    10770: "TV Movie",
    53: "Thriller",
    10752: "War",
    37: "Western",
}

# Genres TMDB no longer lists (and discover no longer filters by) that older title data still carries.
# A user's "top genre" among these is skipped in favour of the next one.
RETIRED_MOVIE_GENRES: dict[int, str] = {10769: "Foreign"}

TV_GENRES: dict[int, str] = {
    10759: "Action & Adventure",
    **_SHARED_GENRES,
    10762: "Kids",
    9648: "Mystery",
    10763: "News",
    10764: "Reality",
    10765: "Sci-Fi & Fantasy",
    10766: "Soap",
    10767: "Talk",
    10768: "War & Politics",
    37: "Western",
}


def genre_name(*, media_type: str, genre_id: int) -> str | None:
    table = TV_GENRES if media_type == "tv" else MOVIE_GENRES
    return table.get(genre_id)
