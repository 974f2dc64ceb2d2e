from __future__ import annotations

import datetime as dt
import json
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import ContentItem
from recsys.models import EngineState
from recsys.recombee.push import CATALOG_STATE_KEY, INTERACTIONS_STATE_KEY
from tests.catalog.factories import ContentItemFactory
from tests.fakes.recombee import play
from tests.recsys.recombee.conftest import DATABASE_ID, TOKEN
from tests.recsys.recombee.factories import InteractionRowStub

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_each(monkeypatch):
    item = ContentItemFactory.create(tmdb_id=603, title="The Matrix")
    ContentItem.objects.filter(item_id=item.item_id).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    row = InteractionRowStub(1, uuid.uuid4(), item.item_id, "view", None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    monkeypatch.setattr(
        "users.selectors.interactions_since",
        lambda *, after_id, limit: [row] if after_id < row.id else [],
        raising=False,
    )
    return item


def test_recombee_push_command_sends_catalog_then_interactions(fake, remote, one_of_each):
    # when
    out = StringIO()
    call_command("recombee_push", stdout=out)

    # then
    assert out.getvalue().splitlines() == [
        "catalog: sent=1 accepted=1 skipped=0 batches=1",
        "interactions: sent=1 accepted=1 skipped=0 batches=1",
    ]
    assert remote.items["movie_603"]["title"] == "The Matrix"
    assert len(remote.interactions_of("detailviews")) == 1


def test_recombee_push_reset_sends_everything_again(fake, remote, one_of_each):
    # given
    call_command("recombee_push", stdout=StringIO())
    fake.calls.clear()

    # when
    out = StringIO()
    call_command("recombee_push", "--reset", stdout=out)

    # then
    assert out.getvalue().splitlines()[0] == "reset: recombee.catalog_push, recombee.schema, recombee.interactions_push"
    assert "catalog: sent=1 accepted=1" in out.getvalue()
    assert "interactions: sent=1 accepted=1" in out.getvalue()  # 409 "already there" counts as done
    assert EngineState.objects.get(key=INTERACTIONS_STATE_KEY).value["cursor"] == 1


def test_recombee_push_command_fails_loudly_when_a_batch_fails(fake, remote, one_of_each, no_sleep):
    # given
    remote.fail_batches = 10

    # when / then
    with pytest.raises(CommandError, match="cursor did not move"):
        call_command("recombee_push", stdout=StringIO())
    assert "cursor" not in EngineState.objects.get(key=CATALOG_STATE_KEY).value


def test_recombee_push_command_without_credentials(settings):
    settings.RECOMBEE_PRIVATE_TOKEN = None
    with pytest.raises(CommandError, match="no_credentials"):
        call_command("recombee_push", stdout=StringIO())


def test_recombee_diagnose_command_prints_the_verdict(fake):
    # given
    play(fake, "empty", database_id=DATABASE_ID, token=TOKEN)

    # when
    out = StringIO()
    call_command("recombee_diagnose", stdout=out)

    # then
    assert json.loads(out.getvalue())["verdict"] == "no_pushes_yet"
