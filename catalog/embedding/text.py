"""The embedding input text of a title, and its hash.

Recipe (documented in docs/design/embeddings.md; changing it re-embeds the whole catalog):
title, tagline, overview, genre names, top keywords — one part per line, empty parts skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

TOP_KEYWORDS = 10


def item_embedding_text(
    *, title: str, tagline: str = "", overview: str = "", genre_names: Sequence[str] = (), keywords: Sequence[str] = ()
) -> str:
    parts = [
        title.strip(),
        tagline.strip(),
        overview.strip(),
        ("Genres: " + ", ".join(genre_names)) if genre_names else "",
        ("Keywords: " + ", ".join(list(keywords)[:TOP_KEYWORDS])) if keywords else "",
    ]
    return "\n".join(part for part in parts if part)


def embedding_text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_item_embedding_text(item: Any) -> str:
    """The recipe applied to a ``ContentItem`` row (genres as stored: ``[{"id", "name"}]``)."""
    genre_names = [g["name"] if isinstance(g, dict) else str(g) for g in (item.genres or []) if g]
    keywords = [k["name"] if isinstance(k, dict) else str(k) for k in (item.keywords or []) if k]
    return item_embedding_text(
        title=item.title or "",
        tagline=item.tagline or "",
        overview=item.overview or "",
        genre_names=genre_names,
        keywords=keywords,
    )
