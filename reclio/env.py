"""Strict environment parsing.

Every setting is read once, here, at import time. A value that cannot be parsed raises
``ImproperlyConfigured`` naming the variable, so a typo fails the process at start instead of
silently turning into a default. Secrets may also be given as ``<NAME>_FILE`` (Docker/K8s secrets).
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import TypeVar, overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

E = TypeVar("E", bound=enum.Enum)


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use one of {sorted(_TRUE | _FALSE)}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        parsed = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None
    if minimum is not None and parsed < minimum:
        raise ImproperlyConfigured(f"{name}={parsed} must be at least {minimum}")
    return parsed


def env_float(name: str, default: float) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [part.strip() for part in value.split(",") if part.strip()]


def env_enum(name: str, enum_cls: type[E], default: E) -> E:
    value = _raw(name)
    if value is None:
        return default
    try:
        return enum_cls(value.lower())
    except ValueError:
        choices = ", ".join(member.value for member in enum_cls)
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {choices}") from None


def env_secret(name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE``; never defaulted."""
    value = _raw(name)
    if value is not None:
        return value
    path = _raw(f"{name}_FILE")
    if path is None:
        return None
    try:
        return Path(path).read_text().strip() or None
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None


@overload
def env_url(name: str, default: str) -> str: ...
@overload
def env_url(name: str, default: None = None) -> str | None: ...
def env_url(name: str, default: str | None = None) -> str | None:
    value = env_str(name, default)
    if value is None:
        return None
    if not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{name}={value!r} must be an http(s) URL")
    return value.rstrip("/")
