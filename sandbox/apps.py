"""``sandbox`` is a Django app only under ``sandbox.settings``: that is where its commands
(``demo``, ``chillio_view``, ``sandbox_watch``) live. No Reclio app imports it."""

from __future__ import annotations

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Demo sandbox"
