"""Upstream services: TMDB, Trakt, Recombee, OpenAI, Ollama.

Every base URL is configurable (fake servers in tests and demos, proxies in production). A missing
key disables only that vendor; ``manage.py check`` says so with a stable warning id
(see ``reclio/checks.py``). Keys of selectable vendors are read only when that vendor is selected.
"""

from __future__ import annotations

import enum

from reclio.env import env_enum, env_float, env_int, env_secret, env_str, env_url
from reclio.settings.providers import (
    EMBEDDING_PROVIDER_RESOLVED,
    LLM_PROVIDER,
    RECOMMENDER,
    EmbeddingProviderName,
    LLMProviderName,
    RecommenderName,
)
from reclio.settings.runtime import BASE_URL

# Outgoing HTTP defaults (reclio/http.py): connect/read timeout in seconds and retry budget.
HTTP_TIMEOUT_SECONDS = env_float("HTTP_TIMEOUT_SECONDS", 10.0)
HTTP_MAX_RETRIES = env_int("HTTP_MAX_RETRIES", 4, minimum=0)

# --- TMDB (https://developer.themoviedb.org/reference/intro/getting-started) ----------------
TMDB_API_KEY = env_secret("TMDB_API_KEY")
TMDB_READ_ACCESS_TOKEN = env_secret("TMDB_READ_ACCESS_TOKEN")
TMDB_BASE_URL = env_url("TMDB_BASE_URL", "https://api.themoviedb.org/3")
# TMDB allows about 40-50 requests/s per key; stay safely under it.
TMDB_MAX_REQUESTS_PER_SECOND = env_float("TMDB_MAX_REQUESTS_PER_SECOND", 35.0)

# --- Trakt (https://trakt.docs.apiary.io/) ---------------------------------------------------
TRAKT_CLIENT_ID = env_secret("TRAKT_CLIENT_ID")
TRAKT_CLIENT_SECRET = env_secret("TRAKT_CLIENT_SECRET")
TRAKT_API_URL = env_url("TRAKT_API_URL", "https://api.trakt.tv")
TRAKT_AUTHORIZE_URL = env_url("TRAKT_AUTHORIZE_URL", "https://trakt.tv/oauth/authorize")
TRAKT_REDIRECT_URI = env_url("TRAKT_REDIRECT_URI", f"{BASE_URL}/connect/trakt/callback")


# --- Recombee (read only when RECOMMENDER=recombee) -----------------------------------------
class RecombeeRegion(enum.Enum):
    US_WEST = "us-west"
    CA_EAST = "ca-east"
    EU_WEST = "eu-west"
    AP_SE = "ap-se"


RECOMBEE_DATABASE_ID: str | None = None
RECOMBEE_PRIVATE_TOKEN: str | None = None
RECOMBEE_REGION = RecombeeRegion.EU_WEST
RECOMBEE_BASE_URI: str | None = None
if RECOMMENDER is RecommenderName.RECOMBEE:
    RECOMBEE_DATABASE_ID = env_str("RECOMBEE_DATABASE_ID")
    RECOMBEE_PRIVATE_TOKEN = env_secret("RECOMBEE_PRIVATE_TOKEN")
    RECOMBEE_REGION = env_enum("RECOMBEE_REGION", RecombeeRegion, RecombeeRegion.EU_WEST)
    # Overrides the region's host (fake servers, on-premise proxies).
    RECOMBEE_BASE_URI = env_str("RECOMBEE_BASE_URI")

# --- OpenAI (read only when embeddings or the LLM use it) -----------------------------------
OPENAI_API_KEY: str | None = None
OPENAI_BASE_URL: str | None = None
OPENAI_EMBEDDING_MODEL = "text-embedding-3-small"
if EmbeddingProviderName.OPENAI in (EMBEDDING_PROVIDER_RESOLVED,) or LLM_PROVIDER is LLMProviderName.OPENAI:
    OPENAI_API_KEY = env_secret("OPENAI_API_KEY")
    OPENAI_BASE_URL = env_url("OPENAI_BASE_URL")
    OPENAI_EMBEDDING_MODEL = env_str("OPENAI_EMBEDDING_MODEL", OPENAI_EMBEDDING_MODEL)

# --- Ollama (read only when embeddings or the LLM use it) -----------------------------------
OLLAMA_HOST = "http://localhost:11434"
OLLAMA_EMBEDDING_MODEL = "nomic-embed-text"
if EMBEDDING_PROVIDER_RESOLVED is EmbeddingProviderName.OLLAMA or LLM_PROVIDER is LLMProviderName.OLLAMA:
    OLLAMA_HOST = env_url("OLLAMA_HOST", OLLAMA_HOST)
    OLLAMA_EMBEDDING_MODEL = env_str("OLLAMA_EMBEDDING_MODEL", OLLAMA_EMBEDDING_MODEL)

# --- LLM reranker keys (roadmap; read only when selected) -----------------------------------
ANTHROPIC_API_KEY = env_secret("ANTHROPIC_API_KEY") if LLM_PROVIDER is LLMProviderName.CLAUDE else None
OPENROUTER_API_KEY = env_secret("OPENROUTER_API_KEY") if LLM_PROVIDER is LLMProviderName.OPENROUTER else None
