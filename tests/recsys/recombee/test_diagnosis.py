from __future__ import annotations

import logging
import sys

import pytest

from admin_tools.services import health_check_run
from reclio.settings.providers import RecommenderName
from recsys.models import EngineState
from recsys.probes import recombee_probe
from recsys.recombee.diagnosis import PROBE_ITEM_PREFIX, recombee_diagnose
from recsys.recombee.push import CATALOG_STATE_KEY, INTERACTIONS_STATE_KEY
from tests.fakes.recombee import play
from tests.recsys.recombee.conftest import DATABASE_ID, TOKEN

pytestmark = pytest.mark.django_db


def _pushed(*, items: int = 0, interactions: int = 0) -> None:
    """Local push state as the push jobs leave it after Recombee confirmed that much."""
    EngineState.objects.create(key=CATALOG_STATE_KEY, value={"accepted": items})
    EngineState.objects.create(key=INTERACTIONS_STATE_KEY, value={"accepted": interactions, "cursor": interactions})


@pytest.mark.parametrize(
    ("scenario", "pushed", "verdict", "summary_part"),
    [
        ("healthy", (3, 5), "ok", "holds 3 titles and 2 users"),
        ("empty", (0, 0), "no_pushes_yet", "nothing has been pushed yet"),
        ("empty", (40, 120), "writes_silently_failing", "confirmed 40 titles and 120 interactions"),
        ("healthy", (40, 0), "writes_silently_failing", "3 titles remote vs 40 confirmed"),
        ("wrong_region:us-west", (3, 0), "wrong_region", "holds data in region us-west"),
        ("phantom_region:ap-se", (3, 0), "wrong_region", "holds data in region ap-se"),
        ("down", (3, 0), "unreachable", "No usable answer from Recombee"),
        ("server_error", (3, 0), "unreachable", "HTTP 503"),
        ("bad_token", (3, 0), "unreachable", "refused the configured database (HTTP 401)"),
    ],
)
def test_every_remote_verdict(fake, scenario, pushed, verdict, summary_part):
    # given
    play(fake, scenario, database_id=DATABASE_ID, token=TOKEN, region="eu-west")
    _pushed(items=pushed[0], interactions=pushed[1])

    # when
    diagnosis = recombee_diagnose()

    # then
    assert diagnosis.verdict == verdict
    assert summary_part in diagnosis.summary
    assert diagnosis.next_steps or verdict == "ok"
    assert diagnosis.facts["region"] == "eu-west"
    assert diagnosis.facts["local"]["items_pushed"] == pushed[0]
    assert diagnosis.facts["local"]["interactions_pushed"] == pushed[1]
    assert diagnosis.latency_ms is not None


def test_ok_reports_remote_counts_region_host_and_latency(fake):
    # given
    play(fake, "healthy", database_id=DATABASE_ID, token=TOKEN)
    _pushed(items=3, interactions=4)

    # when
    diagnosis = recombee_diagnose()

    # then
    assert diagnosis.ok is True
    assert diagnosis.facts["remote"] == {"items": 3, "users": 2, "capped_at": None}
    assert diagnosis.facts["host"] == "rapi-eu-west.recombee.com"
    assert diagnosis.facts["latency_ms"] >= 0
    assert "other_regions" not in diagnosis.facts  # a healthy region is not second-guessed


def test_wrong_region_names_the_region_and_the_setting(fake):
    # given
    play(fake, "wrong_region:ca-east", database_id=DATABASE_ID, token=TOKEN)

    # when
    diagnosis = recombee_diagnose()

    # then
    assert diagnosis.verdict == "wrong_region"
    assert diagnosis.facts["region_holding_data"] == "ca-east"
    assert diagnosis.facts["other_regions"]["ca-east"]["items"] == 1
    assert diagnosis.facts["other_regions"]["us-west"]["status"] == 404
    assert diagnosis.next_steps[0].startswith("Set RECOMBEE_REGION=ca-east")
    probed = {call.host for call in fake.calls}
    assert probed == {
        "rapi-eu-west.recombee.com",
        "rapi-us-west.recombee.com",
        "rapi-ca-east.recombee.com",
        "rapi-ap-se.recombee.com",
    }


def test_empty_everywhere_probes_each_other_region_once(fake):
    # given
    play(fake, "empty", database_id=DATABASE_ID, token=TOKEN)

    # when
    diagnosis = recombee_diagnose()

    # then
    assert diagnosis.verdict == "no_pushes_yet"
    assert sorted(diagnosis.facts["other_regions"]) == ["ap-se", "ca-east", "us-west"]
    other_hosts = [call.host for call in fake.calls if call.host != "rapi-eu-west.recombee.com"]
    assert len(other_hosts) == 3  # ListItems refused (404) → that region is done


def test_write_test_round_trip_leaves_nothing_behind(fake):
    # given
    play(fake, "healthy", database_id=DATABASE_ID, token=TOKEN)
    _pushed(items=3)

    # when
    diagnosis = recombee_diagnose(write_test=True)

    # then
    assert diagnosis.verdict == "ok"
    outcome = diagnosis.facts["write_test"]
    assert (outcome["write"], outcome["read_back"], outcome["cleanup"], outcome["ok"]) == (
        "accepted",
        "found",
        "deleted",
        True,
    )
    assert outcome["item_id"].startswith(PROBE_ITEM_PREFIX)
    remote = fake.database(region="eu-west", database_id=DATABASE_ID, token=TOKEN)
    assert not [item for item in remote.items if item.startswith(PROBE_ITEM_PREFIX)]


def test_write_test_that_does_not_stick_is_writes_silently_failing(fake):
    # given: the database answers reads and accepts writes, but keeps none of them
    play(fake, "drops_writes", database_id=DATABASE_ID, token=TOKEN)
    _pushed(items=3)

    # when
    plain = recombee_diagnose()
    tested = recombee_diagnose(write_test=True)

    # then
    assert plain.verdict == "ok"
    assert tested.verdict == "writes_silently_failing"
    assert "accepted the probe item but cannot read it back" in tested.summary
    assert tested.facts["write_test"]["read_back"] == "not found (HTTP 404)"


@pytest.mark.parametrize("missing", ["RECOMBEE_DATABASE_ID", "RECOMBEE_PRIVATE_TOKEN"])
def test_no_credentials(settings, missing):
    setattr(settings, missing, None)
    diagnosis = recombee_diagnose()
    assert diagnosis.verdict == "no_credentials"
    assert missing in diagnosis.summary


def test_no_credentials_when_recombee_is_not_selected_says_to_select_it(settings):
    settings.RECOMMENDER = RecommenderName.LOCAL
    settings.RECOMBEE_DATABASE_ID = None
    diagnosis = recombee_diagnose()
    assert diagnosis.verdict == "no_credentials"
    assert diagnosis.next_steps[0].startswith("Set RECOMMENDER=recombee")


def test_sdk_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "recombee_api_client", None)
    monkeypatch.delitem(sys.modules, "recsys.recombee.sdk", raising=False)
    diagnosis = recombee_diagnose()
    assert diagnosis.verdict == "sdk_missing"
    assert "pip install -r requirements.txt" in diagnosis.next_steps[0]


def test_client_init_failed(monkeypatch):
    monkeypatch.setenv("RAPI_URI", "proxy.example.com")
    diagnosis = recombee_diagnose()
    assert diagnosis.verdict == "client_init_failed"
    assert any("RAPI_URI" in step for step in diagnosis.next_steps)


# --- the admin endpoint ----------------------------------------------------------------------


def test_diagnose_endpoint_requires_the_admin_token(api_client):
    assert api_client.get("/admin/recombee/diagnose").status_code == 401


def test_diagnose_endpoint_returns_the_verdict(admin_api_client, fake):
    # given
    play(fake, "wrong_region:us-west", database_id=DATABASE_ID, token=TOKEN)

    # when
    response = admin_api_client.get("/admin/recombee/diagnose")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "wrong_region"
    assert body["ok"] is False
    assert body["facts"]["region_holding_data"] == "us-west"
    assert body["next_steps"][0].startswith("Set RECOMBEE_REGION=us-west")


def test_diagnose_endpoint_write_test(admin_api_client, fake):
    # given
    play(fake, "healthy", database_id=DATABASE_ID, token=TOKEN)

    # when
    body = admin_api_client.get("/admin/recombee/diagnose", {"write_test": "1"}).json()

    # then
    assert body["verdict"] == "ok"
    assert body["facts"]["write_test"]["ok"] is True
    assert [call.method for call in fake.calls_to("/items/reclio-diagnose-probe-")] == ["PUT", "GET", "DELETE"]


# --- the hourly probe ------------------------------------------------------------------------


def test_probe_is_ok_when_recombee_is_not_selected(settings):
    settings.RECOMMENDER = RecommenderName.LOCAL
    result = recombee_probe()
    assert (result.name, result.ok, result.detail) == ("recombee", True, "not selected (RECOMMENDER=local)")


def test_probe_carries_the_verdict(fake):
    # given
    play(fake, "down", database_id=DATABASE_ID, token=TOKEN)

    # when
    result = recombee_probe()

    # then
    assert result.ok is False
    assert result.detail.startswith("unreachable: ")
    assert result.facts["verdict"] == "unreachable"


def test_health_check_logs_one_warning_with_the_verdict_when_recombee_degrades(fake, caplog):
    # given
    caplog.set_level(logging.INFO, logger="admin_tools.services")
    play(fake, "healthy", database_id=DATABASE_ID, token=TOKEN)
    health_check_run(probes={"recombee": recombee_probe})
    fake.region("eu-west").down = True

    # when
    health_check_run(probes={"recombee": recombee_probe})
    health_check_run(probes={"recombee": recombee_probe})

    # then
    warnings = [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "admin_tools.services"
    ]
    assert len(warnings) == 1
    assert "checks=recombee" in warnings[0]
    assert "recombee: unreachable: " in warnings[0]


def test_diagnose_endpoint_is_in_the_openapi_schema_without_warnings():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "/admin/recombee/diagnose:" in out.getvalue()
    assert "RecombeeDiagnosis:" in out.getvalue()
