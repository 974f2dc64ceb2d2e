from __future__ import annotations

from tests.users.conftest import sent_tasks  # noqa: F401 - shared fixture
