"""The demo admin password is printed and kept on disk only on the embedded demo default (issue 13)."""

from __future__ import annotations

import io
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from reclio.services import demo_admin_ensure

pytestmark = pytest.mark.django_db


class _NoProcesses:
    """Stands in for honcho's Manager: serve's startup runs, no process is started."""

    returncode = 0

    def add_process(self, *args, **kwargs) -> None:
        pass

    def loop(self) -> None:
        pass


def _serve(monkeypatch) -> str:
    monkeypatch.setattr("reclio.management.commands.serve.Manager", _NoProcesses)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("serve", "--no-migrate", stdout=out)
    return out.getvalue()


def test_serve_against_a_real_database_creates_no_admin_and_writes_no_password(monkeypatch, settings, tmp_path):
    # given: a deployment (DATABASE_URL set)
    settings.EMBEDDED_DATABASE = False
    settings.DATA_DIR = tmp_path

    # when
    output = _serve(monkeypatch)

    # then
    assert not get_user_model().objects.exists()
    assert list(tmp_path.iterdir()) == []
    assert "password" not in output.lower()
    assert "manage.py createsuperuser" in output


def test_serve_on_the_embedded_default_makes_the_demo_admin(monkeypatch, settings, tmp_path):
    settings.EMBEDDED_DATABASE = True
    settings.DATA_DIR = tmp_path

    output = _serve(monkeypatch)

    admin = get_user_model().objects.get()
    assert admin.is_superuser
    credentials = tmp_path / "demo-admin.txt"
    password = credentials.read_text().split("password: ")[1].strip()
    assert f"admin / {password}" in output
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600


def test_the_demo_admin_command_on_a_real_database_leaves_nothing_on_disk(settings, tmp_path):
    settings.EMBEDDED_DATABASE = False
    settings.DATA_DIR = tmp_path

    admin = demo_admin_ensure(password="chosen")

    assert admin.created and admin.password == "chosen"
    assert list(tmp_path.iterdir()) == []
