"""System checks with stable ids: misconfiguration shows in ``manage.py check`` and in admin_tools.

A missing vendor key is a warning, not an error: it disables that vendor and the rest still runs.

| id          | meaning                                                                  |
|-------------|--------------------------------------------------------------------------|
| reclio.W001 | TMDB credentials missing: content sync is off, feeds use tmdb_query rows  |
| reclio.W002 | embedding dimension differs from what the catalog holds (embeddings app)  |
| reclio.W003 | Trakt client id/secret missing: users cannot connect, no history sync     |
| reclio.W004 | RECOMMENDER=recombee without Recombee credentials: local engine serves     |
| reclio.W005 | OpenAI selected (embeddings or LLM) without OPENAI_API_KEY                 |
| reclio.W006 | LLM_PROVIDER=claude without ANTHROPIC_API_KEY                              |
| reclio.W007 | LLM_PROVIDER=openrouter without OPENROUTER_API_KEY                         |
| reclio.W008 | ADMIN_TOKEN unset: the /admin/… operator API answers 503                  |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from reclio.settings.providers import EmbeddingProviderName, LLMProviderName, RecommenderName


@register(Tags.compatibility, deploy=False)
def vendor_credentials_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not (settings.TMDB_API_KEY or settings.TMDB_READ_ACCESS_TOKEN):
        messages.append(
            Warning(
                "TMDB credentials are not set: the catalog will not sync from TMDB.",
                hint="Set TMDB_API_KEY (v3 key) or TMDB_READ_ACCESS_TOKEN (v4 bearer token). "
                "Feeds still answer with tmdb_query rows; `manage.py import_catalog` works offline.",
                id="reclio.W001",
            )
        )
    if not (settings.TRAKT_CLIENT_ID and settings.TRAKT_CLIENT_SECRET):
        missing = [n for n in ("TRAKT_CLIENT_ID", "TRAKT_CLIENT_SECRET") if not getattr(settings, n)]
        messages.append(
            Warning(
                f"{' and '.join(missing)} not set: viewers cannot connect Trakt and no history is synced.",
                hint="Create a Trakt API app at https://trakt.tv/oauth/applications and set both values.",
                id="reclio.W003",
            )
        )
    if settings.RECOMMENDER is RecommenderName.RECOMBEE:
        missing = [n for n in ("RECOMBEE_DATABASE_ID", "RECOMBEE_PRIVATE_TOKEN") if not getattr(settings, n)]
        if missing:
            messages.append(
                Warning(
                    f"RECOMMENDER=recombee but {' and '.join(missing)} not set: Recombee is unavailable "
                    "and the Recommended For You rows use their fallback.",
                    hint="Set the database id and private token from the Recombee admin, or RECOMMENDER=local.",
                    id="reclio.W004",
                )
            )
    uses_openai = (
        settings.EMBEDDING_PROVIDER_RESOLVED is EmbeddingProviderName.OPENAI
        or settings.LLM_PROVIDER is LLMProviderName.OPENAI
    )
    if uses_openai and not settings.OPENAI_API_KEY:
        messages.append(
            Warning(
                "OpenAI is selected (EMBEDDING_PROVIDER or LLM_PROVIDER) but OPENAI_API_KEY is not set.",
                hint="Set OPENAI_API_KEY, or choose EMBEDDING_PROVIDER=local for offline embeddings.",
                id="reclio.W005",
            )
        )
    if settings.LLM_PROVIDER is LLMProviderName.CLAUDE and not settings.ANTHROPIC_API_KEY:
        messages.append(Warning("LLM_PROVIDER=claude but ANTHROPIC_API_KEY is not set.", id="reclio.W006"))
    if settings.LLM_PROVIDER is LLMProviderName.OPENROUTER and not settings.OPENROUTER_API_KEY:
        messages.append(Warning("LLM_PROVIDER=openrouter but OPENROUTER_API_KEY is not set.", id="reclio.W007"))
    if not settings.ADMIN_TOKEN:
        messages.append(
            Warning(
                "ADMIN_TOKEN is not set: the operator API under /admin/… answers 503.",
                hint="Set ADMIN_TOKEN to a long random string and send it as the X-Admin-Token header.",
                id="reclio.W008",
            )
        )
    return messages
