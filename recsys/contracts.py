"""Frozen dataclasses and vocabularies that cross the recsys boundary (backends → services → feeds,
admin_tools)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass(frozen=True)
class ScoredItem:
    item_id: str  # catalog item id: movie_{tmdb} / tv_{tmdb}
    score: float
    reason: str = ""  # short, honest, user-facing: "because you watched Heat"
    source: str = ""  # which signal produced it: "cf", "content", "popularity", "recombee", …


@dataclass(frozen=True)
class InteractionsPushed:
    """What one interactions push confirmed: how many rows, and whose (they are rescored next)."""

    accepted: int = 0
    user_ids: tuple[str, ...] = ()


class RecombeeVerdict(models.TextChoices):
    """What the Recombee diagnosis concluded (meanings: recsys/recombee/diagnosis.py)."""

    OK = "ok", "Working"
    WRONG_REGION = "wrong_region", "Wrong region"
    UNREACHABLE = "unreachable", "Unreachable"
    NO_PUSHES_YET = "no_pushes_yet", "Nothing pushed yet"
    WRITES_SILENTLY_FAILING = "writes_silently_failing", "Writes silently failing"
    NO_CREDENTIALS = "no_credentials", "No credentials"
    SDK_MISSING = "sdk_missing", "SDK missing"
    CLIENT_INIT_FAILED = "client_init_failed", "Client could not be built"


@dataclass(frozen=True)
class RecombeeDiagnosis:
    """One verdict with the facts behind it and what the operator should do next."""

    verdict: RecombeeVerdict
    summary: str
    next_steps: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)
    latency_ms: float | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == RecombeeVerdict.OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "ok": self.ok,
            "summary": self.summary,
            "next_steps": list(self.next_steps),
            "facts": self.facts,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
        }
