"""Every environment variable the settings read is documented (docs/configuration.md, .env.example)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"env_(?:str|bool|int|float|list|enum|secret|url)\(\s*\"([A-Z][A-Z0-9_]+)\"")


def _variables_read() -> set[str]:
    names: set[str] = set()
    for module in (ROOT / "reclio" / "settings").glob("*.py"):
        names |= set(READ.findall(module.read_text()))
    return names


def test_settings_read_a_sensible_number_of_variables():
    assert {
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "ADMIN_TOKEN",
        "EMBEDDING_PROVIDER",
        "RECOMMENDER",
    } <= _variables_read()


def test_every_variable_is_in_the_configuration_reference():
    reference = (ROOT / "docs" / "configuration.md").read_text()
    assert sorted(name for name in _variables_read() if f"`{name}`" not in reference) == []


def test_every_variable_is_in_env_example():
    example = (ROOT / ".env.example").read_text()
    assert sorted(name for name in _variables_read() if not re.search(rf"^#? ?{name}=", example, re.M)) == []
