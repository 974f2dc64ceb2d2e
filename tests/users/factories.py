from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from tests.catalog.factories import ContentItemFactory
from users.contracts import ConnectionState, InteractionKind
from users.crypto import token_encrypt
from users.models import Interaction, User


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    trakt_username = factory.Sequence(lambda n: f"viewer{n}")
    trakt_slug = factory.LazyAttribute(lambda o: o.trakt_username)
    display_name = factory.LazyAttribute(lambda o: o.trakt_username.title())
    connection_state = ConnectionState.CONNECTED
    token_expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=20))

    class Params:
        access_token = "access-plain"
        refresh_token = "refresh-plain"

    access_token_encrypted = factory.LazyAttribute(lambda o: token_encrypt(o.access_token))
    refresh_token_encrypted = factory.LazyAttribute(lambda o: token_encrypt(o.refresh_token))


class InteractionFactory(factory.django.DjangoModelFactory[Interaction]):
    class Meta:
        model = Interaction

    user = factory.SubFactory(UserFactory)
    item = factory.SubFactory(ContentItemFactory)
    kind = InteractionKind.VIEW
    occurred_at = factory.LazyFunction(timezone.now)
