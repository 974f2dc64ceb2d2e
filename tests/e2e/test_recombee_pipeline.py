"""Recombee mode on real processes: the demo's workers push to a fake Recombee served from this
process (a loopback socket), and a new viewer's first picks are asked for only after their
history reached Recombee (no settle window holds it back, nothing waits for the nightly job).

    connect → first sync → push (the viewer's plays) → RecommendItemsToUser → personal rows in /feeds
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_demo_pipeline import ROOT, Demo, _free_port, _personal_view, _user_id, poll
from tests.fakes.recombee import FakeDatabase, FakeRecombee, FakeRecombeeServer

pytestmark = pytest.mark.slow

DATABASE_ID = "reclio-e2e"
TOKEN = "e2e-recombee-private-token"


@pytest.fixture
def recombee() -> Iterator[tuple[FakeRecombeeServer, FakeDatabase]]:
    fake = FakeRecombee()
    with FakeRecombeeServer(fake) as server:
        yield server, fake.database(region=server.host, database_id=DATABASE_ID, token=TOKEN)


@pytest.fixture
def demo(tmp_path: Path, recombee: tuple[FakeRecombeeServer, FakeDatabase]) -> Iterator[Demo]:
    server, _ = recombee
    web, tmdb, trakt = _free_port(), _free_port(), _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "RECLIO_SHARED_DATA", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sandbox.settings",
        RECLIO_DATA_DIR=str(tmp_path / "data"),
        DEMO_WEB_PORT=str(web),
        DEMO_TMDB_PORT=str(tmdb),
        DEMO_TRAKT_PORT=str(trakt),
        DEMO_RECOMMENDER="recombee",
        RECOMBEE_DATABASE_ID=DATABASE_ID,
        RECOMBEE_PRIVATE_TOKEN=TOKEN,
        RECOMBEE_BASE_URI=server.base_uri,
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "demo.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "demo", "--viewers", "1", "--titles", "120", "--deadline", "240"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Demo(
            env=env,
            log=log,
            base_url=f"http://127.0.0.1:{web}",
            trakt_url=f"http://127.0.0.1:{trakt}",
            tmdb_url=f"http://127.0.0.1:{tmdb}/3",
            started=started,
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_a_new_viewers_first_picks_are_scored_after_their_history_reached_recombee(
    demo: Demo, recombee: tuple[FakeRecombeeServer, FakeDatabase], capsys: pytest.CaptureFixture[str]
) -> None:
    server, remote = recombee
    fake = server.fake
    try:
        # given the demo viewer connected (device flow) and synced for the first time
        user_id = poll("the demo viewer's addon URL in the demo output", lambda: _user_id(demo), seconds=150)
        demo.mark("viewer connected")

        # when the workers pushed, scored and composed: personal rows reach /feeds
        poll("personal (trakt_list) rows in /feeds", lambda: _personal_view(demo, user_id), seconds=240, every=3)
        demo.mark("first personal rows")

        # then Recombee held the viewer's history before it was first asked for their picks
        calls = list(fake.calls)
        pushed = [n for n, call in enumerate(calls) if call.in_batch and call.params.get("userId") == user_id]
        asked = [n for n, call in enumerate(calls) if call.path == f"/recomms/users/{user_id}/items/"]
        assert pushed, "the viewer's interactions never reached Recombee"
        assert asked, "Recombee was never asked for the viewer's picks"
        assert min(pushed) < min(asked), "the first picks were scored before any of the history arrived"
        assert {user for (_, user, _, _) in remote.interactions} == {user_id}
        assert not any(call.status >= 400 and call.status != 409 for call in calls), [
            (call.method, call.path, call.status) for call in calls if call.status >= 400
        ][:5]
    finally:
        with capsys.disabled():
            print("\nrecombee e2e timings (s since `manage.py demo` started):")  # noqa: T201
            for step, seconds in demo.timings.items():
                print(f"  {seconds:6.1f}  {step}")  # noqa: T201
            if not demo.timings.get("first personal rows"):
                print(demo.log.read_text()[-6000:])  # noqa: T201 - the demo's own logs, for the failure
