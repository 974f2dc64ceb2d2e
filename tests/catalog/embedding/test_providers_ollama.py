from __future__ import annotations

import socket

import numpy as np
import pytest

from catalog.embedding.providers.base import ProviderError
from catalog.embedding.providers.ollama import OllamaProvider
from tests.fakes.embedding_server import fake_vector


def _provider(server, **kwargs) -> OllamaProvider:
    return OllamaProvider(**{"host": server.url, "timeout": 2.0, **kwargs})


def test_embed_returns_unit_vectors(embedding_server):
    # when
    batch = _provider(embedding_server).embed(["Memento", "Mulholland Drive"])

    # then
    assert (batch.model, batch.dim, len(batch)) == ("ollama:nomic-embed-text", 768, 2)
    expected = np.asarray(fake_vector("Mulholland Drive", 768))
    assert np.allclose(batch.vectors[1], expected / np.linalg.norm(expected), atol=1e-6)
    call = embedding_server.calls("POST /api/embed")[0]
    assert call.body == {"model": "nomic-embed-text", "input": ["Memento", "Mulholland Drive"]}


def test_model_size_follows_the_model_name(embedding_server):
    provider = _provider(embedding_server, model_name="all-minilm:latest")

    assert (provider.model, provider.dim, provider.embed(["Heat"]).dim) == ("ollama:all-minilm:latest", 384, 384)


@pytest.mark.parametrize(
    ("status", "body", "permanent", "message"),
    [
        (
            404,
            {"error": 'model "nomic-embed-text" not found, try pulling it first'},
            True,
            "run: ollama pull nomic-embed-text",
        ),
        (401, {"error": "unauthorized"}, True, "HTTP 401"),
        (400, {"error": "invalid input"}, True, "rejected the input (HTTP 400): invalid input"),
        (429, {"error": "too many requests"}, False, "HTTP 429"),
        (500, {"error": "llama runner process has terminated"}, False, "HTTP 500: llama runner process has terminated"),
        (503, "Service Unavailable", False, "HTTP 503"),
    ],
)
def test_http_errors_map_to_provider_errors(embedding_server, status, body, permanent, message):
    embedding_server.reply("POST /api/embed", status, body)

    with pytest.raises(ProviderError) as caught:
        _provider(embedding_server).embed(["Heat"])

    assert caught.value.permanent is permanent
    assert message in caught.value.message


def test_timeout_is_transient(embedding_server):
    embedding_server.reply("POST /api/embed", 200, {"model": "nomic-embed-text", "embeddings": []}, delay=1.5)

    with pytest.raises(ProviderError) as caught:
        _provider(embedding_server, timeout=0.3).embed(["Heat"])

    assert (caught.value.permanent, caught.value.message) == (False, f"Ollama at {embedding_server.url} timed out")


def test_unreachable_host_is_transient():
    # given a loopback port nobody listens on
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(ProviderError) as caught:
        OllamaProvider(host=f"http://127.0.0.1:{port}", timeout=1.0).embed(["Heat"])

    assert caught.value.permanent is False
    assert "cannot reach Ollama" in caught.value.message


def test_wrong_dimension_answer_is_permanent(embedding_server):
    embedding_server.reply("POST /api/embed", 200, {"model": "nomic-embed-text", "embeddings": [[0.5] * 384]})

    with pytest.raises(ProviderError) as caught:
        _provider(embedding_server).embed(["Heat"])

    assert caught.value.permanent is True
    assert "returned 384-dimensional vectors, expected 768" in caught.value.message


@pytest.mark.parametrize(
    ("pulled", "ok", "detail"),
    [
        (("nomic-embed-text",), True, "Ollama answers; model nomic-embed-text is pulled"),
        ((), False, "is not pulled"),
    ],
)
def test_probe_says_when_the_model_is_not_pulled(embedding_server, pulled, ok, detail):
    embedding_server.pulled_ollama_models = set(pulled)

    result = _provider(embedding_server).probe()

    assert result.ok is ok
    assert detail in result.detail
    if not ok:
        assert result.detail.endswith("run: ollama pull nomic-embed-text")


def test_probe_catches_a_dimension_mismatch(embedding_server):
    result = _provider(embedding_server, dimensions=1024).probe()

    assert result.ok is False
    assert result.detail == (
        "Ollama model nomic-embed-text makes 768-d vectors, expected 1024; set OLLAMA_EMBEDDING_DIMENSIONS"
    )
