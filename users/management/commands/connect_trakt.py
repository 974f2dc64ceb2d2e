"""Connect a Trakt account from a terminal (device-code flow): for headless servers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reclio.exceptions import ApplicationError
from reclio.http import UpstreamError
from users import services
from users.trakt.client import DevicePoll


class Command(BaseCommand):
    help = "Connect a Trakt account with the device-code flow: prints a code and URL, then waits."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            device = services.trakt_device_start()
        except (ApplicationError, UpstreamError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Open {device.verification_url} and enter the code: {device.user_code}")
        self.stdout.write(f"Waiting up to {device.expires_in // 60} minutes (polling every {device.interval}s)…")

        def on_poll(outcome: DevicePoll) -> None:
            if outcome is DevicePoll.SLOW_DOWN:
                self.stdout.write("Trakt asked us to poll more slowly; slowing down.")

        try:
            user = services.trakt_device_wait(device=device, on_poll=on_poll)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Connected Trakt user {user.trakt_username}; first sync queued."))
        self.stdout.write(f"Personal addon URL for Chillio: {settings.BASE_URL}/?user_id={user.pk}")
