"""OAuth tokens at rest: Fernet with key rotation (MultiFernet).

Reference: https://cryptography.io/en/latest/fernet/#cryptography.fernet.MultiFernet
``TOKEN_ENCRYPTION_KEYS`` is a comma-separated list, newest first: tokens are encrypted with the
first key and decrypted with any of them, so an operator rotates by prepending a new key, running
``manage.py rotate_token_keys`` (re-encrypts every row with the newest key) and then dropping the
old key.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class TokenDecryptionError(Exception):
    """A stored token cannot be decrypted with any configured key (key removed too early)."""


@lru_cache(maxsize=4)
def _fernet_for(keys: str) -> MultiFernet:
    parts = [part.strip() for part in keys.split(",") if part.strip()]
    try:
        return MultiFernet([Fernet(part.encode()) for part in parts])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS must be comma-separated Fernet keys (32 url-safe base64 bytes); "
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from exc


def _fernet() -> MultiFernet:
    keys = settings.TOKEN_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS is not set: Trakt tokens cannot be stored")
    return _fernet_for(keys)


def token_encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return _fernet().encrypt(plaintext.encode()).decode()


def token_decrypt(ciphertext: str) -> str:
    if not ciphertext:
        return ""
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError("stored token cannot be decrypted with TOKEN_ENCRYPTION_KEYS") from exc


def token_reencrypt(ciphertext: str) -> str:
    """The same token encrypted with the newest key (MultiFernet.rotate)."""
    if not ciphertext:
        return ""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError("stored token cannot be decrypted with TOKEN_ENCRYPTION_KEYS") from exc
