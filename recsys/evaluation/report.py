"""``manage.py evaluate``: the whole run — split, tune on validation, test, cold slice, halves, outputs."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from recsys.engine.model import EngineConfig
from recsys.evaluation import content as content_mod
from recsys.evaluation.protocol import (
    COVERAGE_K,
    Metrics,
    Ratings,
    Split,
    TimeFold,
    evaluate_rankings,
    ratings_load,
    split_by_time_folds,
    split_new_titles,
    split_temporal,
)
from recsys.evaluation.runner import (
    BASELINES,
    ENGINE_COLD_SEARCH,
    ENGINE_NEW_SEARCH,
    GRIDS,
    MODELS,
    SELF_TUNED,
    Context,
    DiversityChoice,
    Margin,
    Row,
    Validation,
    bar_margins,
    metrics_by_half,
    rankings_for,
    self_tuned_params,
    tune,
    tune_engine,
    tune_engine_diversity,
    user_halves,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluationRequest:
    ratings: Path
    movies: Path
    links: Path | None = None
    metadata: tuple[Path, ...] = ()
    mode: str = "community"  # or "solo"
    results_dir: Path = Path("results")
    dump_recs: Path | None = None
    content: str = "minilm"  # or "none"
    max_users: int | None = None  # evaluate a deterministic subset (CI); None = every user
    cold: bool = True
    tune_rounds: int = 2
    robustness: bool = True  # community mode: every slice on both user halves and on the time split


def _subset_users(split: Split, max_users: int | None) -> Split:
    if max_users is None or len(split.eval_users) <= max_users:
        return split
    keep = np.sort(np.random.default_rng(11).choice(split.eval_users, size=max_users, replace=False))
    return split.restrict(keep)


def context_build(request: EvaluationRequest, item_ids: np.ndarray) -> Context:
    meta = content_mod.items_meta(
        movies=request.movies, item_ids=item_ids, links=request.links, metadata=request.metadata
    )
    vectors = None
    if request.content != "none":
        vectors = content_mod.embeddings_cached(
            texts=[m.text for m in meta],
            cache_path=request.results_dir / "embeddings-minilm.npz",
            # Built only on a cache miss: loading the model costs seconds that a warm cache saves.
            encoder=lambda texts: content_mod.minilm_encoder()(texts),
        )
    return Context.from_meta(meta, vectors)


def _grid(model: str, solo: bool) -> list[dict]:
    # Solo: a collaborative model fitted on one user's rows scores every unseen title 0 whatever its
    # hyper-parameters (no co-occurrence, and ALS leaves unseen item factors at 0), so a grid
    # would only burn time; one representative point is fitted honestly instead.
    grid = GRIDS[model]
    if solo and model in ("itemknn", "als", "ease"):
        return grid[:1]
    if model == "ease":
        return grid[1:5]  # 100…1000: the range where EASE peaks on MovieLens-sized data (Steck 2019)
    return grid


@dataclass(frozen=True)
class Tuned:
    """One model tuned on a validation split: what to score with and what the tuning saw."""

    model: str
    scorer: str  # the self-tuned row scores with the engine
    params: dict
    validation_ndcg: float
    diversity: DiversityChoice | None = None  # the engine's diversity stage
    reference: dict[str, Metrics] | None = None  # tuned EASE on validation: the diversity bar
    margins: dict[str, Margin] | None = None  # how far above the bar counts as clearing it by a margin


def models_tuned(
    models: tuple[str, ...],
    validation: Split,
    ctx: Context,
    *,
    train: Split | None,
    request: EvaluationRequest,
    als_grid: list[dict] | None = None,
    accuracy_validation: Validation | None = None,
) -> Iterator[Tuned]:
    """Each model tuned on ``validation`` (carved from train), in order; EASE comes before the engine.

    ``accuracy_validation`` (default: ``validation``) is where every model's accuracy knobs are chosen;
    the engine's diversity stage and its EASE bar always use ``validation``, one split whose lists are
    many enough to measure coverage on. The self-tuned row runs production's ``engine_tune`` on
    ``train``'s rows instead (no harness search).
    """
    accuracy = validation if accuracy_validation is None else accuracy_validation
    solo = request.mode == "solo"
    reference: dict[str, Metrics] | None = None
    margins: dict[str, Margin] | None = None
    for model in models:
        if model == SELF_TUNED:
            if solo or train is None:
                continue  # the self-tuning keeps the defaults on a solo instance: the engine row already shows them
            params, result = self_tuned_params(train.train, ctx)
            val = result.validation_ndcg if result.validation_ndcg is not None else float("nan")
            yield Tuned(model, "engine", params, val)
        elif model == "engine":
            params, val, _ = tune_engine(accuracy, ctx, solo=solo, rounds=request.tune_rounds)
            diversity = None
            if reference is not None and not solo:
                diversity, _ = tune_engine_diversity(
                    validation, ctx, params=params, reference=reference, margins=margins
                )
                params, val = diversity.params, diversity.ndcg
            yield Tuned(model, model, params, val, diversity, reference, margins)
        else:
            grid = als_grid if (model == "als" and als_grid is not None) else _grid(model, solo)
            params, val, _ = tune(model, accuracy, ctx, solo=solo, grid=grid)
            if model == "ease":
                ease_rankings = rankings_for(model, validation, params, ctx, solo=solo)
                reference = metrics_by_half(validation, ease_rankings, ctx)
                margins = bar_margins(validation, ease_rankings, ctx)
            yield Tuned(model, model, params, val)


def _cold_params(
    tuned: Tuned,
    cold_validation: Split,
    ctx: Context,
    request: EvaluationRequest,
    *,
    als_grid: list[dict] | None = None,
) -> dict:
    """Parameters for thin histories, tuned on the cold validation split (the self-tuned row has its own)."""
    solo = request.mode == "solo"
    if (tuned.model == "engine" and solo) or tuned.model == SELF_TUNED:
        # solo: one profile for every history length; self-tuned: its own cold weights, as in production
        return tuned.params
    if tuned.model == "engine":
        params, _, _ = tune_engine(
            cold_validation, ctx, solo=solo, rounds=request.tune_rounds, start=tuned.params, search=ENGINE_COLD_SEARCH
        )
        return params
    model_grid = als_grid if (tuned.model == "als" and als_grid is not None) else _grid(tuned.model, solo)
    params, _, _ = tune(tuned.model, cold_validation, ctx, solo=solo, grid=model_grid)
    return params


def evaluation_run(request: EvaluationRequest) -> list[Row]:
    solo = request.mode == "solo"
    request.results_dir.mkdir(parents=True, exist_ok=True)
    ratings = ratings_load(request.ratings)
    split = _subset_users(split_temporal(ratings), request.max_users)
    validation = _subset_users(split_temporal(split.train), request.max_users)
    ctx = context_build(request, ratings.item_ids)
    halves = user_halves(split.eval_users)
    rows: list[Row] = []
    engine_rankings: dict[int, np.ndarray] = {}
    for tuned in models_tuned(MODELS, validation, ctx, train=split, request=request):
        model, scorer, params = tuned.model, tuned.scorer, tuned.params
        rankings = rankings_for(scorer, split, params, ctx, solo=solo)
        test = evaluate_rankings(split, rankings, vectors=ctx.vectors)
        row = Row(
            model=model,
            params=params,
            validation_ndcg=tuned.validation_ndcg,
            test=test,
            halves=(
                evaluate_rankings(split, rankings, halves[0]).ndcg,
                evaluate_rankings(split, rankings, halves[1]).ndcg,
            ),
        )
        if tuned.diversity is not None and tuned.reference is not None:
            row.extra["diversity"] = {"choice": tuned.diversity, "reference": tuned.reference, "margins": tuned.margins}
        slices = row.extra.setdefault("slices", {})
        if request.cold:
            cold_test = split.cold()
            cold_params = _cold_params(tuned, validation.cold(), ctx, request)
            cold_rankings = rankings_for(scorer, cold_test, cold_params, ctx, solo=solo)
            row.cold = evaluate_rankings(cold_test, cold_rankings)
            row.extra["cold_params"] = cold_params
            slices["cold"] = slice_metrics([(cold_test, cold_rankings)], ctx)
        slices["community"] = slice_metrics([(split, rankings)], ctx)
        if request.robustness and not solo:
            new_titles = split_new_titles(split)
            new_params = _new_title_params(model, params, split_new_titles(validation), ctx, request)
            row.extra["new_params"] = new_params
            slices["new titles"] = slice_metrics(
                [(new_titles, rankings_for(scorer, new_titles, new_params, ctx, solo=False))], ctx
            )
        if model == "engine":
            engine_rankings = rankings
        logger.info("evaluated model=%s ndcg=%.4f", model, test.ndcg)
        rows.append(row)
    if request.robustness and not solo:
        _time_slices(request, ratings, rows, ctx)
    _write_outputs(request, rows, split)
    if request.dump_recs:
        recs_dump(path=request.dump_recs, rankings=engine_rankings, split=split)
    return rows


@dataclass(frozen=True)
class SliceMetrics:
    """One slice of one model: overall and on each disjoint half of that slice's users.

    A slice may pool several splits (the time split's folds): every (split, user) pair is one
    evaluation, and the halves split by user, so a user is in the same half in every fold.
    """

    users: int  # evaluations
    ndcg: float
    half_a: float
    half_b: float
    coverage: float
    ild: float | None
    distinct_users: int = 0
    coverage_a: float = 0.0
    coverage_b: float = 0.0
    ild_a: float | None = None
    ild_b: float | None = None


def slice_metrics(parts: list[tuple[Split, dict[int, np.ndarray]]], ctx: Context) -> SliceMetrics:
    """NDCG@10, Cov@10 and ILD@10 of one slice (one or more splits), overall and per user half."""
    pairs = [(split, ranked, int(user)) for split, ranked in parts for user in split.eval_users]
    if not pairs:  # a fold or a slice with nobody to test (a small file, an empty window)
        return SliceMetrics(users=0, ndcg=0.0, half_a=0.0, half_b=0.0, coverage=0.0, ild=None)
    users = np.unique([user for _, _, user in pairs])
    half_a = set(user_halves(users)[0].tolist())
    in_a = np.array([user in half_a for _, _, user in pairs])
    per_split = [
        evaluate_rankings(split, ranked, np.array([user]), vectors=ctx.vectors) for split, ranked, user in pairs
    ]
    ndcgs = np.array([m.ndcg for m in per_split])
    ilds = np.array([np.nan if m.ild is None else m.ild for m in per_split])
    n_items = parts[0][0].ratings.n_items

    def coverage(mask: np.ndarray) -> float:
        chosen = (ranked[user][:COVERAGE_K] for (_, ranked, user), keep in zip(pairs, mask, strict=True) if keep)
        covered = {int(item) for top in chosen for item in top}
        return len(covered) / n_items if n_items else 0.0

    def mean(values: np.ndarray, mask: np.ndarray) -> float | None:
        chosen = values[mask]
        chosen = chosen[~np.isnan(chosen)]
        return float(chosen.mean()) if len(chosen) else None

    everyone = np.ones(len(pairs), dtype=bool)
    return SliceMetrics(
        users=len(pairs),
        ndcg=float(ndcgs.mean()),
        half_a=float(ndcgs[in_a].mean()) if in_a.any() else 0.0,
        half_b=float(ndcgs[~in_a].mean()) if (~in_a).any() else 0.0,
        coverage=coverage(everyone),
        ild=mean(ilds, everyone),
        distinct_users=len(users),
        coverage_a=coverage(in_a),
        coverage_b=coverage(~in_a),
        ild_a=mean(ilds, in_a),
        ild_b=mean(ilds, ~in_a),
    )


# The time split re-tunes every model on its own validation split; ALS gets the grid's corners and
# centre only (its full 27-point grid triples the run for a split of a few dozen users).
TIME_ALS_GRID = [
    {"factors": f, "regularization": r, "alpha": a}
    for f, r, a in ((32, 1.0, 1.0), (32, 0.1, 5.0), (64, 0.1, 1.0), (64, 1.0, 5.0), (128, 0.01, 20.0), (128, 1.0, 1.0))
]


def time_folds(ratings: Ratings, max_users: int | None) -> list[TimeFold]:
    return [replace(fold, split=_subset_users(fold.split, max_users)) for fold in split_by_time_folds(ratings)]


def time_folds_within(fold: TimeFold) -> list[TimeFold]:
    """The rolling folds of ``fold``'s train rows alone (cutoffs at the same quantiles of its timeline)."""
    return split_by_time_folds(fold.split.train, min_train=fold.min_train)


def _time_slices(request: EvaluationRequest, ratings: Ratings, rows: list[Row], ctx: Context) -> None:
    """The time split (rolling origin, five cutoffs) with its cold and new-titles slices.

    Every model is tuned once, on data no fold tests on — the ratings before the first cutoff — then
    fitted on each fold's train and scored on its window: its accuracy knobs on the rolling folds inside
    the first fold's train (pooled, as the slice is), its new-title weights on their new-titles slices;
    the engine's diversity stage and every cold parameter on the per-user validation split of those
    ratings. The self-tuned row runs production's self-tuning on the first fold's train.
    """
    folds = time_folds(ratings, request.max_users)
    validation = _subset_users(split_temporal(folds[0].split.train), request.max_users)
    new_titles = [_subset_users(fold.new_titles(), request.max_users) for fold in folds]
    # The new-title weights are tuned on a validation shelf shaped like the slice: the same rolling
    # folds, inside the first fold's train (titles first rated after an inner cutoff, rated by the
    # viewers known before it). The per-user split's new titles are not time-ordered: the third pass
    # tuned on them and lost to catalog popularity on this slice.
    inner = time_folds_within(folds[0])
    new_validation = [_subset_users(fold.new_titles(), request.max_users) for fold in inner]
    # Likewise every model's accuracy knobs: the viewers a time fold tests come back after a gap, which
    # the per-user split (each viewer's own latest ratings) does not show.
    accuracy_validation = [_subset_users(fold.split, request.max_users) for fold in inner]
    by_model = {row.model: row for row in rows}
    models = tuple(row.model for row in rows)
    for tuned in models_tuned(
        models,
        validation,
        ctx,
        train=folds[0].split,
        request=request,
        als_grid=TIME_ALS_GRID,
        accuracy_validation=accuracy_validation,
    ):
        row, scorer = by_model[tuned.model], tuned.scorer
        if tuned.diversity is not None and tuned.reference is not None:
            row.extra["time_diversity"] = {
                "choice": tuned.diversity,
                "reference": tuned.reference,
                "margins": tuned.margins,
            }
        slices = row.extra.setdefault("slices", {})
        slices["time"] = slice_metrics(
            [(fold.split, rankings_for(scorer, fold.split, tuned.params, ctx, solo=False)) for fold in folds], ctx
        )
        new_params = _new_title_params(tuned.model, tuned.params, new_validation, ctx, request)
        slices["time new"] = slice_metrics(
            [(new, rankings_for(scorer, new, new_params, ctx, solo=False)) for new in new_titles], ctx
        )
        if request.cold:
            cold_params = _cold_params(tuned, validation.cold(), ctx, request, als_grid=TIME_ALS_GRID)
            colds = [fold.cold() for fold in folds]
            slices["time cold"] = slice_metrics(
                [(cold, rankings_for(scorer, cold, cold_params, ctx, solo=False)) for cold in colds], ctx
            )
        row.extra["time_params"] = tuned.params
        row.extra["time_new_params"] = new_params
        logger.info("evaluated time split model=%s", tuned.model)


def _new_title_params(
    model: str, params: dict, new_validation: Validation, ctx: Context, request: EvaluationRequest
) -> dict:
    """The engine's new-title weights, tuned on a new-titles validation slice (carved from train)."""
    if model != "engine":
        return params  # the baselines have no knob for unseen titles
    tuned, _, _ = tune_engine(
        new_validation,
        ctx,
        solo=False,
        rounds=request.tune_rounds,
        start=params,
        search=ENGINE_NEW_SEARCH,
    )
    return tuned


SLICE_ORDER = ("community", "cold", "new titles", "time", "time cold", "time new")


def robustness_text(rows: list[Row]) -> str:
    """NDCG@10 of every model on every slice, overall and per user half, with the engine's ratio to the best."""
    if not rows or "slices" not in rows[0].extra:
        return ""
    engine = next((row for row in rows if row.model == "engine"), None)
    baselines = [row for row in rows if row.model in BASELINES]
    names = [row.model for row in rows]
    mine_rows = [row for row in (engine, next((r for r in rows if r.model == SELF_TUNED), None)) if row is not None]
    header = (
        f"{'slice':<12} {'part':<4} {'users':>5} "
        + " ".join(f"{n:>10}" for n in names)
        + "".join(f"  {row.model + '/best':>15}" for row in mine_rows)
    )
    lines = ["robustness: NDCG@10 per slice (A/B = disjoint user halves of that slice)", header, "-" * len(header)]
    for name in SLICE_ORDER:
        if name not in rows[0].extra["slices"]:
            continue
        for part in ("all", "A", "B"):
            attr = {"all": "ndcg", "A": "half_a", "B": "half_b"}[part]
            values = [getattr(row.extra["slices"][name], attr) for row in rows]
            users = rows[0].extra["slices"][name].users
            ratios = []
            for mine_row in mine_rows:
                ratio = "-"
                if baselines:
                    best = max(getattr(row.extra["slices"][name], attr) for row in baselines)
                    mine = getattr(mine_row.extra["slices"][name], attr)
                    ratio = f"{mine / best:.3f}" if best > 0 else ("inf" if mine > 0 else "-")
                ratios.append(ratio)
            lines.append(
                f"{name:<12} {part:<4} {users if part == 'all' else '':>5} "
                + " ".join(f"{v:>10.4f}" for v in values)
                + "".join(f"  {ratio:>15}" for ratio in ratios)
            )
    pooled = rows[0].extra["slices"].get("time")
    if pooled is not None:
        lines.append(f"time: {pooled.users} (cutoff, user) evaluations of {pooled.distinct_users} distinct users")
    lines.append("diversity: Cov@10 / ILD@10 (all | half A | half B)")
    lines.extend(diversity_choice_text(rows))
    for name in SLICE_ORDER:
        if name not in rows[0].extra["slices"]:
            continue
        for row in rows:
            m = row.extra["slices"][name]
            lines.append(
                f"{name:<12} {row.model:<11} {m.coverage:.4f} / {_fmt(m.ild)} | {m.coverage_a:.4f} / {_fmt(m.ild_a)}"
                f" | {m.coverage_b:.4f} / {_fmt(m.ild_b)}"
            )
    return "\n".join(lines)


def diversity_choice_text(rows: list[Row]) -> list[str]:
    """The engine's diversity stage on validation: what it chose and the EASE bar it had to meet."""
    engine = next((row for row in rows if row.model == "engine"), None)
    lines = []
    for key, label in (("diversity", "community"), ("time_diversity", "time")):
        if engine is None or key not in engine.extra:
            continue
        choice, reference = engine.extra[key]["choice"], engine.extra[key]["reference"]
        defaults = EngineConfig()
        chosen = {
            k: choice.params.get(k, getattr(defaults, k)) for k in ("diversity", "novelty", "exposure", "w_content")
        }
        status = (
            ("bar met by the margin" if choice.by_margin else "bar met, not by the margin")
            if choice.met
            else "bar NOT met, kept"
        )
        lines.append(f"{label} validation diversity stage: {status} {json.dumps(chosen, sort_keys=True)}")
        margins = engine.extra[key].get("margins") or {}
        for part in ("all", "A", "B"):
            mine, bar = choice.metrics[part], reference[part]
            margin = margins.get(part, Margin())
            lines.append(
                f"  {part:<3} engine NDCG {mine.ndcg:.4f} Cov {mine.coverage:.4f} ILD {_ild(mine)}"
                f"  |  EASE NDCG {bar.ndcg:.4f} Cov {bar.coverage:.4f} (+{margin.coverage:.4f})"
                f" ILD {_ild(bar)} (+{margin.ild:.4f})"
            )
    return lines


def _ild(metrics: Metrics) -> str:
    return _fmt(metrics.ild)


def _fmt(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "-"


def recs_dump(*, path: Path, rankings: dict[int, np.ndarray], split: Split) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["userId", "movieId", "rank"])
        for user in sorted(rankings):
            for rank, item in enumerate(rankings[user][:20], start=1):
                writer.writerow([int(split.ratings.user_ids[user]), int(split.ratings.item_ids[item]), rank])


def table_text(rows: list[Row], *, mode: str) -> str:
    header = (
        f"mode={mode}  users={rows[0].test.users if rows else 0}\n"
        f"{'model':<11} {'NDCG@10':>8} {'Recall@20':>9} {'Cov@10':>7} {'cold NDCG':>9} {'cold R@20':>9} "
        f"{'half A':>7} {'half B':>7} {'val NDCG':>8} {'ILD@10':>6}  params"
    )
    lines = [header, "-" * len(header.splitlines()[1])]
    for row in rows:
        cold_ndcg = f"{row.cold.ndcg:.4f}" if row.cold else "-"
        cold_recall = f"{row.cold.recall:.4f}" if row.cold else "-"
        ild = f"{row.test.ild:.3f}" if row.test.ild is not None else "-"
        lines.append(
            f"{row.model:<11} {row.test.ndcg:>8.4f} {row.test.recall:>9.4f} {row.test.coverage:>7.3f} "
            f"{cold_ndcg:>9} {cold_recall:>9} {row.halves[0]:>7.4f} {row.halves[1]:>7.4f} "
            f"{row.validation_ndcg:>8.4f} {ild:>6}  {json.dumps(row.params, sort_keys=True)}"
        )
    baselines = [row for row in rows if row.model in BASELINES]
    engine = next((row for row in rows if row.model == "engine"), None)
    if engine and baselines:
        best = max(baselines, key=lambda r: r.test.ndcg)
        lines.append(
            f"engine vs best baseline ({best.model}): NDCG@10 {100 * (engine.test.ndcg / best.test.ndcg - 1):+.1f}%"
            if best.test.ndcg
            else "best baseline NDCG@10 is 0"
        )
        if engine.cold:
            best_cold = max(baselines, key=lambda r: r.cold.ndcg if r.cold else 0.0)
            if best_cold.cold and best_cold.cold.ndcg:
                lines.append(
                    f"cold slice vs best baseline ({best_cold.model}): "
                    f"{100 * (engine.cold.ndcg / best_cold.cold.ndcg - 1):+.1f}%"
                )
        for half in (0, 1):
            best_half = max(baselines, key=lambda r: r.halves[half])
            ok = "holds" if engine.halves[half] > best_half.halves[half] else "DOES NOT hold"
            lines.append(
                f"half {'AB'[half]}: engine {engine.halves[half]:.4f} "
                f"vs {best_half.model} {best_half.halves[half]:.4f} — ordering {ok}"
            )
    return "\n".join(lines)


def _write_outputs(request: EvaluationRequest, rows: list[Row], split: Split) -> None:
    out = request.results_dir
    (out / f"results-{request.mode}.txt").write_text(
        table_text(rows, mode=request.mode) + "\n\n" + robustness_text(rows) + "\n"
    )
    with (out / f"results-{request.mode}.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "model",
                "ndcg10",
                "recall20",
                "coverage10",
                "cold_ndcg10",
                "cold_recall20",
                "half_a_ndcg10",
                "half_b_ndcg10",
                "validation_ndcg10",
                "ild10",
                "params",
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    row.model,
                    f"{row.test.ndcg:.5f}",
                    f"{row.test.recall:.5f}",
                    f"{row.test.coverage:.5f}",
                    f"{row.cold.ndcg:.5f}" if row.cold else "",
                    f"{row.cold.recall:.5f}" if row.cold else "",
                    f"{row.halves[0]:.5f}",
                    f"{row.halves[1]:.5f}",
                    f"{row.validation_ndcg:.5f}",
                    "" if row.test.ild is None else f"{row.test.ild:.4f}",
                    json.dumps(row.params, sort_keys=True),
                ]
            )
    _plot(rows, out / f"results-{request.mode}.png", mode=request.mode)


def _plot(rows: list[Row], path: Path, *, mode: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on workers or CI
    import matplotlib.pyplot as plt

    names = [row.model for row in rows]
    series = {
        "NDCG@10": [row.test.ndcg for row in rows],
        "Recall@20": [row.test.recall for row in rows],
        "cold NDCG@10": [row.cold.ndcg if row.cold else 0.0 for row in rows],
    }
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(series)
    x = np.arange(len(names))
    for i, (label, values) in enumerate(series.items()):
        bars = ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=label)
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    ax.set_xticks(x, names)
    ax.set_title(f"Offline evaluation ({mode} mode, {rows[0].test.users if rows else 0} users)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
