"""Generated secrets on disk: private from the first byte, one value across processes (issue 13)."""

from __future__ import annotations

import multiprocessing
import os
import stat
import time
from pathlib import Path

import pytest

from reclio import secret_files
from reclio.secret_files import secret_file_ensure, secret_file_replace
from reclio.settings import runtime


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    # The worst case: a umask that would make every new file world-readable.
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_a_generated_secret_is_private_and_stable(tmp_path, open_umask, monkeypatch):
    # given
    monkeypatch.setattr(runtime, "DATA_DIR", tmp_path / "data")

    # when
    first = runtime.data_dir_secret("secret_key", generate=lambda: "s3cret")
    again = runtime.data_dir_secret("secret_key", generate=lambda: "other")

    # then
    assert first == again == "s3cret"
    assert _mode(tmp_path / "data" / ".secret_key") == 0o600
    assert [p.name for p in (tmp_path / "data").iterdir()] == [".secret_key"]  # no temp file left


def test_the_secret_is_never_in_a_readable_file_even_when_the_process_dies_midway(tmp_path, open_umask, monkeypatch):
    # given: the process dies right after writing (before any chmod could run)
    def die(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(Path, "chmod", die)
    monkeypatch.setattr(os, "chmod", die)
    monkeypatch.setattr(os, "link", die)
    monkeypatch.setattr(runtime, "DATA_DIR", tmp_path)

    # when
    with pytest.raises(KeyboardInterrupt):
        runtime.data_dir_secret("token_encryption_key", generate=lambda: "s3cret")

    # then: whatever is on disk, nobody but the owner can read it
    for path in tmp_path.iterdir():
        assert _mode(path) & 0o077 == 0, (path, oct(_mode(path)))


def test_a_secret_left_readable_by_an_older_version_is_tightened(tmp_path):
    path = tmp_path / ".secret_key"
    path.write_text("old\n")
    path.chmod(0o644)

    assert secret_file_ensure(path, generate=lambda: "new") == "old"
    assert _mode(path) == 0o600


def _race_worker(n: int, barrier, results) -> None:
    # A fresh interpreter reading the settings' runtime module, as each of serve's processes does
    # (RECLIO_DATA_DIR and REDIS_URL come from the environment, so no embedded server starts).
    from reclio.settings import runtime as child_runtime

    def slow_generate() -> str:
        time.sleep(0.3)  # widens the window between "no file yet" and "written" that every process hits
        return f"key-of-process-{n}"

    barrier.wait()
    results.put(child_runtime.data_dir_secret("token_encryption_key", generate=slow_generate))


def test_processes_starting_together_share_one_secret(tmp_path, monkeypatch):
    # given: web, worker and beat (and more) start at the same instant on a fresh data dir
    monkeypatch.setenv("RECLIO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    context = multiprocessing.get_context("spawn")
    count = 8
    barrier = context.Barrier(count)
    results = context.Queue()
    processes = [context.Process(target=_race_worker, args=(n, barrier, results)) for n in range(count)]

    # when
    for process in processes:
        process.start()
    values = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)

    # then: one winner; every process uses its key
    assert len(set(values)) == 1, values
    assert (tmp_path / ".token_encryption_key").read_text() == values[0]


def test_replace_writes_privately_over_an_old_file(tmp_path, open_umask):
    path = tmp_path / "demo-admin.txt"
    path.write_text("old")
    path.chmod(0o644)

    secret_file_replace(path, "username: admin\npassword: x\n")

    assert path.read_text() == "username: admin\npassword: x\n"
    assert _mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["demo-admin.txt"]


def test_the_module_does_not_need_django():
    # The settings import it while they are being read.
    source = Path(secret_files.__file__).read_text()
    assert "django" not in source.replace("imports nothing from Django", "")
