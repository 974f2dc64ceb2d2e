"""Embeddings: the text recipe, providers, re-embedding and pgvector similarity (catalog owns vectors)."""
