"""The Recombee item schema and how a catalog row maps onto it.

Reference: https://docs.recombee.com/api#add-item-property (types ``string``, ``int``, ``double``,
``set`` …; 409 when the property exists) and https://docs.recombee.com/api#set-item-values.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recsys.models import EngineState
from recsys.recombee.client import RecombeeApi, RecombeeCallError
from recsys.recombee.payloads import batch_result_parse

if TYPE_CHECKING:
    from catalog.models import ContentItem

logger = logging.getLogger(__name__)

# name → Recombee type. `media_type` drives the movie/show filter of the recommendation calls.
ITEM_PROPERTIES: tuple[tuple[str, str], ...] = (
    ("title", "string"),
    ("overview", "string"),
    ("genres", "set"),
    ("year", "int"),
    ("vote_average", "double"),
    ("popularity", "double"),
    ("media_type", "string"),
    ("cast", "set"),
    ("director", "string"),
)
CAST_LIMIT = 5
SCHEMA_STATE_KEY = "recombee.schema"


def item_values(item: ContentItem) -> dict[str, Any]:
    """The property values of one catalog row (null where the catalog has nothing)."""
    genres = [genre["name"] for genre in item.genres or [] if isinstance(genre, dict) and genre.get("name")]
    cast = [name for name in (item.cast or [])[:CAST_LIMIT] if isinstance(name, str) and name]
    return {
        "title": item.title,
        "overview": item.overview or None,
        "genres": genres,
        "year": item.year,
        "vote_average": float(item.vote_average or 0.0),
        "popularity": float(item.popularity or 0.0),
        "media_type": item.media_type,
        "cast": cast,
        "director": item.director or None,
    }


@dataclass(frozen=True)
class SchemaReport:
    created: tuple[str, ...]
    existing: tuple[str, ...]
    skipped: bool = False  # already ensured for this database and schema version


def _fingerprint(api: RecombeeApi) -> str:
    spec = f"{api.host}/{api.database_id}:" + ",".join(f"{name}={kind}" for name, kind in ITEM_PROPERTIES)
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def recombee_schema_ensure(*, api: RecombeeApi, force: bool = False) -> SchemaReport:
    """Create every item property; existing ones (409) are fine. One Batch call, then remembered."""
    fingerprint = _fingerprint(api)
    state = EngineState.objects.filter(key=SCHEMA_STATE_KEY).first()
    if not force and state is not None and state.value.get("fingerprint") == fingerprint:
        return SchemaReport(created=(), existing=tuple(name for name, _ in ITEM_PROPERTIES), skipped=True)

    requests = [api.requests.AddItemProperty(name, kind) for name, kind in ITEM_PROPERTIES]
    result = batch_result_parse(api.send(api.requests.Batch(requests)), expected=len(requests))
    created, existing, failed = [], [], []
    for (name, kind), sub in zip(ITEM_PROPERTIES, result.results, strict=True):
        if sub.code in (200, 201):
            created.append(name)
        elif sub.code == 409:
            existing.append(name)
        else:
            failed.append(f"{name} ({kind}): HTTP {sub.code} {sub.message}".strip())
    if failed:
        raise RecombeeCallError(
            "Recombee refused item properties: " + "; ".join(failed),
            status=result.results[0].code if len(failed) == len(requests) else None,
            permanent=not any(sub.retryable for sub in result.results),
        )
    EngineState.objects.update_or_create(key=SCHEMA_STATE_KEY, defaults={"value": {"fingerprint": fingerprint}})
    logger.info("recombee_schema_ensured created=%s existing=%s", ",".join(created), len(existing))
    return SchemaReport(created=tuple(created), existing=tuple(existing))
