"""What feeds shares with the app above it (admin_tools): the ChillLink ``last_watched`` hint vocabulary."""

from __future__ import annotations

import re

from catalog.contracts import MediaType

# ChillLink sends the title a viewer just watched as ``movie:<tmdb_id>`` or ``show:<tmdb_id>``.
HINT_PATTERN = re.compile(r"^(movie|show):([1-9][0-9]{0,8})$")


def hint_parse(value: str | None) -> tuple[str, int] | None:
    """``"show:1399"`` → ``("tv", 1399)``; anything else (malformed, oversized) → None."""
    if not value or len(value) > 32:
        return None
    match = HINT_PATTERN.match(value)
    if not match:
        return None
    media_type = MediaType.TV.value if match.group(1) == "show" else MediaType.MOVIE.value
    return media_type, int(match.group(2))
