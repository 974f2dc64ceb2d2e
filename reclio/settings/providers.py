"""Which embedding provider, recommender backend and LLM the installation uses."""

from __future__ import annotations

import enum

from reclio.env import env_enum


class LLMProviderName(enum.Enum):
    NONE = "none"
    OLLAMA = "ollama"
    OPENAI = "openai"
    CLAUDE = "claude"
    OPENROUTER = "openrouter"


class EmbeddingProviderName(enum.Enum):
    AUTO = "auto"
    OPENAI = "openai"
    OLLAMA = "ollama"
    LOCAL = "local"
    NONE = "none"


class RecommenderName(enum.Enum):
    LOCAL = "local"
    RECOMBEE = "recombee"


# EMBEDDING_PROVIDER=auto follows the LLM: a vendor that serves both chat and embeddings is reused;
# Claude and OpenRouter have no embeddings endpoint, so they pair with the offline local model.
EMBEDDING_PROVIDER_FOR_LLM = {
    LLMProviderName.OLLAMA: EmbeddingProviderName.OLLAMA,
    LLMProviderName.OPENAI: EmbeddingProviderName.OPENAI,
    LLMProviderName.CLAUDE: EmbeddingProviderName.LOCAL,
    LLMProviderName.OPENROUTER: EmbeddingProviderName.LOCAL,
    LLMProviderName.NONE: EmbeddingProviderName.NONE,
}


def embedding_provider_resolve(*, requested: EmbeddingProviderName, llm: LLMProviderName) -> EmbeddingProviderName:
    if requested is EmbeddingProviderName.AUTO:
        return EMBEDDING_PROVIDER_FOR_LLM[llm]
    return requested


LLM_PROVIDER = env_enum("LLM_PROVIDER", LLMProviderName, LLMProviderName.NONE)
EMBEDDING_PROVIDER = env_enum("EMBEDDING_PROVIDER", EmbeddingProviderName, EmbeddingProviderName.AUTO)
EMBEDDING_PROVIDER_RESOLVED = embedding_provider_resolve(requested=EMBEDDING_PROVIDER, llm=LLM_PROVIDER)
RECOMMENDER = env_enum("RECOMMENDER", RecommenderName, RecommenderName.LOCAL)
