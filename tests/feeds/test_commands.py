from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import CommandError, call_command

from feeds.models import PreparedFeeds
from tests.feeds.conftest import USER_ID
from tests.feeds.factories import PreparedFeedsFactory

pytestmark = pytest.mark.django_db


def test_feeds_refresh_now_computes_rows(world):
    out = io.StringIO()

    call_command("feeds_refresh", "--user", USER_ID, "--now", stdout=out)

    assert PreparedFeeds.objects.get().user_id == uuid.UUID(USER_ID)
    assert "refreshed 1 user(s)" in out.getvalue()


def test_feeds_refresh_all_queues_every_prepared_user(sent_tasks, django_capture_on_commit_callbacks):
    PreparedFeedsFactory.create_batch(3)
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("feeds_refresh", "--all", stdout=out)

    assert len(sent_tasks) == 3
    assert "queued 3 refresh(es)" in out.getvalue()


def test_feeds_refresh_needs_users():
    with pytest.raises(CommandError):
        call_command("feeds_refresh")


@pytest.mark.parametrize("now", [True, False])
@pytest.mark.parametrize("user_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "²", ""])
def test_feeds_refresh_for_a_missing_or_malformed_viewer_is_a_clear_error(world, sent_tasks, user_id, now):
    # given: the fake users app knows only USER_ID
    PreparedFeedsFactory.create(user_id=uuid.UUID(USER_ID))

    # when / then: no traceback, no silent "refreshed", nothing queued
    with pytest.raises(CommandError, match="no viewer with id"):
        call_command("feeds_refresh", "--user", user_id, *(["--now"] if now else []))
    assert sent_tasks == []
    assert PreparedFeeds.objects.count() == 1
