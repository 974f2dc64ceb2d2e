"""The evaluate command end to end: on a small synthetic MovieLens-format world, and on a slice of the real one."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from recsys.evaluation.protocol import ratings_load, split_by_time_folds
from recsys.evaluation.report import EvaluationRequest, evaluation_run, slice_metrics
from recsys.evaluation.runner import BASELINES, Context, rankings_for


def _write_world(
    folder: Path, *, n_users: int = 40, n_items: int = 30, seed: int = 3, interleaved: bool = False
) -> tuple[Path, Path]:
    """Two taste clusters (items 1-15 and 16-30); each user rates ~12 titles of their cluster over time.

    By default each user rates in one session, one after the other (as MovieLens users mostly do), so
    no user straddles a time cutoff; ``interleaved`` spreads every user's ratings over the whole timeline.
    """
    rng = np.random.default_rng(seed)
    ratings, movies = folder / "ratings.csv", folder / "movies.csv"
    with ratings.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["userId", "movieId", "rating", "timestamp"])
        for user in range(1, n_users + 1):
            cluster = range(1, 16) if user % 2 else range(16, n_items + 1)
            chosen = rng.choice(list(cluster), size=12, replace=False)
            for step, movie in enumerate(chosen):
                when = 1_000_000 + (1000 * step + user if interleaved else 1000 * user + step)
                writer.writerow([user, int(movie), float(rng.choice([3.0, 4.0, 4.5, 5.0])), when])
    with movies.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["movieId", "title", "genres"])
        for movie in range(1, n_items + 1):
            writer.writerow([movie, f"Movie {movie} (2001)", "Drama" if movie <= 15 else "Comedy|Romance"])
    return ratings, movies


@pytest.mark.django_db(databases=[])  # the harness must not touch the database
def test_evaluate_writes_table_plot_and_dump(tmp_path, capsys):
    # given
    ratings, movies = _write_world(tmp_path)
    results, dump = tmp_path / "results", tmp_path / "recs.csv"
    # when
    call_command(
        "evaluate",
        "--ratings",
        str(ratings),
        "--movies",
        str(movies),
        "--content",
        "none",
        "--results",
        str(results),
        "--dump-recs",
        str(dump),
    )
    # then
    out = capsys.readouterr().out
    for model in ("popularity", "itemknn", "als", "ease", "engine", "self-tuned"):
        assert model in out
    for slice_name in ("community", "cold", "new titles", "time", "time cold", "time new"):
        assert f"\n{slice_name:<12} all" in out
    assert (results / "results-community.png").stat().st_size > 10_000
    rows = list(csv.DictReader((results / "results-community.csv").open()))
    assert [row["model"] for row in rows] == ["popularity", "itemknn", "als", "ease", "engine", "self-tuned"]
    # the engine's diversity stage reports what it chose against the EASE bar, on validation
    assert "community validation diversity stage: bar" in out
    assert "time validation diversity stage: bar" in out
    recs = list(csv.DictReader(dump.open()))
    assert list(recs[0]) == ["userId", "movieId", "rank"]
    first_user = [r for r in recs if r["userId"] == recs[0]["userId"]]
    assert [int(r["rank"]) for r in first_user] == list(range(1, 21))


@pytest.mark.django_db(databases=[])
def test_the_time_split_pools_its_folds_and_survives_a_fold_with_nobody_to_test(tmp_path):
    # given: users rating over the whole timeline, so every cutoff has users on both sides
    ratings, movies = _write_world(tmp_path, interleaved=True)
    folds = split_by_time_folds(ratings_load(ratings))
    assert all(len(fold.split.eval_users) for fold in folds)
    # when
    rows = evaluation_run(
        EvaluationRequest(ratings=ratings, movies=movies, results_dir=tmp_path / "r", content="none", tune_rounds=1)
    )
    # then: one evaluation per (fold, user) pair, halves and per-half coverage filled in
    time_slice = rows[0].extra["slices"]["time"]
    assert time_slice.users == sum(len(fold.split.eval_users) for fold in folds)
    assert time_slice.distinct_users < time_slice.users
    assert time_slice.half_a > 0 and time_slice.coverage_a > 0 and time_slice.coverage_b > 0
    assert rows[0].extra["slices"]["time cold"].users == time_slice.users
    # and a fold with nobody to test adds nothing instead of failing
    empty = folds[0].split.restrict(np.zeros(0, dtype=np.int64))
    ranked = rankings_for("popularity", folds[1].split, {}, Context(n_items=folds[1].split.ratings.n_items), solo=False)
    pooled = slice_metrics([(empty, {}), (folds[1].split, ranked)], Context(n_items=empty.ratings.n_items))
    alone = slice_metrics([(folds[1].split, ranked)], Context(n_items=empty.ratings.n_items))
    assert pooled == alone
    assert slice_metrics([(empty, {})], Context(n_items=empty.ratings.n_items)).users == 0


def test_engine_beats_popularity_in_solo_mode_on_the_synthetic_world(tmp_path):
    ratings, movies = _write_world(tmp_path)
    rows = evaluation_run(
        EvaluationRequest(
            ratings=ratings, movies=movies, mode="solo", results_dir=tmp_path / "r", content="none", cold=False
        )
    )
    by_model = {row.model: row.test.ndcg for row in rows}
    assert "self-tuned" not in by_model  # the self-tuning keeps the defaults on a solo instance
    # one user's own history says "mostly this cluster" only through ratings and priors here (no
    # vectors): the engine must at least not lose to catalog popularity
    assert by_model["engine"] >= by_model["popularity"]


@pytest.mark.dataset
@pytest.mark.slow
def test_engine_leads_on_a_slice_of_movielens(shared_data_dir, tmp_path):
    # given: the first 150 users of ml-latest-small (a fixed, reproducible slice), no text embeddings
    source = shared_data_dir / "movielens-small"
    ratings = tmp_path / "ratings.csv"
    with (source / "ratings.csv").open(newline="") as src, ratings.open("w", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        writer.writerows(row for row in reader if int(row[0]) <= 150)
    # when
    rows = evaluation_run(
        EvaluationRequest(
            ratings=ratings,
            movies=source / "movies.csv",
            links=source / "links.csv",
            metadata=(shared_data_dir / "tmdb" / "tmdb-movies.csv",),
            results_dir=tmp_path / "r",
            content="none",
            cold=False,
            tune_rounds=1,
            robustness=False,  # the main lead only: the slices have their own tests
        )
    )
    # then
    by_model = {row.model: row.test.ndcg for row in rows}
    assert by_model["engine"] > max(v for k, v in by_model.items() if k in BASELINES)
