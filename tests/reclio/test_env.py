from __future__ import annotations

import enum

import pytest
from django.core.exceptions import ImproperlyConfigured

from reclio.env import env_bool, env_enum, env_int, env_list, env_secret, env_url


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("YES", True), ("off", False), ("0", False)]
)
def test_env_bool_accepts_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG", not expected) is expected


def test_env_bool_rejects_garbage_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe'"):
        env_bool("DEBUG", False)


def test_env_int_rejects_garbage_and_minimum(monkeypatch):
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="N='ten' is not an integer"):
        env_int("N", 1)
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("N", 1, minimum=1)


def test_env_enum_lists_choices(monkeypatch):
    monkeypatch.setenv("COLOR", "green")
    with pytest.raises(ImproperlyConfigured, match="COLOR='green' is not one of: red, blue"):
        env_enum("COLOR", Color, Color.RED)
    monkeypatch.setenv("COLOR", "BLUE")
    assert env_enum("COLOR", Color, Color.RED) is Color.BLUE


def test_env_defaults_when_unset_or_blank(monkeypatch):
    monkeypatch.setenv("EMPTY", "  ")
    assert env_bool("EMPTY", True) is True
    assert env_list("UNSET_LIST_X", ["a"]) == ["a"]


def test_env_secret_reads_file(monkeypatch, tmp_path):
    secret_file = tmp_path / "token"
    secret_file.write_text("s3cret\n")
    monkeypatch.delenv("MY_TOKEN", raising=False)
    monkeypatch.setenv("MY_TOKEN_FILE", str(secret_file))
    assert env_secret("MY_TOKEN") == "s3cret"
    monkeypatch.setenv("MY_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="MY_TOKEN_FILE"):
        env_secret("MY_TOKEN")


def test_env_url_requires_scheme(monkeypatch):
    monkeypatch.setenv("SOME_URL", "localhost:11434")
    with pytest.raises(ImproperlyConfigured, match="SOME_URL"):
        env_url("SOME_URL")
    monkeypatch.setenv("SOME_URL", "http://localhost:11434/")
    assert env_url("SOME_URL") == "http://localhost:11434"
