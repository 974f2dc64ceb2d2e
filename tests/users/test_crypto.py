from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from tests.users.factories import UserFactory
from users.crypto import TokenDecryptionError, token_decrypt, token_encrypt
from users.models import User
from users.trakt.types import DeviceCode, TokenSet

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_roundtrip_and_ciphertext_differs_from_plaintext(settings):
    settings.TOKEN_ENCRYPTION_KEYS = OLD
    ciphertext = token_encrypt("secret-token")
    assert "secret-token" not in ciphertext
    assert token_decrypt(ciphertext) == "secret-token"


@pytest.mark.django_db
def test_key_rotation_with_multifernet(settings):
    # given a token stored under the old key
    settings.TOKEN_ENCRYPTION_KEYS = OLD
    user = UserFactory.create(access_token="plain-access", refresh_token="plain-refresh")
    # when the operator prepends a new key and runs the rotation command
    settings.TOKEN_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    assert token_decrypt(User.objects.get(pk=user.pk).access_token_encrypted) == "plain-access"
    call_command("rotate_token_keys")
    # then the old key can be dropped
    settings.TOKEN_ENCRYPTION_KEYS = NEW
    stored = User.objects.get(pk=user.pk)
    assert (token_decrypt(stored.access_token_encrypted), token_decrypt(stored.refresh_token_encrypted)) == (
        "plain-access",
        "plain-refresh",
    )


def test_dropping_a_key_too_early_is_a_clear_error(settings):
    settings.TOKEN_ENCRYPTION_KEYS = OLD
    ciphertext = token_encrypt("x")
    settings.TOKEN_ENCRYPTION_KEYS = NEW
    with pytest.raises(TokenDecryptionError):
        token_decrypt(ciphertext)


@pytest.mark.parametrize("keys", ["", "not-a-key"])
def test_missing_or_malformed_keys_are_improperly_configured(settings, keys):
    settings.TOKEN_ENCRYPTION_KEYS = keys
    with pytest.raises(ImproperlyConfigured):
        token_encrypt("x")


def test_token_values_never_appear_in_reprs():
    import datetime as dt

    tokens = TokenSet(
        access_token="AAA-secret", refresh_token="RRR-secret", expires_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    device = DeviceCode(
        device_code="DDD-secret",
        user_code="ABCD",
        verification_url="https://trakt.tv/activate",
        expires_in=600,
        interval=5,
    )
    assert "secret" not in repr(tokens) and "secret" not in repr(device)
    user = User(access_token_encrypted="gAAAA-cipher", refresh_token_encrypted="gAAAA-cipher2", trakt_slug="sean")
    assert "gAAAA" not in repr(user) and "gAAAA" not in str(user)


@pytest.mark.django_db
def test_check_flags_trakt_without_encryption_keys(settings):
    from users.apps import token_keys_check

    settings.TOKEN_ENCRYPTION_KEYS = None
    assert [m.id for m in token_keys_check()] == ["users.E001"]
    settings.TOKEN_ENCRYPTION_KEYS = "bad"
    assert [m.id for m in token_keys_check()] == ["users.E002"]
