"""Local embedding throughput on real catalog texts, and what the speed-ups cost in quality.

    /work/main/.venv/bin/python bench/embedding_throughput.py [--items 1000] [--rounds 3] [--data DIR]

Texts are the embedding recipe applied to the most popular movies of tmdb-movies.csv. Variants:
  baseline   plain sentence-transformers (fp32, encode batch 32), as a reference
  provider   our LocalProvider as the embedding task calls it (EMBEDDING_BATCH_SIZE texts per call),
             with the precision `auto` picks on this machine (bf16 on CPUs with AVX512-BF16/AMX)
  provider, 1 thread  the same with EMBEDDING_LOCAL_THREADS=1 (no thread spinning on a busy machine)
  provider fp32  our provider forced to fp32 (isolates the precision gain from the batching)
Rounds are interleaved so background load hits every variant alike; the best round is reported
(the least disturbed), plus the median, and items per CPU-second of this process (robust to other
processes competing for the cores: on a shared machine wall-clock figures swing several-fold).
Quality: cosine between each text's bf16 and fp32 vectors,
and how many of each title's top-20 neighbours (within the sample) stay the same.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from _setup import django_setup, load_average, shared_data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", default=None)
    args = parser.parse_args()

    django_setup()
    import numpy as np
    import torch
    from django.conf import settings
    from sentence_transformers import SentenceTransformer

    from catalog.embedding.providers import local
    from catalog.embedding.providers.local import LocalProvider
    from catalog.embedding.text import content_item_embedding_text
    from tests.catalog.embedding.tmdb_data import _Row, tmdb_movie_rows

    rows = tmdb_movie_rows(shared_data_dir(args.data), limit=args.items)
    texts = [content_item_embedding_text(_Row(**row)) for row in rows]
    tokens = [len(t.split()) for t in texts]
    print(f"texts: {len(texts)} real catalog texts, words p50={statistics.median(tokens):.0f} max={max(tokens)}")
    print(
        f"machine: {torch.get_num_threads()} torch threads, native bf16: {local.cpu_has_native_bf16()}, "
        f"load average at start: {load_average()}"
    )

    plain = SentenceTransformer(str(local.bundled_model_dir()), device="cpu", local_files_only=True)
    auto = LocalProvider()
    fp32 = LocalProvider(precision="fp32")
    batch = settings.EMBEDDING_BATCH_SIZE

    def by_calls(provider: LocalProvider, size: int) -> Callable[[], Any]:
        return lambda: np.concatenate(
            [np.asarray(provider.embed(texts[i : i + size]).vectors) for i in range(0, len(texts), size)]
        )

    precision = local.resolve_precision("auto", device="cpu")
    default_threads = torch.get_num_threads()

    def with_threads(threads: int, fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            torch.set_num_threads(threads)  # process-wide: set before every run, restored by the next
            return fn()

        return run

    variants = {
        "baseline (plain sentence-transformers fp32)": with_threads(
            default_threads, lambda: plain.encode(texts, batch_size=32, normalize_embeddings=True)
        ),
        f"provider auto={precision}, {batch}/call (default)": with_threads(default_threads, by_calls(auto, batch)),
        f"provider auto={precision}, {batch}/call, 1 thread": with_threads(1, by_calls(auto, batch)),
        f"provider fp32, {batch}/call": with_threads(default_threads, by_calls(fp32, batch)),
    }
    for provider in (auto, fp32):
        provider.embed(texts[:64])
    plain.encode(texts[:64])

    rates: dict[str, list[float]] = {name: [] for name in variants}
    cpu_rates: dict[str, list[float]] = {name: [] for name in variants}
    outputs: dict[str, np.ndarray] = {}
    for round_no in range(args.rounds):
        for name, fn in variants.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            outputs[name] = fn()
            rates[name].append(len(texts) / (time.perf_counter() - started))
            cpu_rates[name].append(len(texts) / (time.process_time() - cpu_started))
        print(
            f"round {round_no + 1}: "
            + ", ".join(f"{r[-1]:.0f}" for r in rates.values())
            + f" items/s (load {load_average()})"
        )

    print("\nthroughput: items/s best round / median | items per CPU-second best / median")
    baseline_best, baseline_cpu = max(next(iter(rates.values()))), max(next(iter(cpu_rates.values())))
    for name, values in rates.items():
        cpu = cpu_rates[name]
        print(
            f"  {name:46s} {max(values):6.1f} / {statistics.median(values):6.1f} (x{max(values) / baseline_best:.2f})"
            f" | {max(cpu):6.1f} / {statistics.median(cpu):6.1f} (x{max(cpu) / baseline_cpu:.2f})"
        )

    names = list(variants)
    reference, fast = outputs[names[0]], outputs[names[1]]
    cosines = np.sum(reference * fast, axis=1)
    k = 20
    sim_ref, sim_fast = reference @ reference.T, fast @ fast.T
    np.fill_diagonal(sim_ref, -2)
    np.fill_diagonal(sim_fast, -2)
    top_ref = np.argsort(-sim_ref, axis=1)[:, :k]
    top_fast = np.argsort(-sim_fast, axis=1)[:, :k]
    overlap = np.mean([len(set(a) & set(b)) / k for a, b in zip(top_ref, top_fast, strict=True)])
    print(
        f"\nquality of '{names[1]}' vs fp32: cosine min={cosines.min():.4f} mean={cosines.mean():.5f}; "
        f"top-{k} neighbour overlap {overlap:.1%}"
    )


if __name__ == "__main__":
    main()
