"""Settings are read in a fresh interpreter: a bad value must stop the process with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _django_check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reclio.settings.base", **env_overrides}
    for name in ("TMDB_API_KEY", "TRAKT_CLIENT_ID", "TRAKT_CLIENT_SECRET", "ADMIN_TOKEN", "OPENAI_API_KEY"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "perhaps", "DEBUG='perhaps' is not a boolean"),
        ("EMBEDDING_PROVIDER", "word2vec", "EMBEDDING_PROVIDER='word2vec' is not one of"),
        ("RECOMMENDER", "magic", "RECOMMENDER='magic' is not one of"),
        ("HTTP_MAX_RETRIES", "many", "HTTP_MAX_RETRIES='many' is not an integer"),
        ("OLLAMA_HOST", "localhost:11434", "OLLAMA_HOST='localhost:11434' must be an http(s) URL"),
    ],
)
def test_bad_value_fails_fast_naming_the_variable(name, value, message):
    extra = {"EMBEDDING_PROVIDER": "ollama"} if name == "OLLAMA_HOST" else {}
    result = _django_check({name: value, **extra})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_requires_secret_key():
    result = _django_check({"DATABASE_URL": "postgres://u:p@127.0.0.1:1/x"})
    assert result.returncode != 0
    assert "SECRET_KEY is required when DATABASE_URL is set" in result.stderr


def test_missing_vendor_keys_are_warnings_with_stable_ids():
    result = _django_check({"RECOMMENDER": "recombee", "EMBEDDING_PROVIDER": "openai"})
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    for check_id, variable in [
        ("reclio.W001", "TMDB_API_KEY"),
        ("reclio.W003", "TRAKT_CLIENT_ID"),
        ("reclio.W004", "RECOMBEE_DATABASE_ID"),
        ("reclio.W005", "OPENAI_API_KEY"),
        ("reclio.W008", "ADMIN_TOKEN"),
    ]:
        assert check_id in output
        assert variable in output


def test_the_embedded_default_generates_a_token_key_so_viewers_can_connect():
    # given: no TOKEN_ENCRYPTION_KEYS and no DATABASE_URL (the embedded default, as `make run` starts it)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reclio.settings.base"}
    for name in ("TOKEN_ENCRYPTION_KEYS", "TOKEN_ENCRYPTION_KEYS_FILE", "DATABASE_URL"):
        env.pop(name, None)

    # when
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(bool(settings.TOKEN_ENCRYPTION_KEYS))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then: a key was generated into the data dir (no later settings module overwrote it with None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"
