"""Recombee diagnosis: one verdict with facts and next steps (GET /admin/recombee/diagnose, recsys.probes).

Verdicts, in the order they are decided:

| verdict                  | meaning                                                                       |
|--------------------------|-------------------------------------------------------------------------------|
| no_credentials           | RECOMBEE_DATABASE_ID / RECOMBEE_PRIVATE_TOKEN not set                          |
| sdk_missing              | recombee-api-client cannot be imported                                         |
| client_init_failed       | the SDK refused the settings (e.g. RAPI_URI set together with a region)        |
| unreachable              | no usable answer from the configured region (network, timeout, 5xx, or the    |
|                          | credentials were refused and no other region knows the database)               |
| wrong_region             | the configured region is empty or refuses us, another region holds the data   |
| writes_silently_failing  | we recorded confirmed pushes but the database is (nearly) empty everywhere, or |
|                          | the write test's probe item cannot be read back                               |
| no_pushes_yet            | reachable, empty, and nothing has been pushed yet                              |
| ok                       | reachable and holding what we pushed                                          |

Reference: https://docs.recombee.com/api#list-items, #list-users, #add-item, #get-item-values,
#delete-item; https://docs.recombee.com/regions.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from reclio.settings.providers import RecommenderName
from reclio.settings.vendors import RecombeeRegion
from recsys.contracts import RecombeeDiagnosis, RecombeeVerdict
from recsys.recombee.client import (
    RecombeeApi,
    RecombeeCallError,
    RecombeeConfig,
    RecombeeSetupError,
    recombee_api_build,
)
from recsys.recombee.payloads import id_list_parse
from recsys.recombee.push import PushStatus, recombee_push_status
from recsys.recombee.reachability import recombee_reachability_record

logger = logging.getLogger(__name__)

# How many ids ListItems/ListUsers fetch to count the remote database; beyond it we say "at least".
LIST_LIMIT = 5000
# Remote holding less than this share of what we pushed means pushes are being lost.
REMOTE_SHARE_EXPECTED = 0.9
PROBE_ITEM_PREFIX = "reclio-diagnose-probe-"


@dataclass(frozen=True)
class _Count:
    items: int
    users: int
    capped: bool

    @property
    def empty(self) -> bool:
        return self.items == 0 and self.users == 0

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "users": self.users, "capped_at": LIST_LIMIT if self.capped else None}


def _count(api: RecombeeApi, *, limit: int) -> _Count:
    items = id_list_parse(api.send(api.requests.ListItems(count=limit)), what="item list")
    users = id_list_parse(api.send(api.requests.ListUsers(count=limit)), what="user list")
    return _Count(items=len(items), users=len(users), capped=len(items) >= limit or len(users) >= limit)


def _other_regions(config: RecombeeConfig, *, timeout: float) -> dict[str, Any]:
    """Ask every other region whether it knows the database (one short ListItems + ListUsers each)."""
    found: dict[str, Any] = {}
    skip = None if config.base_uri else config.region
    for region in RecombeeRegion:
        if region is skip:
            continue
        try:
            api = recombee_api_build(config=config, region=region, timeout_seconds=timeout, max_retries=0)
            found[region.value] = _count(api, limit=1).as_dict() | {"host": api.host}
        except RecombeeCallError as exc:
            found[region.value] = {"error": str(exc), "status": exc.status}
        except RecombeeSetupError as exc:
            found[region.value] = {"error": str(exc)}
    return found


def _holding_regions(regions: dict[str, Any]) -> list[str]:
    return [name for name, info in regions.items() if info.get("items") or info.get("users")]


def _wrong_region(
    config: RecombeeConfig, holders: list[str], facts: dict[str, Any], latency: float | None
) -> RecombeeDiagnosis:
    where = holders[0]
    return RecombeeDiagnosis(
        RecombeeVerdict.WRONG_REGION,
        f"The database {config.database_id!r} holds data in region {where}, "
        f"not in the configured {facts['region']}: writes go to a place nobody reads.",
        (
            f"Set RECOMBEE_REGION={where} (the region shown for the database in the Recombee admin UI) "
            "and restart the web and worker processes.",
            "Unset RECOMBEE_BASE_URI unless you use a proxy: it overrides the region's host.",
            "Then run the push again; what went to the wrong region is not moved automatically.",
        ),
        facts | {"region_holding_data": where},
        latency,
    )


def _write_test(api: RecombeeApi) -> dict[str, Any]:
    """Write a probe item, read it back, delete it. Never raises."""
    probe_id = f"{PROBE_ITEM_PREFIX}{uuid.uuid4().hex[:12]}"
    outcome: dict[str, Any] = {"item_id": probe_id}
    try:
        api.send(api.requests.AddItem(probe_id))
        outcome["write"] = "accepted"
    except RecombeeCallError as exc:
        outcome["write"] = f"refused: {exc}"
        outcome["ok"] = False
        return outcome
    try:
        api.send(api.requests.GetItemValues(probe_id))
        outcome["read_back"] = "found"
        outcome["ok"] = True
    except RecombeeCallError as exc:
        outcome["read_back"] = f"not found (HTTP {exc.status})" if exc.status == 404 else f"failed: {exc}"
        outcome["ok"] = False
    try:
        api.send(api.requests.DeleteItem(probe_id))
        outcome["cleanup"] = "deleted"
    except RecombeeCallError as exc:
        outcome["cleanup"] = f"failed: {exc}"
    return outcome


def recombee_diagnose(*, write_test: bool = False) -> RecombeeDiagnosis:
    """Check credentials, SDK, client, the configured region and (when empty) every other region."""
    config = RecombeeConfig.from_settings()
    selected = settings.RECOMMENDER is RecommenderName.RECOMBEE
    timeout = settings.RECOMBEE_PROBE_TIMEOUT_SECONDS
    facts: dict[str, Any] = {
        "selected": selected,
        "region": "custom host" if config.base_uri else config.region.value,
        "base_uri": config.base_uri,
        "database_id": config.database_id,
    }
    status = recombee_push_status()
    facts["local"] = {
        "items_pushed": status.items_pushed,
        "interactions_pushed": status.interactions_pushed,
        "catalog_push": status.catalog,
        "interactions_push": status.interactions,
    }

    try:
        api = recombee_api_build(config=config, timeout_seconds=timeout, max_retries=0)
    except RecombeeSetupError as exc:
        return _setup_diagnosis(exc, config=config, selected=selected, facts=facts)
    facts["host"] = api.host

    started = time.perf_counter()
    try:
        remote = _count(api, limit=LIST_LIMIT)
        latency = (time.perf_counter() - started) * 1000
    except RecombeeCallError as exc:
        latency = (time.perf_counter() - started) * 1000
        facts["error"] = str(exc)
        facts["http_status"] = exc.status
        if exc.rejected:
            regions = _other_regions(config, timeout=timeout)
            facts["other_regions"] = regions
            holders = _holding_regions(regions)
            if holders:
                return _wrong_region(config, holders, facts, latency)
            return RecombeeDiagnosis(
                RecombeeVerdict.UNREACHABLE,
                f"Recombee refused the configured database (HTTP {exc.status}) and no other region knows it.",
                (
                    "Copy the database id and the PRIVATE token (not the public one) from the Recombee "
                    "admin UI → Settings into RECOMBEE_DATABASE_ID and RECOMBEE_PRIVATE_TOKEN.",
                    "Check that this server's clock is right (signatures are valid for 30 s): run NTP.",
                ),
                facts,
                latency,
            )
        recombee_reachability_record(ok=False, reason=str(exc))
        return RecombeeDiagnosis(
            RecombeeVerdict.UNREACHABLE,
            f"No usable answer from Recombee at {api.host}: {exc}",
            (
                f"Check that this server can reach https://{api.host} (DNS, firewall, outbound proxy).",
                "Check https://status.recombee.com for an outage; the Recommended For You rows use their "
                "fallback meanwhile.",
            ),
            facts,
            latency,
        )
    recombee_reachability_record(ok=True)
    facts["remote"] = remote.as_dict()
    facts["latency_ms"] = round(latency, 1)
    diagnosis = _remote_diagnosis(api=api, config=config, remote=remote, status=status, facts=facts, latency=latency)

    if write_test:
        outcome = _write_test(api)
        facts["write_test"] = outcome
        if not outcome["ok"] and diagnosis.verdict != RecombeeVerdict.WRONG_REGION:
            return RecombeeDiagnosis(
                RecombeeVerdict.WRITES_SILENTLY_FAILING,
                "The write test did not stick: Recombee "
                + (
                    "accepted the probe item but cannot read it back."
                    if outcome.get("write") == "accepted"
                    else "refused the probe item (inside a Batch, pushes see this only as per-request codes)."
                ),
                (
                    "Check that RECOMBEE_PRIVATE_TOKEN is the private token of this very database.",
                    "Compare RECOMBEE_REGION with the region shown in the Recombee admin UI.",
                    "Look at facts.write_test and facts.local.*.last_error for the exact answers.",
                ),
                facts,
                latency,
            )
    return diagnosis


def _setup_diagnosis(
    exc: RecombeeSetupError, *, config: RecombeeConfig, selected: bool, facts: dict[str, Any]
) -> RecombeeDiagnosis:
    if exc.verdict == RecombeeVerdict.NO_CREDENTIALS:
        steps = [
            "Set RECOMBEE_DATABASE_ID and RECOMBEE_PRIVATE_TOKEN (Recombee admin UI → Settings → API ID & Tokens).",
        ]
        if not selected:
            steps.insert(0, "Set RECOMMENDER=recombee: Recombee settings are read only when it is selected.")
        steps.append("Until then the local engine serves (RECOMMENDER=local needs no account).")
        return RecombeeDiagnosis(
            RecombeeVerdict.NO_CREDENTIALS, f"Recombee credentials missing: {exc}.", tuple(steps), facts
        )
    if exc.verdict == RecombeeVerdict.SDK_MISSING:
        return RecombeeDiagnosis(
            RecombeeVerdict.SDK_MISSING,
            f"The Recombee SDK is not installed: {exc}.",
            ("Install the pinned requirements: pip install -r requirements.txt (recombee-api-client).",),
            facts,
        )
    return RecombeeDiagnosis(
        RecombeeVerdict.CLIENT_INIT_FAILED,
        str(exc),
        (
            "Check RECOMBEE_REGION (one of: " + ", ".join(r.value for r in RecombeeRegion) + ").",
            "Unset the RAPI_URI environment variable: the SDK refuses it together with a region; use "
            "RECOMBEE_BASE_URI to point at a custom host instead.",
        ),
        facts,
    )


def _remote_diagnosis(
    *,
    api: RecombeeApi,
    config: RecombeeConfig,
    remote: _Count,
    status: PushStatus,
    facts: dict[str, Any],
    latency: float,
) -> RecombeeDiagnosis:
    here = facts["region"]
    if remote.empty:
        regions = _other_regions(config, timeout=settings.RECOMBEE_PROBE_TIMEOUT_SECONDS)
        facts["other_regions"] = regions
        holders = _holding_regions(regions)
        if holders:
            return _wrong_region(config, holders, facts, latency)
        if status.anything_pushed:
            return RecombeeDiagnosis(
                RecombeeVerdict.WRITES_SILENTLY_FAILING,
                f"Recombee confirmed {status.items_pushed} titles and {status.interactions_pushed} interactions, "
                f"yet the database is empty in {here} and in every other region.",
                (
                    "Run this diagnosis with ?write_test=1 to see whether a single write sticks.",
                    "Check that the database was not reset in the Recombee admin UI; if it was, run "
                    "`manage.py recombee_push --reset` so everything is sent again.",
                    "Check RECOMBEE_BASE_URI: a proxy may answer without forwarding.",
                ),
                facts,
                latency,
            )
        return RecombeeDiagnosis(
            RecombeeVerdict.NO_PUSHES_YET,
            f"Recombee answers in {here} but holds nothing, and nothing has been pushed yet.",
            (
                "Make sure the Celery worker for the `recsys` queue runs: it pushes the catalog and the interactions.",
                "Run `manage.py recombee_push` once by hand (or wait for the scheduled push).",
            ),
            facts,
            latency,
        )
    short_items = (
        status.items_pushed > 0 and not remote.capped and remote.items < status.items_pushed * REMOTE_SHARE_EXPECTED
    )
    no_users = status.interactions_pushed > 0 and remote.users == 0
    if short_items or no_users:
        what = (
            f"{remote.items} titles remote vs {status.items_pushed} confirmed"
            if short_items
            else f"no users remote vs {status.interactions_pushed} interactions confirmed"
        )
        return RecombeeDiagnosis(
            RecombeeVerdict.WRITES_SILENTLY_FAILING,
            f"Recombee in {here} holds less than we pushed: {what}.",
            (
                "Run this diagnosis with ?write_test=1 to see whether a single write sticks.",
                "Look at facts.local.*.last_error and facts.local.*.recent_skips for what Recombee refused.",
                "If the database was reset on purpose, run `manage.py recombee_push --reset` to send everything again.",
            ),
            facts,
            latency,
        )
    summary = f"Recombee in {here} answers in {latency:.0f} ms and holds {remote.items}"
    summary += "+" if remote.capped else ""
    summary += f" titles and {remote.users}{'+' if remote.capped else ''} users."
    steps: tuple[str, ...] = ()
    if not status.anything_pushed:
        steps = (
            "The database holds data this instance has no record of pushing (state reset?); "
            "the next push resends everything, which is harmless.",
        )
    return RecombeeDiagnosis(RecombeeVerdict.OK, summary, steps, facts, latency)
