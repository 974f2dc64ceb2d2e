from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _import_recombee_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # reclio.settings.recombee reads only the environment (no database, no Django setup needed).
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RECOMBEE_", "RECOMMENDER"))}
    code = "import reclio.settings.recombee as s; print(s.RECOMBEE_BATCH_SIZE, s.RECOMBEE_PROBE_TIMEOUT_SECONDS)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "stdout"),
    [
        ({}, "1000 3.0"),
        ({"RECOMMENDER": "local", "RECOMBEE_BATCH_SIZE": "nonsense"}, "1000 3.0"),  # not read unless selected
        ({"RECOMMENDER": "recombee", "RECOMBEE_BATCH_SIZE": "250", "RECOMBEE_PROBE_TIMEOUT_SECONDS": "1.5"}, "250 1.5"),
    ],
)
def test_recombee_settings_are_read_only_when_selected(env, stdout):
    result = _import_recombee_settings(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("20000", "RECOMBEE_BATCH_SIZE=20000 exceeds Recombee's 10000"),
        ("0", "RECOMBEE_BATCH_SIZE=0 must be at least 1"),
    ],
)
def test_batch_size_beyond_recombee_limit_fails_fast(value, message):
    result = _import_recombee_settings({"RECOMMENDER": "recombee", "RECOMBEE_BATCH_SIZE": value})
    assert result.returncode != 0
    assert message in result.stderr
