"""Factories of the Recombee tests (catalog rows come from tests/catalog/factories.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InteractionRowStub:
    """The shape users.selectors.interactions_since yields (users.contracts.InteractionRow)."""

    id: int
    user_id: uuid.UUID
    item_id: str
    kind: str
    value: float | None
    occurred_at: dt.datetime
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class InteractionRecordStub:
    """The shape of users.selectors.user_interactions (docs/design/contracts.md)."""

    item_id: str
    kind: str
    value: float | None = None
    occurred_at: Any = None
