"""Fixtures for recsys: a fake users app (its selectors are patched; the users app is built in parallel)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from recsys.registry import recommender_backend_reset


@dataclass(frozen=True)
class FakeInteraction:
    user_id: str
    item_id: str
    kind: str
    value: float | None
    occurred_at: datetime


class FakeUsers:
    """Stands in for users.selectors: interactions_all, user_interactions, user_seen_item_ids."""

    def __init__(self) -> None:
        self.records: list[FakeInteraction] = []
        self._clock = datetime(2024, 1, 1, tzinfo=UTC)

    def add(self, user_id: str, item_id: str, kind: str = "view", value: float | None = None) -> None:
        self._clock += timedelta(hours=1)
        self.records.append(FakeInteraction(user_id, item_id, kind, value, self._clock))

    def interactions_all(self):
        return iter(self.records)

    def user_interactions(self, *, user_id):
        return [r for r in self.records if r.user_id == str(user_id)]

    def user_seen_item_ids(self, *, user_id):
        return {r.item_id for r in self.records if r.user_id == str(user_id) and r.kind in ("view", "rating")}


@pytest.fixture
def fake_users(monkeypatch) -> FakeUsers:
    fake = FakeUsers()
    for name in ("interactions_all", "user_interactions", "user_seen_item_ids"):
        monkeypatch.setattr(f"users.selectors.{name}", getattr(fake, name), raising=False)
    return fake


@pytest.fixture(autouse=True)
def _fresh_backend():
    recommender_backend_reset()
    yield
    recommender_backend_reset()


@pytest.fixture
def user_id() -> str:
    return str(uuid.uuid4())
