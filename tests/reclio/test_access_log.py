"""Viewer UUIDs (credentials) never reach the access log (issue 13)."""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from reclio.access_log import REDACTED, AccessLog, ViewerIdRedactingFilter, viewer_ids_redacted
from reclio.services import web_server_argv

ROOT = Path(__file__).resolve().parents[2]
VIEWER = "6f1c2a5e-8d0b-4b7e-9a43-2f8a1d3c4b5a"


@pytest.mark.parametrize(
    "line",
    [
        f'"GET /feeds?user_id={VIEWER}&session_id=abc HTTP/1.1" 200',
        f'"GET /feeds?user_id={VIEWER.replace("-", "")} HTTP/1.1" 200',  # uuid.UUID takes it without dashes
        f'"GET /feeds?user_id={VIEWER.upper()} HTTP/1.1" 200',
        f'"GET /feeds?user_id=%7B{VIEWER}%7D HTTP/1.1" 200',
        f'"GET /feeds?user_id={VIEWER.replace("-", "%2D")} HTTP/1.1" 200',
        f'"GET /feeds?USER_ID[]={VIEWER} HTTP/1.1" 200',
        f'"GET /staff/users/user/{VIEWER}/change/ HTTP/1.1" 200',
        f'"GET /admin/users/{VIEWER} HTTP/1.1" 200 "https://reclio.example/?user_id={VIEWER}"',
    ],
)
def test_every_spelling_of_a_viewer_id_is_redacted(line):
    redacted = viewer_ids_redacted(line)

    assert VIEWER not in redacted.lower().replace("%2d", "-")
    assert VIEWER.replace("-", "") not in redacted.lower()
    assert REDACTED in redacted


def test_other_parts_of_the_line_are_kept():
    line = '127.0.0.1 "GET /feeds?session_id=abc&last_watched=movie:603 HTTP/1.1" 200 1234 "-" "Chillio/2.0"'
    token = "a" * 64  # a longer hex run (a sha256) is not a UUID

    assert viewer_ids_redacted(line) == line
    assert viewer_ids_redacted(token) == token


def test_the_filter_redacts_a_lazily_formatted_record():
    args = ("GET", f"/feeds?user_id={VIEWER}")
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, "%s - %s", args, None)

    ViewerIdRedactingFilter().filter(record)

    assert record.getMessage() == f"GET - /feeds?user_id={REDACTED}"


def test_the_development_server_log_is_redacted_too(caplog):
    with caplog.at_level(logging.INFO, logger="django.server"):
        logging.getLogger("django.server").info('"GET /feeds?user_id=%s HTTP/1.1" 200', VIEWER)

    assert VIEWER not in caplog.text
    assert REDACTED in caplog.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(tmp_path, **extra: str) -> dict[str, str]:
    # no database or Redis is needed: /feeds serves its default rows when they are down
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reclio.settings.test",
        "DATABASE_URL": "postgres://reclio:x@127.0.0.1:1/reclio",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "RECLIO_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "access-log-test-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        **extra,
    }


def test_the_web_server_started_like_serve_writes_no_viewer_id(tmp_path):
    # given: granian as the web process runs it (reclio.services.web_server_argv), its output kept
    port = _free_port()
    output = tmp_path / "web.out"
    with output.open("w") as out:
        server = subprocess.Popen(
            [*web_server_argv(host="127.0.0.1", port=port), "--workers", "1"],
            cwd=ROOT,
            env=_server_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    other = str(uuid.uuid4())
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest", timeout=5):
                    break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"granian did not start: {output.read_text()}")
                time.sleep(0.3)

        # when
        for path in (f"/feeds?user_id={VIEWER}&session_id=s", f"/feeds?user_id={other.replace('-', '')}"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                assert response.status == 200
        deadline = time.monotonic() + 10
        while output.read_text().count("/feeds") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)

    # then: one line per request, redacted
    written = output.read_text()
    assert written.count('"GET /feeds?user_id=<viewer>') == 2, written
    assert VIEWER not in written and other not in written and other.replace("-", "") not in written


def test_access_log_false_serves_the_application_without_it(tmp_path):
    check = "import reclio.wsgi as w; assert w.served is w.application"
    subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env=_server_env(tmp_path, ACCESS_LOG="false"), check=True, timeout=60
    )


ENVIRON = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/feeds",
    "QUERY_STRING": f"user_id={VIEWER}",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "10.0.0.1",
    "HTTP_USER_AGENT": "Chillio",
}


def _ok(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "42")])
    return [b"x" * 40, b"yy"]


def test_each_request_gets_one_redacted_line_without_a_log_record(monkeypatch):
    # given
    stream = io.StringIO()
    monkeypatch.setattr(logging.Logger, "makeRecord", lambda *a, **k: pytest.fail("no LogRecord per request"))
    started: list[str] = []

    # when
    body = AccessLog(_ok, stream)(dict(ENVIRON), lambda status, headers, exc_info=None: started.append(status))

    # then: the application's answer is untouched
    assert list(body) == [b"x" * 40, b"yy"] and started == ["200 OK"]
    written = stream.getvalue()
    assert written.startswith("10.0.0.1 - - [")
    assert re.search(r'"GET /feeds\?user_id=<viewer> HTTP/1.1" 200 42 \d+\.\dms "Chillio"\n$', written), written


def test_a_failing_application_is_logged_as_500_and_still_raises():
    def failing(environ, start_response):
        raise RuntimeError("boom")

    stream = io.StringIO()
    with pytest.raises(RuntimeError):
        AccessLog(failing, stream)(dict(ENVIRON), lambda *a: None)

    assert '"GET /feeds?user_id=<viewer> HTTP/1.1" 500 0 ' in stream.getvalue()


def test_a_failing_log_stream_does_not_fail_the_request(caplog):
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("disk full")

    body = AccessLog(_ok, Broken())(dict(ENVIRON), lambda *a: None)

    assert list(body) == [b"x" * 40, b"yy"]
    assert "access_log_failed" in caplog.text
