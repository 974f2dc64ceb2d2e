from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("user_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "²"])
def test_score_user_for_a_missing_or_malformed_viewer_is_a_clear_error(user_id):
    with pytest.raises(CommandError, match="no viewer with id"):
        call_command("score_user", user_id)
