"""World builders (sandbox.data): the shipped fixture and the shared MovieLens + TMDB folder."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sandbox.data import FIXTURE_DIR, world_build, world_from_data_dir, world_from_fixture
from sandbox.world import world_dump, world_load

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def test_fixture_is_small_and_holds_facts_only():
    # given / when
    size = sum(path.stat().st_size for path in FIXTURE_DIR.iterdir())
    rows = [json.loads(line) for path in FIXTURE_DIR.glob("*.jsonl") for line in path.read_text().splitlines()]
    # then
    assert size < 300_000
    assert len(rows) == 361  # 279 most-voted + 32 hidden gems + 50 shows (10 of them lesser-known)
    assert all("overview" not in row and "tagline" not in row for row in rows)


def test_fixture_world_is_seeded_and_consistent(tmp_path: Path):
    # given / when
    world = world_from_fixture(viewers=3, seed=7, now=NOW)
    again = world_from_fixture(viewers=3, seed=7, now=NOW)
    # then
    assert world == again
    assert [a.username for a in world.accounts] == ["demo1", "demo2", "demo3"]
    keys = {(t.media_type, t.tmdb_id) for t in world.titles}
    for account in world.accounts:
        watched = {(w.media_type, w.tmdb_id) for w in account.history}
        assert 25 <= len(watched) <= 40
        assert watched <= keys
        assert all(1 <= r.rating <= 10 for r in account.ratings)
        assert not watched & {(w.media_type, w.tmdb_id) for w in account.watchlist}
        assert all(w.watched_at <= NOW for w in account.history)
    inception = next(t for t in world.titles if t.tmdb_id == 27205)
    assert inception.overview.startswith("A 2010 action thriller film directed by Christopher Nolan, starring")
    world_dump(world, tmp_path / "world.json")
    assert world_load(tmp_path / "world.json").accounts == world.accounts


def test_fixture_subset_keeps_a_few_shows():
    world = world_from_fixture(viewers=1, title_limit=120, now=NOW)
    assert sum(t.media_type == "movie" for t in world.titles) == 120
    assert sum(t.media_type == "tv" for t in world.titles) == 16


def test_world_build_without_a_data_folder_uses_the_fixture(tmp_path: Path):
    assert world_build(data_dir=tmp_path, viewers=1).source == "fixture"


@pytest.mark.dataset
def test_movielens_users_become_trakt_accounts(shared_data_dir: Path):
    # when
    world = world_from_data_dir(shared_data_dir, users=2, title_limit=300)
    # then: the two heaviest raters, ratings ×2, real timestamps, history ⊆ titles
    assert [a.username for a in world.accounts] == ["ml414", "ml599"]
    keys = {t.tmdb_id for t in world.titles}
    account = world.accounts[0]
    assert {w.tmdb_id for w in account.history} <= keys
    assert {r.rating for r in account.ratings} <= set(range(1, 11))
    assert account.history[0].watched_at.year < 2018
    assert 1 <= len(account.watchlist) <= 8  # the heaviest rater has seen most well-rated titles
    assert not {w.tmdb_id for w in account.watchlist} & {w.tmdb_id for w in account.history}
    assert all(t.overview and "film" in t.overview for t in world.titles)
