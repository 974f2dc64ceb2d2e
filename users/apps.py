from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, register


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reclio.health import probe_register
        from users.probes import trakt_probe

        register(token_keys_check, Tags.security)
        probe_register("trakt", trakt_probe)


def token_keys_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """users.E001: Trakt is configured but tokens could not be stored (no encryption key)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not (settings.TRAKT_CLIENT_ID and settings.TRAKT_CLIENT_SECRET):
        return []
    if not settings.TOKEN_ENCRYPTION_KEYS:
        return [
            Error(
                "TOKEN_ENCRYPTION_KEYS is not set: Trakt tokens cannot be stored, so nobody can connect.",
                hint="python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
                id="users.E001",
            )
        ]
    from users.crypto import _fernet

    try:
        _fernet()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="users.E002")]
    return []
