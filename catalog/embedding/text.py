"""The embedding input text of a title, and its hash.

Recipe (documented in docs/design/embeddings.md; changing it re-embeds the whole catalog):
title, tagline, overview, genre names, top keywords — one part per line, empty parts skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

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
