"""Row arithmetic: the 60/40 "Because You Watched" blend, exclusions, refills and variety.

Pure functions over item ids (no database), so the exact behaviour is easy to read and to test.

The blend (docs/design/feeds.md): the row is filled in blocks of five slots ``R R V R V`` —
R from the recommender's item-to-item list (co-watch signal), V from the anchor's vector
neighbours (semantic signal) — so every block is 3 : 2 = 60/40, and slot 1 is always the
recommender's best. V takes only neighbours the recommender's list does not contain at all (the
semantic titles co-watch has not seen); a title in both lists keeps its recommender slot. When one
source runs dry, the other fills the remaining slots, so the row is still full.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence

RECOMMENDER_SLOT = "R"
VECTOR_SLOT = "V"
BLEND_PATTERN: tuple[str, ...] = ("R", "R", "V", "R", "V")


def unique_excluding(item_ids: Iterable[str], *, exclude: Collection[str]) -> list[str]:
    """Keep order, drop duplicates and anything in ``exclude`` (watched titles, the anchor)."""
    seen: set[str] = set(exclude)
    kept: list[str] = []
    for item_id in item_ids:
        if item_id and item_id not in seen:
            seen.add(item_id)
            kept.append(item_id)
    return kept


def blend_because_watched(
    *, recommender: Sequence[str], vectors: Sequence[str], size: int, pattern: Sequence[str] = BLEND_PATTERN
) -> list[tuple[str, str]]:
    """Interleave the two lists by ``pattern``; returns ``(item_id, slot)`` pairs, at most ``size``.

    Both inputs are already best-first and free of exclusions.
    """
    recommender_set = set(recommender)
    streams = {
        RECOMMENDER_SLOT: list(recommender),
        VECTOR_SLOT: [item for item in vectors if item not in recommender_set],
    }
    positions = {RECOMMENDER_SLOT: 0, VECTOR_SLOT: 0}
    chosen: list[tuple[str, str]] = []
    taken: set[str] = set()

    def take(slot: str) -> bool:
        stream = streams[slot]
        while positions[slot] < len(stream):
            item = stream[positions[slot]]
            positions[slot] += 1
            if item not in taken:
                taken.add(item)
                chosen.append((item, slot))
                return True
        return False

    slot_index = 0
    while len(chosen) < size:
        slot = pattern[slot_index % len(pattern)]
        other = VECTOR_SLOT if slot == RECOMMENDER_SLOT else RECOMMENDER_SLOT
        slot_index += 1
        if not take(slot) and not take(other):
            break
    return chosen


def refill(*, row: Sequence[str], candidates: Iterable[str], size: int, exclude: Collection[str]) -> list[str]:
    """Top the row up to ``size`` from ``candidates`` (skipping excluded and duplicate titles)."""
    filled = list(row)
    present = set(filled) | set(exclude)
    for item_id in candidates:
        if len(filled) >= size:
            break
        if item_id not in present:
            present.add(item_id)
            filled.append(item_id)
    return filled


def varied_head(
    item_ids: Sequence[str],
    *,
    genre_of: Callable[[str], int | None],
    head: int = 20,
    window: int = 2,
    lookahead: int = 4,
) -> list[str]:
    """Reorder the visible head of a row so neighbouring titles differ in primary genre.

    Chillio shows the first 10-20 titles; a head of five thrillers in a row reads as one title.
    Greedy and bounded: at each position take the best remaining title (within the next
    ``lookahead``) whose primary genre is not among the previous ``window`` ones; a title is never
    pushed back more than ``lookahead`` times, so the best picks stay near the top. Past ``head``,
    order is untouched.
    """
    remaining = list(item_ids[:head])
    tail = list(item_ids[head:])
    skipped: dict[str, int] = {}
    ordered: list[str] = []
    while remaining:
        recent = {genre_of(item) for item in ordered[-window:]} - {None}
        pick = 0
        first = remaining[0]
        if skipped.get(first, 0) < lookahead:
            for index, candidate in enumerate(remaining[:lookahead]):
                if genre_of(candidate) not in recent:
                    pick = index
                    break
        for passed in remaining[:pick]:
            skipped[passed] = skipped.get(passed, 0) + 1
        ordered.append(remaining.pop(pick))
    return ordered + tail
