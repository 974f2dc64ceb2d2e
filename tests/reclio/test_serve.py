"""The README's run command, for real: web + worker + beat come up, /admin/health is all ok, Ctrl-C stops all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


ADMIN_TOKEN = "serve-test-token"  # a throwaway token for this test's own server


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_runs_web_worker_and_beat_then_stops_on_ctrl_c():
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reclio.settings.base",
        "PYTHONUNBUFFERED": "1",
        "ADMIN_TOKEN": ADMIN_TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    health: dict = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"serve exited early:\n{process.stdout.read() if process.stdout else ''}")
            try:
                # The deep checks (a worker on every queue, beat) are behind the token; /health is liveness.
                status, body = _get(f"{base}/admin/health", {"X-Admin-Token": ADMIN_TOKEN})
            except OSError:
                time.sleep(1)
                continue
            health = json.loads(body)
            if status == 200 and health["status"] == "ok":
                break
            time.sleep(1)
        assert health.get("status") == "ok", health
        assert all(check["ok"] for check in health["checks"].values())
        assert json.loads(_get(f"{base}/health")[1])["status"] == "ok"
        assert _get(f"{base}/staff/login/")[0] == 200
        assert _get(f"{base}/api/docs/")[0] == 200
    finally:
        # Ctrl-C is SIGINT to the foreground process group.
        os.killpg(process.pid, signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
    assert process.returncode is not None
    for name in ("web", "worker", "beat"):
        assert f"{name} stopped" in output, output[-3000:]
    assert "/health" in output and "/staff/" in output and "/api/docs/" in output
