"""The one-line reasons (``blurb``) Chillio shows under a row. Pure; None when there is nothing honest to say."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from catalog.contracts import genre_name


def genres_blurb(*, media_type: str, genre_ids: Sequence[int], text: str) -> str | None:
    names = [name for name in (genre_name(media_type=media_type, genre_id=g) for g in genre_ids) if name]
    return f"{text}: {', '.join(names)}" if names else None


def top_genre_blurb(*, media_type: str, genre_id: int | None) -> str | None:
    name = genre_name(media_type=media_type, genre_id=genre_id) if genre_id is not None else None
    return f"{name} is what you watch most" if name else None


def cold_start_blurb(*, title: str | None, rated: bool, rating: int | None) -> str | None:
    if not title:
        return None
    if not rated:
        return f"Because you watched {title}"
    return f"Because you rated {title} {rating}/10" if rating else f"Because you rated {title} highly"


def history_blurb(*, seen_count: int) -> str | None:
    return f"Based on the {seen_count} titles you have watched and rated" if seen_count else None


def because_watched_blurb(*, title: str, origins: Collection[str]) -> str | None:
    kinds = set(origins)
    if kinds == {"recommender", "vectors"}:
        return f"Watched by fans of {title}, plus titles like it"
    if kinds == {"recommender"}:
        return f"Watched by fans of {title}"
    if kinds == {"vectors"}:
        return f"Similar in story and style to {title}"
    return None
