"""Viewer UUIDs (credentials) never reach the access log (issue 13)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from reclio.access_log import REDACTED, ViewerIdRedactingFilter, viewer_ids_redacted

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
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%s - %s", args, None)

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


def test_gunicorn_started_like_serve_writes_no_viewer_id(tmp_path):
    # given: gunicorn as the web process runs it (from the repository root, picking up gunicorn.conf.py);
    # no database or Redis is needed: /feeds serves its default rows when they are down
    port = _free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reclio.settings.test",
        "DATABASE_URL": "postgres://reclio:x@127.0.0.1:1/reclio",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "RECLIO_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "access-log-test-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "reclio.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            "1",
            "--threads",
            "2",
            "--access-logfile",
            str(access_log),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
                    pytest.fail("gunicorn did not start")
                time.sleep(0.3)

        # when
        for path in (f"/feeds?user_id={VIEWER}&session_id=s", f"/feeds?user_id={other.replace('-', '')}"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                assert response.status == 200
        deadline = time.monotonic() + 10
        while access_log.read_text().count("/feeds") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)

    # then
    written = access_log.read_text()
    assert written.count("/feeds?user_id=<viewer>") == 2, written
    assert VIEWER not in written and other not in written and other.replace("-", "") not in written


def _access_logger(accesslog: str):
    from gunicorn.config import Config

    from reclio.access_log import RedactingGunicornLogger

    cfg = Config()
    cfg.set("accesslog", accesslog)
    return RedactingGunicornLogger(cfg)


def _access(logger) -> None:
    import datetime as dt
    import types

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/feeds?user_id={VIEWER}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_USER_AGENT": "Chillio",
    }
    logger.access(types.SimpleNamespace(status="200 OK", sent=42), None, environ, dt.timedelta(microseconds=1500))


def test_a_plain_access_log_file_gets_the_redacted_line_written_directly(tmp_path, monkeypatch):
    # given: gunicorn's own file handler (what --access-logfile sets up)
    logger = _access_logger(str(tmp_path / "access.log"))
    monkeypatch.setattr(logging.Logger, "makeRecord", lambda *a, **k: pytest.fail("no LogRecord per request"))

    # when
    _access(logger)

    # then
    written = (tmp_path / "access.log").read_text()
    assert written.startswith("10.0.0.1 - - [")
    assert '"GET /feeds?user_id=<viewer> HTTP/1.1" 200 42 1.5ms "Chillio"\n' in written


def test_any_other_handler_gets_the_line_through_logging_still_redacted(tmp_path):
    # given: an operator's extra handler (say, a log shipper) on the access log
    logger = _access_logger(str(tmp_path / "access.log"))
    shipped: list[str] = []

    class Shipper(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            shipped.append(record.getMessage())

    logger.access_log.addHandler(Shipper())

    # when
    _access(logger)

    # then: both the file and the shipper got it, redacted
    assert len(shipped) == 1 and "user_id=<viewer>" in shipped[0] and VIEWER not in shipped[0]
    assert "user_id=<viewer>" in (tmp_path / "access.log").read_text()
