from __future__ import annotations

import math

import numpy as np
import pytest

from recsys.evaluation.protocol import (
    Rating,
    evaluate_rankings,
    holdout_size,
    ndcg_at_k,
    ratings_from_rows,
    recall_at_k,
    round_half_up,
    split_by_time_folds,
    split_new_titles,
    split_temporal,
)


@pytest.mark.parametrize(
    ("n", "expected"), [(5, 1), (6, 1), (7, 1), (8, 2), (12, 2), (13, 3), (17, 3), (18, 4), (20, 4), (100, 20)]
)
def test_test_size_is_max_one_round_half_up_of_a_fifth(n, expected):
    assert holdout_size(n) == expected


@pytest.mark.parametrize(("value", "expected"), [(0.5, 1), (1.5, 2), (2.5, 3), (2.4, 2), (1.6, 2)])
def test_round_half_up_differs_from_bankers_rounding_on_halves(value, expected):
    assert round_half_up(value) == expected


def _tiny():
    # user 1: 6 ratings → 1 test (the last by (timestamp, movieId)); ties on timestamp 50 sort by movieId.
    # user 2: 8 ratings → 2 test; user 3: 4 ratings → not evaluated; user 4: 5 ratings, test rating 3.0 → skipped.
    rows = [
        Rating(1, 10, 4.0, 10),
        Rating(1, 11, 3.0, 20),
        Rating(1, 12, 5.0, 30),
        Rating(1, 13, 2.0, 40),
        Rating(1, 15, 4.5, 50),
        Rating(1, 14, 4.0, 50),
        Rating(2, 10, 5.0, 1),
        Rating(2, 11, 5.0, 2),
        Rating(2, 12, 1.0, 3),
        Rating(2, 13, 4.0, 4),
        Rating(2, 16, 3.0, 5),
        Rating(2, 17, 2.0, 6),
        Rating(2, 15, 4.0, 7),
        Rating(2, 14, 3.5, 8),
        Rating(3, 10, 5.0, 1),
        Rating(3, 11, 5.0, 2),
        Rating(3, 12, 5.0, 3),
        Rating(3, 13, 5.0, 4),
        Rating(4, 10, 5.0, 1),
        Rating(4, 11, 5.0, 2),
        Rating(4, 12, 5.0, 3),
        Rating(4, 13, 5.0, 4),
        Rating(4, 16, 3.0, 5),
    ]
    return ratings_from_rows(rows)


def _raw(ratings, users, items):
    return sorted(zip(ratings.user_ids[users].tolist(), ratings.item_ids[items].tolist(), strict=True))


def test_split_holds_out_the_last_ratings_by_timestamp_then_movie_id():
    # given
    ratings = _tiny()
    # when
    split = split_temporal(ratings)
    # then: user 1's last row is movie 15 (timestamp 50 ties with 14, 15 > 14); user 2's last two are 15 and 14
    train = _raw(ratings, split.train.users, split.train.items)
    assert [pair for pair in train if pair[0] == 1] == [(1, 10), (1, 11), (1, 12), (1, 13), (1, 14)]
    assert [pair for pair in train if pair[0] == 2] == [(2, 10), (2, 11), (2, 12), (2, 13), (2, 16), (2, 17)]
    assert not [pair for pair in train if pair[0] == 3]  # fewer than 5 ratings: neither train nor test
    assert [pair for pair in train if pair[0] == 4] == [(4, 10), (4, 11), (4, 12), (4, 13)]
    positives = {int(ratings.user_ids[u]): ratings.item_ids[p].tolist() for u, p in split.test_positives.items()}
    # user 2's held-out 14 is rated 3.5 < 4.0: only 15 is a positive; user 4 has none and is skipped
    assert positives == {1: [15], 2: [15]}
    assert ratings.user_ids[split.eval_users].tolist() == [1, 2]


def test_cold_slice_keeps_the_first_three_train_ratings_and_the_same_positives():
    split = split_temporal(_tiny())
    cold = split.cold()
    ratings = split.ratings
    assert _raw(ratings, cold.train.users, cold.train.items) == [
        (1, 10),
        (1, 11),
        (1, 12),
        (2, 10),
        (2, 11),
        (2, 12),
        (4, 10),
        (4, 11),
        (4, 12),
    ]
    assert cold.test_positives is split.test_positives


def test_ndcg_uses_binary_gains_and_the_ideal_of_min_positives_k():
    # positives at ranks 2 and 4 of 2 positives: (1/log2(3) + 1/log2(5)) / (1 + 1/log2(3))
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k([9, 1, 8, 2, 7], [1, 2]) == pytest.approx(expected)
    assert ndcg_at_k([1, 2], [1, 2]) == pytest.approx(1.0)
    assert ndcg_at_k([*range(100, 110), 1], [1]) == 0.0  # rank 11 is outside the top 10


def test_recall_is_hits_over_all_positives():
    assert recall_at_k(list(range(20)), [3, 19, 20, 50]) == pytest.approx(0.5)


def test_evaluate_rankings_averages_users_and_counts_coverage_of_the_top_10():
    # given: user 1's positive at rank 1, user 2's positive absent
    split = split_temporal(_tiny())
    ratings = split.ratings
    idx = {int(m): i for i, m in enumerate(ratings.item_ids)}
    u1, u2 = split.eval_users
    rankings = {int(u1): np.array([idx[15], idx[16]]), int(u2): np.array([idx[16], idx[17]])}
    # when
    metrics = evaluate_rankings(split, rankings)
    # then
    assert metrics.ndcg == pytest.approx(0.5)
    assert metrics.recall == pytest.approx(0.5)
    assert metrics.coverage == pytest.approx(3 / 8)  # {15, 16, 17} of 8 movies
    assert metrics.users == 2


def _timeline():
    # Ten ratings over time 1-10; the cutoff for a 0.2 test fraction is the 9th timestamp (9).
    # user 1: 6 ratings before the cutoff, then a 5.0 of item 20 (new: first rated at 9) and a 2.0 of 10.
    # user 2: 2 ratings before the cutoff (too few to be evaluated), then a 5.0 of item 20 at 10.
    rows = [
        Rating(1, 10, 4.0, 1),
        Rating(1, 11, 4.0, 2),
        Rating(1, 12, 4.0, 3),
        Rating(1, 13, 4.0, 4),
        Rating(1, 14, 4.0, 5),
        Rating(1, 15, 4.0, 6),
        Rating(2, 10, 4.0, 7),
        Rating(2, 11, 4.0, 8),
        Rating(1, 20, 5.0, 9),
        Rating(2, 20, 5.0, 10),
    ]
    return ratings_from_rows(rows)


def test_new_titles_slice_holds_the_new_titles_out_of_train_and_ranks_only_them():
    ratings = _timeline()
    split = split_new_titles(split_temporal(ratings), fraction=0.2)
    item20 = int(np.flatnonzero(ratings.item_ids == 20)[0])
    user1 = int(np.flatnonzero(ratings.user_ids == 1)[0])
    assert split.candidates is not None and list(np.flatnonzero(split.candidates)) == [item20]
    assert item20 not in split.train.items
    # User 1 rated it 5.0 (their last rating); user 2 has 3 ratings, too few to have train rows.
    assert list(split.eval_users) == [user1]
    assert list(split.test_positives[user1]) == [item20]


def test_rolling_folds_test_disjoint_windows_on_the_users_each_cutoff_knows():
    # Timestamps 1-10: quantiles 0.5 and 0.8 put the cutoffs at 6 and 9.
    ratings = _timeline()
    first, second = (fold.split for fold in split_by_time_folds(ratings, quantiles=(0.5, 0.8), min_train=5))
    user1 = int(np.flatnonzero(ratings.user_ids == 1)[0])
    item15, item20 = (int(np.flatnonzero(ratings.item_ids == i)[0]) for i in (15, 20))
    # fold 1: train before 6 (user 1's first 5 ratings), window [6, 9): user 1's 4.0 of item 15
    assert (first.train.times < 6).all() and len(first.train.users) == 5
    assert list(first.eval_users) == [user1] and list(first.test_positives[user1]) == [item15]
    # fold 2: train before 9, window [9, end): user 1's 5.0 of item 20 (user 2: 2 train ratings only)
    assert len(second.train.users) == 8
    assert list(second.eval_users) == [user1] and list(second.test_positives[user1]) == [item20]


def test_a_folds_cold_slice_cuts_its_users_to_their_first_three_train_ratings():
    ratings = _timeline()
    first, _ = split_by_time_folds(ratings, quantiles=(0.5, 0.8), min_train=5)
    user1 = int(np.flatnonzero(ratings.user_ids == 1)[0])
    cold = first.cold()
    kept = sorted(int(ratings.item_ids[i]) for i in cold.train.items[cold.train.users == user1])
    assert kept == [10, 11, 12]
    assert list(cold.eval_users) == [user1]
    assert list(cold.test_positives[user1]) == list(first.split.test_positives[user1])


def test_a_folds_new_titles_are_the_titles_first_rated_in_its_window():
    # fold 2 (cutoff 9): item 20 is first rated at 9, in its window; user 1 rates it 5.0 there.
    ratings = _timeline()
    first, second = split_by_time_folds(ratings, quantiles=(0.5, 0.8), min_train=5)
    user1 = int(np.flatnonzero(ratings.user_ids == 1)[0])
    item20 = int(np.flatnonzero(ratings.item_ids == 20)[0])
    new = second.new_titles()
    assert new.candidates is not None and list(np.flatnonzero(new.candidates)) == [item20]
    assert item20 not in new.train.items
    assert list(new.eval_users) == [user1] and list(new.test_positives[user1]) == [item20]
    # fold 1's window [6, 9): item 15 is new (first rated at 6); items 10 and 11, rated again by user 2, are not
    item15 = int(np.flatnonzero(ratings.item_ids == 15)[0])
    first_new = first.new_titles()
    assert first_new.candidates is not None and list(np.flatnonzero(first_new.candidates)) == [item15]
    assert list(first_new.test_positives[user1]) == [item15]


def test_a_title_without_any_row_is_not_a_new_title():
    # On a validation split the ratings are the train rows: item 20 (rated only in test rows there) has no
    # row at all, so it is absent, not new — it must not sit on the new-titles shelf.
    ratings = _timeline()
    item20 = int(np.flatnonzero(ratings.item_ids == 20)[0])
    without = ratings.subset(ratings.items != item20)
    split = split_new_titles(split_temporal(without), fraction=0.2)
    assert split.candidates is not None and not split.candidates[item20]


def test_folds_within_a_fold_stay_inside_its_train_rows():
    from recsys.evaluation.report import time_folds_within

    ratings = _timeline()
    outer, _ = split_by_time_folds(ratings, quantiles=(0.5, 0.8), min_train=2)
    inner = time_folds_within(outer)
    assert inner and all(fold.split.ratings is outer.split.train for fold in inner)
    assert all((fold.split.train.times < outer.start).all() for fold in inner)
    assert all(fold.start < outer.start for fold in inner)
