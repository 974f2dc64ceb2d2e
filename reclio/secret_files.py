"""Secret files on disk: readable by their owner only from the first byte, and written exactly once.

``Path.write_text`` then ``chmod`` leaves a window in which the secret sits in a file of the umask's
mode (0644 by default: readable by every local user), and a crash in between leaves it that way.
Two processes starting together (``serve`` starts web, worker and beat at once) could each generate
a different ``SECRET_KEY`` or token key, and each would encrypt with its own. Here a secret is written
into a fresh private file (``O_CREAT | O_EXCL``, mode 0600) and published under its name atomically:
``os.link`` (first writer wins, the others read the winner's) or ``os.replace`` (overwrite).

This module imports nothing from Django: the settings use it while they are being read.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

PRIVATE = 0o600


def _private_temp_write(path: Path, text: str) -> Path:
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), PRIVATE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _private_read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        # Written by an older version (write, then chmod) or by hand: tighten, and say so.
        os.chmod(path, PRIVATE)
        logger.warning("secret_file_permissions_tightened path=%s was=%o", path, mode)
    return path.read_text(encoding="utf-8").strip()


def secret_file_ensure(path: Path, *, generate: Callable[[], str]) -> str:
    """The secret stored at ``path``, generated and written once (0600) if there is none yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return _private_read(path)
    temp = _private_temp_write(path, generate())
    try:
        os.link(temp, path)  # atomic, and fails when another process published first
    except FileExistsError:
        pass  # that process won: everyone uses its secret
    finally:
        temp.unlink(missing_ok=True)
    return _private_read(path)


def secret_file_replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (0600 from the start), replacing any previous file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _private_temp_write(path, text)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
