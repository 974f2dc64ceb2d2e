"""Which title a row hangs on: the "Because You Watched" anchor and the cold-start seed. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from catalog.contracts import MediaType, item_id_make, item_id_parse


def hinted_item_id(hint: tuple[str, int] | None, *, media_type: str) -> str | None:
    """The item id of the ``last_watched`` hint when it is of this media type."""
    if hint is None or hint[0] != media_type:
        return None
    return item_id_make(media_type=media_type, tmdb_id=hint[1])


def anchor_choose(
    *, media_type: str, hint: tuple[str, int] | None, last_watched: str | None, titles: Mapping[str, str]
) -> str | None:
    """The hinted title when the catalog knows it, else the last watched title.

    Only a title with a positive TMDB id can anchor: its id goes into the feed id and into Chillio's
    /{type}/{id}/recommendations fallback (Netflix-only shows carry negative ids).
    """
    candidates = [hinted_item_id(hint, media_type=media_type), last_watched]
    return next((c for c in candidates if c and item_id_parse(c) and c in titles), None)


def cold_start_seed(
    *,
    media_type: str,
    top_rated: Mapping[str | None, Sequence[str]],
    last_watched: Mapping[str, str | None],
) -> tuple[str, bool] | None:
    """``(seed, rated)``: the highest-rated title (this media type first, then any), else the most
    recent watch (this media type first, then the other); None without any history."""
    for rated in (top_rated.get(media_type), top_rated.get(None)):
        if rated:
            return rated[0], True
    other = MediaType.TV.value if media_type == MediaType.MOVIE.value else MediaType.MOVIE.value
    for watched in (last_watched.get(media_type), last_watched.get(other)):
        if watched:
            return watched, False
    return None
