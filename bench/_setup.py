"""Shared bootstrap for the benchmarks: repo on sys.path, Django configured, the shared data dir."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def django_setup(settings_module: str = "reclio.settings.base") -> None:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def shared_data_dir(cli_value: str | None) -> Path:
    """--data, else RECLIO_SHARED_DATA, else ../shared/data beside the checkout."""
    path = Path(cli_value or os.environ.get("RECLIO_SHARED_DATA") or REPO.parent / "shared" / "data")
    if not (path / "tmdb" / "tmdb-movies.csv").exists():
        raise SystemExit(f"shared data not found at {path} (pass --data or set RECLIO_SHARED_DATA)")
    return path


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"
