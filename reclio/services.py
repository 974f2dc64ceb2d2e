"""Platform services used by management commands and admin_tools."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction


def beat_schedule_mirror() -> list[str]:
    """Write CELERY_BEAT_SCHEDULE into django-celery-beat's tables (idempotent).

    Beat does this itself when it starts; doing it after ``migrate`` too means the admin shows every
    schedule (to pause or "run now") even before beat has ever run.
    """
    from django_celery_beat.schedulers import ModelEntry

    from reclio.celery import app

    names = []
    with transaction.atomic():
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            ModelEntry.from_entry(name, app=app, **entry)
            names.append(name)
    return names


@dataclass(frozen=True)
class DemoAdmin:
    username: str
    password: str | None  # None when the account already existed (its password is not ours to show)
    created: bool


def demo_admin_ensure(*, username: str = "admin", password: str | None = None) -> DemoAdmin:
    """Create a superuser for a demo installation unless one exists.

    The generated password is written to ``<data dir>/demo-admin.txt`` (mode 600) so a person who
    missed the console line can still read it.
    """
    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return DemoAdmin(username=username, password=None, created=False)
    password = password or secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username=username, email="", password=password)
    credentials = settings.DATA_DIR / "demo-admin.txt"
    credentials.write_text(f"username: {username}\npassword: {password}\n")
    credentials.chmod(0o600)
    return DemoAdmin(username=username, password=password, created=True)
