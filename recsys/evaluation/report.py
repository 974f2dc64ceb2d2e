"""``manage.py evaluate``: the whole run — split, tune on validation, test, cold slice, halves, outputs."""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recsys.engine.model import EngineConfig
from recsys.evaluation import content as content_mod
from recsys.evaluation.protocol import (
    COVERAGE_K,
    Metrics,
    Ratings,
    Split,
    evaluate_rankings,
    ndcg_at_k,
    ratings_load,
    split_by_time,
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
    Row,
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


# The time split re-tunes every model on its own validation split; ALS gets the grid's corners and
# centre only (its full 27-point grid triples the run for a split of a few dozen users).
TIME_ALS_GRID = [
    {"factors": f, "regularization": r, "alpha": a}
    for f, r, a in ((32, 1.0, 1.0), (32, 0.1, 5.0), (64, 0.1, 1.0), (64, 1.0, 5.0), (128, 0.01, 20.0), (128, 1.0, 1.0))
]


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
    reference: dict[str, Metrics] | None = None  # tuned EASE on validation: the engine's diversity bar
    for model in MODELS:
        diversity = None
        scorer = "engine" if model == SELF_TUNED else model
        if model == SELF_TUNED:
            if solo:
                continue  # the self-tuning keeps the defaults on a solo instance: the engine row already shows them
            params, tuning_result = self_tuned_params(split.train, ctx)
            val_ndcg = tuning_result.validation_ndcg if tuning_result.validation_ndcg is not None else float("nan")
        elif model == "engine":
            params, val_ndcg, _ = tune_engine(validation, ctx, solo=solo, rounds=request.tune_rounds)
            if reference is not None and not solo:
                diversity, _ = tune_engine_diversity(validation, ctx, params=params, reference=reference)
                params, val_ndcg = diversity.params, diversity.ndcg
        else:
            params, val_ndcg, _ = tune(model, validation, ctx, solo=solo, grid=_grid(model, solo))
            if model == "ease":
                reference = metrics_by_half(validation, rankings_for(model, validation, params, ctx, solo=solo), ctx)
        rankings = rankings_for(scorer, split, params, ctx, solo=solo)
        test = evaluate_rankings(split, rankings, vectors=ctx.vectors)
        row = Row(
            model=model,
            params=params,
            validation_ndcg=val_ndcg,
            test=test,
            halves=(
                evaluate_rankings(split, rankings, halves[0]).ndcg,
                evaluate_rankings(split, rankings, halves[1]).ndcg,
            ),
        )
        if diversity is not None and reference is not None:
            row.extra["diversity"] = {"choice": diversity, "reference": reference}
        if request.cold:
            cold_val, cold_test = validation.cold(), split.cold()
            if (model == "engine" and solo) or model == SELF_TUNED:
                # solo: one profile for every history length; self-tuned: its own cold weights, as in production
                cold_params = params
            elif model == "engine":
                cold_params, _, _ = tune_engine(
                    cold_val, ctx, solo=solo, rounds=request.tune_rounds, start=params, search=ENGINE_COLD_SEARCH
                )
            else:
                cold_params, _, _ = tune(model, cold_val, ctx, solo=solo, grid=_grid(model, solo))
            cold_rankings = rankings_for(scorer, cold_test, cold_params, ctx, solo=solo)
            row.cold = evaluate_rankings(cold_test, cold_rankings)
            row.extra["cold_params"] = cold_params
            row.extra.setdefault("slices", {})["cold"] = _slice_metrics(cold_test, cold_rankings, ctx)
        row.extra.setdefault("slices", {})["community"] = _slice_metrics(split, rankings, ctx)
        if request.robustness and not solo:
            new_titles = split_new_titles(split)
            new_params = _new_title_params(model, params, validation, ctx, request)
            row.extra["new_params"] = new_params
            row.extra["slices"]["new titles"] = _slice_metrics(
                new_titles, rankings_for(scorer, new_titles, new_params, ctx, solo=False), ctx
            )
        if model == "engine":
            engine_rankings = rankings
        logger.info("evaluated model=%s ndcg=%.4f", model, test.ndcg)
        rows.append(row)
    if request.robustness and not solo:
        _time_slices(request, ratings, rows, ctx)
        _rolling_slices(request, ratings, rows, ctx)
    _write_outputs(request, rows, split)
    if request.dump_recs:
        recs_dump(path=request.dump_recs, rankings=engine_rankings, split=split)
    return rows


@dataclass(frozen=True)
class SliceMetrics:
    """One slice of one model: NDCG@10 overall and on each disjoint half of that slice's users."""

    users: int
    ndcg: float
    half_a: float
    half_b: float
    coverage: float
    ild: float | None
    distinct_users: int | None = None  # pooled slices: users behind the (fold, user) evaluations


def _slice_metrics(split: Split, rankings: dict[int, np.ndarray], ctx: Context) -> SliceMetrics:
    metrics: Metrics = evaluate_rankings(split, rankings, vectors=ctx.vectors)
    half_a, half_b = user_halves(split.eval_users)
    return SliceMetrics(
        users=metrics.users,
        ndcg=metrics.ndcg,
        half_a=evaluate_rankings(split, rankings, half_a).ndcg,
        half_b=evaluate_rankings(split, rankings, half_b).ndcg,
        coverage=metrics.coverage,
        ild=metrics.ild,
    )


def _time_slices(request: EvaluationRequest, ratings: Ratings, rows: list[Row], ctx: Context) -> None:
    """The time split (train before one cutoff, test after), its cold slice and the new-titles slice.

    Every model is re-tuned on a validation split carved the same way from the time split's train
    rows; its new-titles slice reuses those parameters (no title of it exists in train or validation).
    """
    time_split = _subset_users(split_by_time(ratings), request.max_users)
    validation = _subset_users(split_by_time(time_split.train), request.max_users)
    new_titles = split_new_titles(time_split)
    reference: dict[str, Metrics] | None = None
    for row in rows:
        model = row.model
        scorer = "engine" if model == SELF_TUNED else model
        if model == SELF_TUNED:
            params, _ = self_tuned_params(time_split.train, ctx)
        elif model == "engine":
            params, _, _ = tune_engine(validation, ctx, solo=False, rounds=request.tune_rounds)
            if reference is not None:
                choice, _ = tune_engine_diversity(validation, ctx, params=params, reference=reference)
                params = choice.params
                row.extra["time_diversity"] = {"choice": choice, "reference": reference}
        else:
            grid = TIME_ALS_GRID if model == "als" else _grid(model, False)
            params, _, _ = tune(model, validation, ctx, solo=False, grid=grid)
            if model == "ease":
                reference = metrics_by_half(validation, rankings_for(model, validation, params, ctx, solo=False), ctx)
        slices = row.extra.setdefault("slices", {})
        slices["time"] = _slice_metrics(time_split, rankings_for(scorer, time_split, params, ctx, solo=False), ctx)
        new_params = _new_title_params(model, params, validation, ctx, request)
        slices["time new"] = _slice_metrics(
            new_titles, rankings_for(scorer, new_titles, new_params, ctx, solo=False), ctx
        )
        if request.cold:
            if model == SELF_TUNED:
                cold_params = params
            elif model == "engine":
                cold_params, _, _ = tune_engine(
                    validation.cold(),
                    ctx,
                    solo=False,
                    rounds=request.tune_rounds,
                    start=params,
                    search=ENGINE_COLD_SEARCH,
                )
            else:
                grid = TIME_ALS_GRID if model == "als" else _grid(model, False)
                cold_params, _, _ = tune(model, validation.cold(), ctx, solo=False, grid=grid)
            cold = time_split.cold()
            slices["time cold"] = _slice_metrics(cold, rankings_for(scorer, cold, cold_params, ctx, solo=False), ctx)
        row.extra["time_params"] = params
        logger.info("evaluated time slices model=%s", model)


def _rolling_slices(request: EvaluationRequest, ratings: Ratings, rows: list[Row], ctx: Context) -> None:
    """The rolling-origin time split: five cutoffs, each model tuned once before the first of them.

    Every model (self-tuned included) is tuned on the per-user validation split of the ratings before
    the first cutoff — data no fold tests on — then fitted on each fold's train and scored on its window.
    """
    folds = [_subset_users(fold, request.max_users) for fold in split_by_time_folds(ratings)]
    validation = _subset_users(split_temporal(folds[0].train), request.max_users)
    reference: dict[str, Metrics] | None = None
    for row in rows:
        model = row.model
        scorer = "engine" if model == SELF_TUNED else model
        if model == SELF_TUNED:
            params, _ = self_tuned_params(folds[0].train, ctx)
        elif model == "engine":
            params, _, _ = tune_engine(validation, ctx, solo=False, rounds=request.tune_rounds)
            if reference is not None:
                choice, _ = tune_engine_diversity(validation, ctx, params=params, reference=reference)
                params = choice.params
                row.extra["rolling_diversity"] = {"choice": choice, "reference": reference}
        else:
            grid = TIME_ALS_GRID if model == "als" else _grid(model, False)
            params, _, _ = tune(model, validation, ctx, solo=False, grid=grid)
            if model == "ease":
                reference = metrics_by_half(validation, rankings_for(model, validation, params, ctx, solo=False), ctx)
        rankings = [rankings_for(scorer, fold, params, ctx, solo=False) for fold in folds]
        row.extra.setdefault("slices", {})["time rolling"] = pooled_slice_metrics(folds, rankings, ctx)
        row.extra["rolling_params"] = params
        logger.info("evaluated rolling time split model=%s", model)


def pooled_slice_metrics(folds: list[Split], rankings: list[dict[int, np.ndarray]], ctx: Context) -> SliceMetrics:
    """One slice over several folds: every (fold, user) pair is one evaluation; halves split by user."""
    pairs = [
        (fold, ranked, int(user)) for fold, ranked in zip(folds, rankings, strict=True) for user in fold.eval_users
    ]
    if not pairs:
        return SliceMetrics(users=0, ndcg=0.0, half_a=0.0, half_b=0.0, coverage=0.0, ild=None)
    users = np.unique([user for _, _, user in pairs])
    half_a = set(user_halves(users)[0].tolist())
    ndcgs = np.array([ndcg_at_k(ranked[user], fold.test_positives[user]) for fold, ranked, user in pairs])
    in_a = np.array([user in half_a for _, _, user in pairs])
    covered = {int(item) for _, ranked, user in pairs for item in ranked[user][:COVERAGE_K]}
    ilds = []
    if ctx.vectors is not None:
        for _, ranked, user in pairs:
            top = ctx.vectors[np.asarray(ranked[user][:COVERAGE_K])]
            if len(top) > 1:
                sims = top @ top.T
                ilds.append(float(1.0 - (sims.sum() - np.trace(sims)) / (len(top) * (len(top) - 1))))
    return SliceMetrics(
        users=len(pairs),
        ndcg=float(ndcgs.mean()),
        half_a=float(ndcgs[in_a].mean()) if in_a.any() else 0.0,
        half_b=float(ndcgs[~in_a].mean()) if (~in_a).any() else 0.0,
        coverage=len(covered) / folds[0].ratings.n_items,
        ild=float(np.mean(ilds)) if ilds else None,
        distinct_users=len(users),
    )


def _new_title_params(model: str, params: dict, validation: Split, ctx: Context, request: EvaluationRequest) -> dict:
    """The engine's new-title weights, tuned on the new titles of the validation split (carved from train)."""
    if model != "engine":
        return params  # the baselines have no knob for unseen titles
    tuned, _, _ = tune_engine(
        split_new_titles(validation),
        ctx,
        solo=False,
        rounds=request.tune_rounds,
        start=params,
        search=ENGINE_NEW_SEARCH,
    )
    return tuned


SLICE_ORDER = ("community", "cold", "new titles", "time", "time cold", "time new", "time rolling")


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
    rolling = rows[0].extra["slices"].get("time rolling")
    if rolling is not None:
        lines.append(
            f"time rolling: {rolling.users} (cutoff, user) evaluations of {rolling.distinct_users} distinct users"
        )
    lines.append("diversity: Cov@10 / ILD@10")
    lines.extend(diversity_choice_text(rows))
    for name in ("community", "time", "time rolling"):
        if name not in rows[0].extra["slices"]:
            continue
        cells = []
        for row in rows:
            metrics = row.extra["slices"][name]
            ild = f"{metrics.ild:.3f}" if metrics.ild is not None else "-"
            cells.append(f"{row.model} {metrics.coverage:.3f}/{ild}")
        lines.append(f"{name:<12} " + "  ".join(cells))
    return "\n".join(lines)


def diversity_choice_text(rows: list[Row]) -> list[str]:
    """The engine's diversity stage on validation: what it chose and the EASE bar it had to meet."""
    engine = next((row for row in rows if row.model == "engine"), None)
    lines = []
    for key, label in (("diversity", "community"), ("time_diversity", "time"), ("rolling_diversity", "time rolling")):
        if engine is None or key not in engine.extra:
            continue
        choice, reference = engine.extra[key]["choice"], engine.extra[key]["reference"]
        defaults = EngineConfig()
        chosen = {k: choice.params.get(k, getattr(defaults, k)) for k in ("diversity", "novelty", "w_content")}
        lines.append(
            f"{label} validation diversity stage: {'bar met' if choice.met else 'bar NOT met, kept'} "
            f"{json.dumps(chosen, sort_keys=True)}"
        )
        for part in ("all", "A", "B"):
            mine, bar = choice.metrics[part], reference[part]
            lines.append(
                f"  {part:<3} engine NDCG {mine.ndcg:.4f} Cov {mine.coverage:.4f} ILD {_ild(mine)}"
                f"  |  EASE NDCG {bar.ndcg:.4f} Cov {bar.coverage:.4f} ILD {_ild(bar)}"
            )
    return lines


def _ild(metrics: Metrics) -> str:
    return f"{metrics.ild:.3f}" if metrics.ild is not None else "-"


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
