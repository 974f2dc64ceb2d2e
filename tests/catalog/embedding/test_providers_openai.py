from __future__ import annotations

import numpy as np
import pytest

from catalog.embedding.providers.base import ProviderError
from catalog.embedding.providers.openai import OpenAIProvider
from tests.fakes.embedding_server import fake_vector


def _provider(server, **kwargs) -> OpenAIProvider:
    options = {"api_key": "sk-test", "base_url": f"{server.url}/v1", "timeout": 2.0, "max_retries": 0, **kwargs}
    return OpenAIProvider(**options)


def _error(message: str, code: str | None = None, type_: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def test_embed_returns_unit_vectors_in_input_order(embedding_server):
    # given
    provider = _provider(embedding_server)

    # when
    batch = provider.embed(["Alien\nIn space no one can hear you scream.", "Heat"])

    # then
    assert (batch.model, batch.dim, len(batch)) == ("openai:text-embedding-3-small", 1536, 2)
    expected = np.asarray(fake_vector("Heat", 1536))
    assert np.allclose(batch.vectors[1], expected / np.linalg.norm(expected), atol=1e-6)
    assert np.linalg.norm(batch.vectors[0]) == pytest.approx(1.0, abs=1e-5)
    call = embedding_server.calls("POST /v1/embeddings")[0]
    assert call.body["model"] == "text-embedding-3-small"
    assert call.body["input"] == ["Alien\nIn space no one can hear you scream.", "Heat"]
    assert "dimensions" not in call.body
    assert call.headers["authorization"] == "Bearer sk-test"


def test_configured_dimensions_are_sent_and_part_of_the_model_identity(embedding_server):
    provider = _provider(embedding_server, model_name="text-embedding-3-large", dimensions=768)

    batch = provider.embed(["Heat"])

    assert (provider.model, provider.dim, batch.dim) == ("openai:text-embedding-3-large@768", 768, 768)
    assert embedding_server.calls("POST /v1/embeddings")[0].body["dimensions"] == 768


@pytest.mark.parametrize(
    ("status", "body", "headers", "permanent", "message"),
    [
        (401, _error("Incorrect API key provided", "invalid_api_key"), {}, True, "rejected OPENAI_API_KEY (HTTP 401)"),
        (400, _error("This model's maximum context length is 8192 tokens"), {}, True, "rejected the input (HTTP 400)"),
        (403, _error("Project does not have access"), {}, True, "HTTP 403"),
        (404, _error("The model does not exist", "model_not_found"), {}, True, "does not know model"),
        (
            429,
            _error("Rate limit reached", "rate_limit_exceeded", "requests"),
            {"retry-after": "7"},
            False,
            "rate limit",
        ),
        (429, _error("You exceeded your current quota", "insufficient_quota"), {}, True, "quota exhausted"),
        (500, _error("The server had an error", None, "server_error"), {}, False, "HTTP 500"),
        (503, _error("Overloaded", None, "server_error"), {}, False, "HTTP 503"),
    ],
)
def test_http_errors_map_to_provider_errors(embedding_server, status, body, headers, permanent, message):
    # given
    embedding_server.reply("POST /v1/embeddings", status, body, headers=headers)

    # when
    with pytest.raises(ProviderError) as caught:
        _provider(embedding_server).embed(["Heat"])

    # then
    assert caught.value.permanent is permanent
    assert message in caught.value.message
    if headers:
        assert caught.value.retry_after == 7.0


def test_timeout_is_transient(embedding_server):
    embedding_server.reply("POST /v1/embeddings", 200, {"data": []}, delay=1.5)

    with pytest.raises(ProviderError) as caught:
        _provider(embedding_server, timeout=0.3).embed(["Heat"])

    assert caught.value.permanent is False
    assert "timed out" in caught.value.message


@pytest.mark.parametrize(
    ("vector_size", "texts", "permanent", "message"),
    [
        (512, ["Heat"], True, "returned 512-dimensional vectors, expected 1536"),
        (1536, ["Heat", "Alien"], False, None),
    ],
    ids=["wrong_dimension_answer_is_permanent", "missing_vectors_in_answer_are_transient"],
)
def test_malformed_answer(embedding_server, vector_size, texts, permanent, message):
    embedding_server.reply(
        "POST /v1/embeddings",
        200,
        {
            "object": "list",
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
            "data": [{"object": "embedding", "index": 0, "embedding": [0.1] * vector_size}],
        },
    )

    with pytest.raises(ProviderError) as caught:
        _provider(embedding_server).embed(texts)

    assert caught.value.permanent is permanent
    if message is not None:
        assert message in caught.value.message


def test_sdk_retries_a_429_honouring_retry_after(embedding_server):
    # given one rate-limited answer, then the normal one
    embedding_server.reply(
        "POST /v1/embeddings",
        429,
        _error("Rate limit reached", "rate_limit_exceeded"),
        headers={"retry-after-ms": "10"},
    )

    # when
    batch = _provider(embedding_server, max_retries=1).embed(["Heat"])

    # then
    assert len(batch) == 1
    assert len(embedding_server.calls("POST /v1/embeddings")) == 2


def test_missing_api_key_is_permanent_and_makes_no_request(embedding_server):
    with pytest.raises(ProviderError) as caught:
        _provider(embedding_server, api_key=None).embed(["Heat"])

    assert caught.value.permanent is True
    assert caught.value.message == "OPENAI_API_KEY is not set"
    assert embedding_server.requests == []


@pytest.mark.parametrize(
    ("status", "body", "ok", "detail"),
    [
        (None, None, True, "OpenAI answers; model text-embedding-3-small available"),
        (
            401,
            _error("Incorrect API key provided", "invalid_api_key"),
            False,
            "OpenAI rejected OPENAI_API_KEY (HTTP 401): check the key",
        ),
        (
            404,
            _error("The model does not exist", "model_not_found"),
            False,
            "OpenAI does not know model 'text-embedding-3-small' (HTTP 404): check OPENAI_EMBEDDING_MODEL",
        ),
    ],
)
def test_probe(embedding_server, status, body, ok, detail):
    if status is not None:
        embedding_server.reply("GET /v1/models/text-embedding-3-small", status, body)

    result = _provider(embedding_server).probe()

    assert (result.ok, result.detail) == (ok, detail)
