"""The list writer's pure steps: what to remove and add, and whether (and how) to reorder. No HTTP, no database."""

from __future__ import annotations

import pytest

from users.services.lists import ListDiff, ListOrder, list_diff, list_order
from users.trakt.types import ListItem


def _items(*item_ids: str | None) -> list[ListItem]:
    """List items with list-item ids 101, 102, … in this order; None is an item without a TMDB id."""
    items = []
    for rank, item_id in enumerate(item_ids, start=1):
        media_type, _, tmdb = (item_id or "tv_").partition("_")
        items.append(
            ListItem(list_item_id=100 + rank, rank=rank, media_type=media_type, tmdb_id=int(tmdb) if tmdb else None)
        )
    return items


@pytest.mark.parametrize(
    ("current", "wanted", "expected"),
    [
        pytest.param((), ("movie_1", "tv_2"), ListDiff(remove=(), add=("movie_1", "tv_2")), id="empty-list"),
        pytest.param(("movie_1", "tv_2"), ("movie_1", "tv_2"), ListDiff(remove=(), add=()), id="unchanged"),
        pytest.param(("tv_2", "movie_1"), ("movie_1", "tv_2"), ListDiff(remove=(), add=()), id="order-only"),
        pytest.param(
            ("movie_1", "movie_9", "tv_2"),
            ("tv_2", "movie_3"),
            ListDiff(remove=("movie_1", "movie_9"), add=("movie_3",)),
            id="swap",
        ),
        pytest.param(
            ("movie_1", None, "movie_1"), (), ListDiff(remove=("movie_1",), add=()), id="foreign-kept-repeats-once"
        ),
        # The nightly change: new picks at the top, the last ones out. Taking off the two that left,
        # appending the new ones and reordering is 3 writes; re-appending the whole tail is 2.
        pytest.param(
            ("movie_1", "movie_2", "movie_3", "movie_4"),
            ("movie_5", "movie_1", "movie_2", "movie_3"),
            ListDiff(
                remove=("movie_1", "movie_2", "movie_3", "movie_4"), add=("movie_5", "movie_1", "movie_2", "movie_3")
            ),
            id="new-at-the-top-re-appends-the-tail",
        ),
        pytest.param(
            ("movie_1", "movie_2", "movie_3", "movie_4"),
            ("movie_1", "movie_2", "movie_5", "movie_3"),
            ListDiff(remove=("movie_3", "movie_4"), add=("movie_5", "movie_3")),
            id="the-matching-start-stays",
        ),
        pytest.param(
            ("movie_1", "movie_2", "movie_3"),
            ("movie_1", "movie_2", "movie_3", "movie_4"),
            ListDiff(remove=(), add=("movie_4",)),
            id="appended-at-the-end-one-write",
        ),
    ],
)
def test_list_diff(current, wanted, expected):
    assert list_diff(current=_items(*current), wanted=list(wanted)) == expected


def test_list_order_in_order_needs_no_reorder():
    # given the list already holds the target in order, a foreign item last
    items = _items("movie_1", "tv_2", None)
    # when
    order = list_order(items=items, target=["movie_1", "tv_2"])
    # then
    assert order == ListOrder(item_ids=("movie_1", "tv_2"), ranks=None)


def test_list_order_ranks_ours_in_target_order_then_foreign_items():
    # given Trakt appended the added items: movies first, then shows; a foreign item sits in the middle
    items = _items("tv_2", None, "movie_1", "movie_3")
    # when
    order = list_order(items=items, target=["movie_1", "tv_2", "movie_3"])
    # then
    assert order == ListOrder(item_ids=("movie_1", "tv_2", "movie_3"), ranks=(103, 101, 104, 102))


def test_list_order_leaves_out_titles_the_list_does_not_hold():
    # given the list does not hold movie_5 (yet)
    items = _items("movie_1")
    # when
    order = list_order(items=items, target=["movie_5", "movie_1"])
    # then
    assert order == ListOrder(item_ids=("movie_1",), ranks=(101,))
