"""Recombee JSON answers parsed strictly into frozen dataclasses.

Reference: https://docs.recombee.com/api (Batch, Recommend Items to User/Item, List Items/Users).
Anything that does not have the documented shape raises ``RecombeeCallError`` instead of leaking a
raw dict past this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recsys.recombee.client import RecombeeCallError

# Sub-request codes a Batch reports (https://docs.recombee.com/api#batch: the batch itself is HTTP 200
# even when its parts fail). 409 on an interaction or a property = it is already there: done.
DONE_CODES = frozenset({200, 201, 409})


def _malformed(what: str, payload: Any) -> RecombeeCallError:
    return RecombeeCallError(f"Recombee returned a malformed {what}: {str(payload)[:200]}")


@dataclass(frozen=True)
class SubResult:
    code: int
    message: str = ""

    @property
    def done(self) -> bool:
        return self.code in DONE_CODES

    @property
    def retryable(self) -> bool:
        return self.code in (408, 429) or self.code >= 500


@dataclass(frozen=True)
class BatchResult:
    results: tuple[SubResult, ...]

    @property
    def done_count(self) -> int:
        return sum(1 for result in self.results if result.done)

    @property
    def failures(self) -> list[tuple[int, SubResult]]:
        return [(index, result) for index, result in enumerate(self.results) if not result.done]


def batch_result_parse(payload: Any, *, expected: int) -> BatchResult:
    if not isinstance(payload, list) or len(payload) != expected:
        raise _malformed(f"batch answer (expected {expected} results)", payload)
    results = []
    for entry in payload:
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), int):
            raise _malformed("batch result", entry)
        body = entry.get("json")
        message = body.get("message", "") if isinstance(body, dict) else (body if isinstance(body, str) else "")
        results.append(SubResult(code=entry["code"], message=str(message)[:300]))
    return BatchResult(results=tuple(results))


@dataclass(frozen=True)
class Recommendations:
    recomm_id: str
    item_ids: tuple[str, ...]


def recommendations_parse(payload: Any) -> Recommendations:
    if not isinstance(payload, dict) or not isinstance(payload.get("recomms"), list):
        raise _malformed("recommendation answer", payload)
    item_ids = []
    for entry in payload["recomms"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise _malformed("recommended item", entry)
        item_ids.append(entry["id"])
    recomm_id = payload.get("recommId", "")
    if not isinstance(recomm_id, str):
        raise _malformed("recommId", recomm_id)
    return Recommendations(recomm_id=recomm_id, item_ids=tuple(item_ids))


def id_list_parse(payload: Any, *, what: str) -> tuple[str, ...]:
    """ListItems / ListUsers without returnProperties: a JSON array of ids."""
    if not isinstance(payload, list) or not all(isinstance(entry, str) for entry in payload):
        raise _malformed(what, payload)
    return tuple(payload)


@dataclass(frozen=True)
class StoredInteraction:
    """One rating or bookmark Recombee holds for a user (ListUserRatings / ListUserBookmarks)."""

    item_id: str
    timestamp: float  # Unix seconds, as Recombee reports it
    rating: float | None = None


def stored_interactions_parse(payload: Any, *, what: str) -> tuple[StoredInteraction, ...]:
    """``[{"itemId", "userId", "timestamp", "rating"?}, …]`` (https://docs.recombee.com/api#list-user-ratings)."""
    if not isinstance(payload, list):
        raise _malformed(what, payload)
    stored = []
    for entry in payload:
        if not isinstance(entry, dict) or not isinstance(entry.get("itemId"), str):
            raise _malformed(what, entry)
        timestamp, rating = entry.get("timestamp"), entry.get("rating")
        if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
            raise _malformed(f"{what} timestamp", entry)
        if rating is not None and (isinstance(rating, bool) or not isinstance(rating, (int, float))):
            raise _malformed(f"{what} rating", entry)
        stored.append(
            StoredInteraction(
                item_id=entry["itemId"], timestamp=float(timestamp), rating=None if rating is None else float(rating)
            )
        )
    return tuple(stored)
