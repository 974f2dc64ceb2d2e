"""Embedding providers: one module per vendor behind ``base.EmbeddingProvider``; see ``registry``."""
