"""Re-encrypt every stored Trakt token with the newest TOKEN_ENCRYPTION_KEYS key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from users import services


class Command(BaseCommand):
    help = "Re-encrypt stored Trakt tokens with the first key of TOKEN_ENCRYPTION_KEYS (after prepending a new key)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.user_tokens_reencrypt_all()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted tokens of {count} user(s); old keys may now be removed."))
