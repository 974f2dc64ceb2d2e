"""Re-encrypt every stored Trakt token with the newest TOKEN_ENCRYPTION_KEYS key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from users import services


class Command(BaseCommand):
    help = "Re-encrypt stored Trakt tokens with the first key of TOKEN_ENCRYPTION_KEYS (after prepending a new key)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = services.user_tokens_reencrypt_all()
        if result.busy:
            # The old key must stay until every row is re-encrypted: say so, and fail the command.
            raise CommandError(
                f"Re-encrypted tokens of {result.reencrypted} user(s), but {len(result.busy)} were being refreshed "
                "the whole time; run the command again before removing the old key."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted tokens of {result.reencrypted} user(s); old keys may now be removed.")
        )
