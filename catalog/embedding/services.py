"""Writes of catalog vectors: queue re-embedding, embed batches, embed the whole catalog.

A row is current when ``embedding_source_hash == source_hash`` and ``embedding_model`` is the
configured provider's identity; current rows never reach the provider. A vector is written only
after its batch succeeded, and only if the row's text did not change meanwhile, so a failed or raced
batch never wipes or corrupts a previous vector.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction

from catalog.embedding import registry
from catalog.embedding.providers.base import EmbeddingProvider, ProviderError
from catalog.embedding.selectors import items_needing_embedding
from catalog.embedding.text import content_item_embedding_text, embedding_text_hash
from catalog.models import ContentItem
from reclio.enqueue import enqueue_each_on_commit

logger = logging.getLogger(__name__)

# The columns the recipe reads; the vector column itself is never loaded for embedding work.
_TEXT_FIELDS = ("item_id", "title", "tagline", "overview", "genres", "keywords", "source_hash")
LAST_FAILURE_CACHE_KEY = "catalog:embedding:last_failure"
LAST_FAILURE_TTL_SECONDS = 6 * 3600
INLINE_ATTEMPTS = 3


@dataclass(frozen=True)
class EmbedReport:
    model: str
    embedded: int = 0  # vectors written
    current: int = 0  # asked for but already current: no provider call
    raced: int = 0  # text changed while embedding: not written, the new text is queued by its writer
    skipped: int = 0  # rows the provider refuses to embed (bad input); reported, tried again next sweep
    provider_calls: int = 0
    errors: tuple[str, ...] = field(default_factory=tuple)

    def __add__(self, other: EmbedReport) -> EmbedReport:
        return EmbedReport(
            model=self.model or other.model,
            embedded=self.embedded + other.embedded,
            current=self.current + other.current,
            raced=self.raced + other.raced,
            skipped=self.skipped + other.skipped,
            provider_calls=self.provider_calls + other.provider_calls,
            errors=self.errors + other.errors,
        )


def _batch_size(batch_size: int | None) -> int:
    from django.conf import settings

    return max(1, batch_size or settings.EMBEDDING_BATCH_SIZE)


def _chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def embedding_failure_record(*, message: str) -> None:
    """Remember the latest failed batch for the health probe (cleared by the next success)."""
    try:
        cache.set(LAST_FAILURE_CACHE_KEY, {"message": message, "at": time.time()}, LAST_FAILURE_TTL_SECONDS)
    except Exception:  # noqa: BLE001 - bookkeeping must not mask the real error
        logger.warning("embedding_failure_record_failed")


def _failure_clear() -> None:
    try:
        cache.delete(LAST_FAILURE_CACHE_KEY)
    except Exception:  # noqa: BLE001
        logger.warning("embedding_failure_clear_failed")


def item_embeddings_enqueue(*, item_ids: Sequence[str]) -> int:
    """Queue (re-)embedding of these ids on the ``embeddings`` queue after commit.

    Rows already current are not queued (and so cost nothing); returns how many were queued.
    """
    provider = registry.get_embedding_provider()
    if not provider.produces_vectors or not item_ids:
        return 0
    stale = sorted(
        items_needing_embedding(model=provider.model, item_ids=set(item_ids)).values_list("item_id", flat=True)
    )
    _enqueue_chunks(stale)
    return len(stale)


def _enqueue_chunks(item_ids: Sequence[str]) -> None:
    from catalog.embedding.tasks import item_embeddings_refresh_task

    # A chunk whose send fails stays stale, so the half-hourly stale sweep queues it again; the
    # other chunks still go (reclio.enqueue).
    enqueue_each_on_commit(
        lambda chunk: item_embeddings_refresh_task.delay(item_ids=chunk),
        _chunks(item_ids, _batch_size(None)),
        what="item_embeddings_refresh",
    )


def catalog_embeddings_enqueue_stale(*, limit: int | None = None) -> int:
    """Queue every stale row (beat safety net, after a content sync, ``POST /admin/sync/content``)."""
    provider = registry.get_embedding_provider()
    if not provider.produces_vectors:
        return 0
    queryset = items_needing_embedding(model=provider.model).order_by("item_id").values_list("item_id", flat=True)
    if limit is not None:
        queryset = queryset[:limit]
    stale = list(queryset.iterator(chunk_size=2000))
    _enqueue_chunks(stale)
    if stale:
        logger.info("embeddings_enqueued rows=%s model=%s", len(stale), provider.model)
    return len(stale)


def _embed_rows(*, rows: Sequence[ContentItem], provider: EmbeddingProvider) -> EmbedReport:
    """One provider call for ``rows``; writes each vector only if the row's text is unchanged."""
    texts = [content_item_embedding_text(row) for row in rows]
    batch = provider.embed(texts)
    if len(batch) != len(rows):
        raise ProviderError(f"{provider.name} returned {len(batch)} vectors for {len(rows)} texts")
    written = raced = 0
    with transaction.atomic():
        for row, text, vector in zip(rows, texts, batch.vectors, strict=True):
            text_hash = embedding_text_hash(text)
            # Guard on the hash we read: if the sync rewrote the row meanwhile, this vector describes
            # old text and must not be stored as current (the sync queues the new text itself).
            updates = {
                "embedding": list(vector),
                "embedding_model": batch.model,
                "embedding_dim": batch.dim,
                "embedding_source_hash": row.source_hash or text_hash,
            }
            if not row.source_hash:
                updates["source_hash"] = text_hash
            count = ContentItem.objects.filter(pk=row.pk, source_hash=row.source_hash).update(**updates)
            written += count
            raced += 1 - count
    return EmbedReport(model=batch.model, embedded=written, raced=raced, provider_calls=1)


def _embed_rows_isolating(*, rows: Sequence[ContentItem], provider: EmbeddingProvider) -> EmbedReport:
    """``_embed_rows``, but a batch refused for its content is split until the culprit is alone;
    that row is skipped and reported so one odd text never blocks its neighbours."""
    try:
        return _embed_rows(rows=rows, provider=provider)
    except ProviderError as exc:
        if not exc.bad_input:
            raise
        if len(rows) == 1:
            logger.warning("embedding_row_skipped item_id=%s error=%s", rows[0].item_id, exc.message)
            return EmbedReport(
                model=provider.model, skipped=1, provider_calls=1, errors=(f"{rows[0].item_id}: {exc.message}",)
            )
        middle = len(rows) // 2
        return _embed_rows_isolating(rows=rows[:middle], provider=provider) + _embed_rows_isolating(
            rows=rows[middle:], provider=provider
        )


def item_embeddings_refresh(*, item_ids: Sequence[str], batch_size: int | None = None) -> EmbedReport:
    """Embed the stale rows among ``item_ids`` in provider batches (the task's service).

    Raises ``ProviderError`` on the first failed batch, after committing the batches before it;
    callers retry, and the retry skips what is already current.
    """
    provider = registry.get_embedding_provider()
    report = EmbedReport(model=provider.model)
    if not provider.produces_vectors or not item_ids:
        return report
    requested = set(item_ids)
    rows = list(
        items_needing_embedding(model=provider.model, item_ids=requested).only(*_TEXT_FIELDS).order_by("item_id")
    )
    report += EmbedReport(model=provider.model, current=len(requested) - len(rows))
    size = _batch_size(batch_size)
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        try:
            report += _embed_rows_isolating(rows=chunk, provider=provider)
        except ProviderError as exc:
            embedding_failure_record(message=exc.message)
            logger.warning(
                "embedding_batch_failed model=%s rows=%s permanent=%s error=%s",
                provider.model,
                len(chunk),
                exc.permanent,
                exc.message,
            )
            raise
    if rows:
        _failure_clear()
    logger.info(
        "embedding_refresh_done model=%s embedded=%s current=%s raced=%s skipped=%s",
        provider.model,
        report.embedded,
        report.current,
        report.raced,
        report.skipped,
    )
    return report


def catalog_embeddings_refresh(
    *,
    batch_size: int | None = None,
    limit: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> EmbedReport:
    """Embed every stale row in this process, batch by batch (the management command).

    Bounded memory: rows are read one batch at a time by item id. A batch that fails transiently is
    tried again with backoff; a permanent failure or a batch that keeps failing stops the run (what
    was written stays; running again continues where it stopped). ``on_progress(done, total)``
    drives a progress bar.
    """
    from reclio.http import sleep

    provider = registry.get_embedding_provider()
    report = EmbedReport(model=provider.model)
    if not provider.produces_vectors:
        return report
    size = _batch_size(batch_size)
    total = items_needing_embedding(model=provider.model).count()
    if limit is not None:
        total = min(total, limit)
    done, last_id = 0, ""
    started = time.perf_counter()
    while done < total:
        take = min(size, total - done)
        chunk = list(
            items_needing_embedding(model=provider.model)
            .filter(item_id__gt=last_id)
            .only(*_TEXT_FIELDS)
            .order_by("item_id")[:take]
        )
        if not chunk:
            break
        for attempt in range(INLINE_ATTEMPTS):
            try:
                report += _embed_rows_isolating(rows=chunk, provider=provider)
                break
            except ProviderError as exc:
                embedding_failure_record(message=exc.message)
                logger.warning(
                    "embedding_batch_failed model=%s first_id=%s attempt=%s permanent=%s error=%s",
                    provider.model,
                    chunk[0].item_id,
                    attempt + 1,
                    exc.permanent,
                    exc.message,
                )
                if exc.permanent or attempt + 1 == INLINE_ATTEMPTS:
                    raise
                sleep(exc.retry_after if exc.retry_after is not None else 2.0 * 2**attempt)
        last_id = chunk[-1].item_id
        done += len(chunk)
        if on_progress is not None:
            on_progress(done, total)
        logger.info(
            "embedding_progress model=%s done=%s total=%s rate=%.1f/s",
            provider.model,
            done,
            total,
            done / max(time.perf_counter() - started, 1e-9),
        )
    if done:
        _failure_clear()
    return report
