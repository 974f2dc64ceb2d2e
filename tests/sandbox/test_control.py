"""The ``/_sandbox/`` control endpoints the demo drives, and ``python -m sandbox serve``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from sandbox import SANDBOX_TMDB_API_KEY
from sandbox.world import world_dump
from tests.sandbox.conftest import small_world
from users.trakt import client as trakt_client
from users.trakt.client import TraktSession


def test_accounts_watch_and_rate_bump_last_activities(sandbox):
    _, trakt = sandbox
    control = f"{trakt.url}/_sandbox"

    created = requests.post(f"{control}/accounts", json={"username": "Mia"}, timeout=5)
    duplicate = requests.post(f"{control}/accounts", json={"username": "mia"}, timeout=5)
    access, _ = trakt.issue_tokens("mia")
    session = TraktSession(access_token=access, account="mia")
    before = trakt_client.last_activities(session).raw
    watched = requests.post(f"{control}/accounts/mia/watch", json={"media_type": "movie", "tmdb_id": 604}, timeout=5)
    rated = requests.post(
        f"{control}/accounts/mia/rate", json={"media_type": "tv", "tmdb_id": 1399, "rating": 8}, timeout=5
    )
    after = trakt_client.last_activities(session).raw

    assert (created.status_code, duplicate.status_code, watched.status_code, rated.status_code) == (201, 409, 201, 201)
    assert after["movies"]["watched_at"] > before["movies"]["watched_at"]
    assert after["shows"]["rated_at"] > before["shows"]["rated_at"]
    assert [r.tmdb_id for r in trakt_client.history(session, kind="movies").rows] == [604]


def test_lists_and_writes_per_account(sandbox):
    _, trakt = sandbox
    access, _ = trakt.issue_tokens("sean")
    session = TraktSession(access_token=access, account="sean")

    made = trakt_client.list_create(session, name="Reclio: For you", description="")
    trakt_client.list_items_add(session, list_id=made.trakt_id, item_ids=["movie_604", "tv_1399"])
    lists = requests.get(f"{trakt.url}/_sandbox/accounts/sean/lists", timeout=5).json()
    writes = requests.get(f"{trakt.url}/_sandbox/accounts/sean/writes", timeout=5).json()
    none = requests.get(f"{trakt.url}/_sandbox/accounts/ana/writes", timeout=5).json()

    assert [(i["type"], i["tmdb_id"], i["title"]) for i in lists[0]["items"]] == [
        ("movie", 604, "The Matrix Reloaded"),
        ("show", 1399, "Game of Thrones"),
    ]
    # Two writes, plus a retried one when the client's 1 s slot landed a few ms early (429 + Retry-After).
    assert writes["writes"] == len([r for r in trakt.writes() if r.tag == "sean"]) >= 2
    assert none["writes"] == 0


def test_device_approve_endpoint(sandbox):
    _, trakt = sandbox
    session = TraktSession(max_retries=0)
    code = trakt_client.device_code_request(session)

    unknown = requests.post(
        f"{trakt.url}/_sandbox/device/approve", json={"user_code": "NOPE", "username": "sean"}, timeout=5
    )
    approved = requests.post(
        f"{trakt.url}/_sandbox/device/approve", json={"user_code": code.user_code, "username": "sean"}, timeout=5
    )

    assert (unknown.status_code, approved.status_code) == (404, 200)
    assert trakt_client.device_token_poll(session, device_code=code.device_code).tokens is not None


def test_serve_runs_both_servers_until_sigterm(tmp_path: Path):
    world_path = tmp_path / "world.json"
    world_dump(small_world(), world_path)
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--world", str(world_path)],
        cwd=repo,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(2)]
        urls = {name: value for name, _, value in (line.partition("=") for line in lines)}
        detail = requests.get(
            f"{urls['TMDB_BASE_URL']}/movie/603", params={"api_key": SANDBOX_TMDB_API_KEY}, timeout=5
        ).json()
        accounts = requests.get(f"{urls['TRAKT_API_URL']}/_sandbox/accounts", timeout=5).json()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
    assert detail["title"] == "The Matrix"
    assert [a["username"] for a in accounts] == ["sean", "ana"]


def test_drill_controls_inject_a_429_storm_and_revoke_a_viewer(sandbox):
    tmdb, trakt = sandbox
    access, _ = trakt.issue_tokens("sean")
    storm = {"path_prefix": "/3/movie", "status": 429, "headers": {"Retry-After": "1"}, "times": 2}

    injected = requests.post(f"{tmdb.url}/__fake/inject", json=storm, timeout=5)
    statuses = [
        requests.get(f"{tmdb.base_url}/movie/603", params={"api_key": SANDBOX_TMDB_API_KEY}, timeout=5).status_code
        for _ in range(3)
    ]
    bad = requests.post(f"{trakt.url}/_sandbox/inject", json={"status": 429}, timeout=5)
    revoked = requests.post(f"{trakt.url}/_sandbox/accounts/sean/revoke", timeout=5)

    assert injected.status_code == 201
    assert statuses == [429, 429, 200]
    assert bad.status_code == 422
    assert revoked.status_code == 200
    assert trakt.access_tokens.get(access) is None
