from __future__ import annotations

import pytest

from feeds.blend import blend_because_watched, refill, unique_excluding, varied_head


def test_blend_is_three_recommender_two_vector_slots_per_block_of_five():
    # given: known recommender item-to-item results and known vector neighbours
    recommender = ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]
    vectors = ["v1", "v2", "v3", "v4", "v5"]

    # when
    blended = blend_because_watched(recommender=recommender, vectors=vectors, size=10)

    # then: R R V R V | R R V R V
    assert blended == [
        ("r1", "R"),
        ("r2", "R"),
        ("v1", "V"),
        ("r3", "R"),
        ("v2", "V"),
        ("r4", "R"),
        ("r5", "R"),
        ("v3", "V"),
        ("r6", "R"),
        ("v4", "V"),
    ]
    assert sum(1 for _, slot in blended if slot == "R") == 6


def test_blend_vector_slots_skip_titles_the_recommender_already_has():
    # given: v-side neighbours r3 and r9 are also co-watched (r9 far down the recommender list)
    recommender = ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"]
    vectors = ["r3", "r9", "v1", "v2"]

    # when
    blended = blend_because_watched(recommender=recommender, vectors=vectors, size=5)

    # then: vector slots go to semantic neighbours co-watch has not seen
    assert [item for item, _ in blended] == ["r1", "r2", "v1", "r3", "v2"]


def test_blend_fills_from_the_other_source_when_one_runs_dry():
    # given
    recommender = ["r1"]
    vectors = ["v1", "v2", "v3", "v4", "v5"]

    # when
    blended = blend_because_watched(recommender=recommender, vectors=vectors, size=5)

    # then
    assert blended == [("r1", "R"), ("v1", "V"), ("v2", "V"), ("v3", "V"), ("v4", "V")]


@pytest.mark.parametrize(
    ("recommender", "vectors", "expected"),
    [([], [], []), ([], ["v1", "v2"], ["v1", "v2"]), (["r1", "r2"], [], ["r1", "r2"])],
)
def test_blend_with_an_empty_source(recommender, vectors, expected):
    assert [item for item, _ in blend_because_watched(recommender=recommender, vectors=vectors, size=10)] == expected


def test_unique_excluding_keeps_order_and_drops_duplicates_and_exclusions():
    assert unique_excluding(["a", "b", "a", "c", "", "d"], exclude={"c"}) == ["a", "b", "d"]


def test_refill_tops_up_to_size_without_excluded_or_duplicate_titles():
    assert refill(row=["a", "b"], candidates=["b", "x", "c", "d", "e"], size=4, exclude={"x"}) == ["a", "b", "c", "d"]


def test_varied_head_separates_titles_of_the_same_primary_genre():
    # given: three thrillers in a row at the top, then a comedy and a drama
    genre = {"t1": 53, "t2": 53, "t3": 53, "c1": 35, "d1": 18}

    # when
    ordered = varied_head(["t1", "t2", "t3", "c1", "d1"], genre_of=genre.get, window=1)

    # then: the best stays first, neighbours differ where possible
    assert ordered == ["t1", "c1", "t2", "d1", "t3"]


def test_varied_head_moves_a_title_up_at_most_lookahead_minus_one_places():
    # given: a long run of one genre, and one comedy far down
    items = [f"t{n}" for n in range(10)] + ["c1"]
    genre = {item: 53 for item in items} | {"c1": 35}

    # when
    ordered = varied_head(items, genre_of=genre.get, lookahead=4)

    # then: the comedy is promoted only once it is within the lookahead; the rest keep their order
    assert ordered.index("c1") == 7
    assert [item for item in ordered if item != "c1"] == items[:-1]


def test_varied_head_leaves_the_tail_untouched():
    items = [f"i{n}" for n in range(30)]
    assert varied_head(items, genre_of=lambda item: 1, head=20)[20:] == items[20:]
