"""Size or architecture, with more seeds: the MLP, the CNN, the MLPs as large as the CNN and the CNN shrunk
below the MLP, trained with many seeds so that the small gains the five-seed controls leave open are settled,
and the share of the CNN's lead that remains against an MLP of its size gets an interval."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from .. import registry
from ..formatting import caption, markdown_table, paired, pp
from ..metrics import summarize, with_error_rate_bound, with_image_sampling
from ..numbering import ref
from ..registry import BASELINE, CANDIDATE
from ..tables.grid import many_seed_snapshot
from .base import Context, extra_runs, progress_bar, recorded_error, seed_summary

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "size_seeds"
VERSION = 4
REQUIRES = ("capacity_control", "architecture_controls")

#: How many seeds (0, 1, ...): every model here trains in seconds to a minute, so many seeds are cheap. The
#: controls' first five seeds are their runs of the other sections (reused, not trained again); the MLP's and
#: the CNN's are the grid's runs where the grid has the seed, and the others are trained in a folder of their
#: own (where the grid's seeds are trained again too, as a check of reproducibility).
SIZE_SEEDS = 20

#: The models and where their runs live: the MLP and the CNN in a folder of their own, the controls in theirs.
SIZE_MODELS = {
    BASELINE: "size",
    CANDIDATE: "size",
    "mlp_wide": "control",
    "mlp_compute": "architecture",
    "cnn_small": "architecture",
    "mlp_deep": "architecture",
}

#: The measures kept per snapshot epoch and seed: (key, split, field of the run record).
SNAPSHOT_MEASURES = (
    ("test_accuracy", "test", "accuracy"),
    ("test_loss", "test", "loss"),
    ("train_accuracy", "train", "accuracy"),
    ("train_loss", "train", "loss"),
)

#: The comparisons the section answers (first − second, paired by seed): the CNN's lead, how much of it
#: remains against the MLPs of its size, does size help an MLP, does the architecture help with fewer
#: parameters, which helps more, and does depth with weight decay help an MLP.
SIZE_COMPARISONS = (
    (CANDIDATE, BASELINE),
    (CANDIDATE, "mlp_wide"),
    (CANDIDATE, "mlp_compute"),
    ("mlp_wide", BASELINE),
    ("mlp_compute", BASELINE),
    ("cnn_small", BASELINE),
    ("cnn_small", "mlp_wide"),
    ("cnn_small", "mlp_compute"),
    ("mlp_deep", BASELINE),
)

#: The comparison of SIZE_COMPARISONS added after the verdicts' tests were fixed: reported, not tested (the
#: choices made after the results list it).
ADDED_AFTER_TESTS = ("cnn_small", "mlp_wide")

#: The MLPs of the CNN's size, against which the share of its lead that remains is measured.
MATCHED_MLPS = ("mlp_wide", "mlp_compute")

#: The bootstrap behind the share's interval: resamples of the seeds (paired: a seed keeps its three runs)
#: and the generator's seed, fixed so that the interval is the same on every rendering.
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0

#: The label of the section's table (``[the table](#size-seeds-table)`` in a notebook).
SIZE_TABLE = "size-seeds-table"
#: The deeper MLP: its change over the MLP is given in the text, not in the size table.
DEEP = "mlp_deep"


def compute(ctx: Context, research: dict) -> dict:
    """Test accuracy after the grid's last epoch of every model of ``SIZE_MODELS`` over ``SIZE_SEEDS`` seeds
    (the grid's seeds in a fast run).

    For a model the grid trains (the MLP, the CNN), a seed the grid has is its grid run, so that the grid's
    seeds are a subset of these; the same seeds trained again in this section's folder are kept apart
    (``retrained``): they show how far a seed trained twice can differ."""
    seeds = list(ctx.seeds) if ctx.fast else list(range(SIZE_SEEDS))
    ctx.log(f"Research: size or architecture ({', '.join(SIZE_MODELS)}, {len(seeds)} seeds)")
    out = {"seeds": seeds, "epochs": ctx.last, "models": {}}
    last = str(ctx.last)
    grid = {(run["model"], run["seed"]): run for run in ctx.results["runs"]}
    with progress_bar(len(SIZE_MODELS) * len(seeds) * ctx.last, ctx.show_progress) as progress:
        for name, variant in SIZE_MODELS.items():
            records = extra_runs(variant, [name], seeds, ctx.splits, ctx.snapshot_epochs, ctx.paths, progress)
            accuracy = {r["spec"]["seed"]: r["snapshots"][last]["test"]["accuracy"] for r in records}
            in_grid = {
                s: grid[(name, s)]["snapshots"][last]["test"]["accuracy"] for s in seeds if (name, s) in grid
            }
            # Per seed, the run the section reads: the grid's where it has the seed, else this section's.
            read = {r["spec"]["seed"]: r for r in records} | {
                s: grid[(name, s)] for s in seeds if (name, s) in grid
            }
            out["models"][name] = {
                "parameters": records[0]["parameters"],
                "test_accuracy": seed_summary([in_grid.get(seed, accuracy[seed]) for seed in seeds]),
                # Every snapshot epoch's accuracy and loss per seed: the overfitting measures over many seeds.
                "snapshots": {
                    str(epoch): {
                        key: seed_summary(
                            [read[seed]["snapshots"][str(epoch)][part][field] for seed in seeds]
                        )
                        for key, part, field in SNAPSHOT_MEASURES
                    }
                    for epoch in ctx.snapshot_epochs
                },
            }
            if in_grid:
                out["models"][name]["retrained"] = {str(seed): accuracy[seed] for seed in in_grid}
    return out


def comparisons(results: dict) -> dict:
    """{(first, second): first − second test accuracy, paired by seed} for every ``SIZE_COMPARISONS`` pair the
    section has."""
    models = results["research"].get(KEY, {}).get("models", {})
    return {
        (first, second): paired(models[first]["test_accuracy"], models[second]["test_accuracy"])
        for first, second in SIZE_COMPARISONS
        if first in models and second in models
    }


def seed_count(results: dict) -> int:
    """How many seeds the section has (0 without it)."""
    return len(results["research"].get(KEY, {}).get("seeds", []))


def more_seeds(results: dict) -> bool:
    """Whether the section has more seeds than the grid (its numbers then are the closer estimates)."""
    return seed_count(results) > len(results["config"]["seeds"])


def lead(results: dict) -> dict | None:
    """The CNN − MLP test accuracy over the section's seeds, paired by seed, when it has more seeds than the
    grid: the report's estimate of the CNN's lead (None otherwise)."""
    return comparisons(results).get((CANDIDATE, BASELINE)) if more_seeds(results) else None


def comparisons_with_image_bound(results: dict) -> dict:
    """``comparisons`` with each interval widened by a conservative bound on the test images' sampling
    error (``metrics.with_error_rate_bound``: the controls keep only their error rates per seed)."""
    models = results["research"].get(KEY, {}).get("models", {})
    images = results["provenance"]["split_sizes"]["test"]
    return {
        (first, second): with_error_rate_bound(
            diff,
            models[first]["test_accuracy"]["values"],
            models[second]["test_accuracy"]["values"],
            images,
        )
        for (first, second), diff in comparisons(results).items()
        if diff.get("std")
    }


def mean_test_accuracy(results: dict) -> dict[str, float]:
    """{model: its mean test accuracy over the section's seeds} for the MLP and the CNN, when the section has
    more seeds than the grid (empty otherwise)."""
    models = results["research"].get(KEY, {}).get("models", {}) if more_seeds(results) else {}
    return {name: models[name]["test_accuracy"]["mean"] for name in (BASELINE, CANDIDATE) if name in models}


def error_reduction(results: dict) -> dict | None:
    """How much smaller the CNN's test error is than the MLP's, as a share of the MLP's (1 − CNN's error /
    MLP's error), seed by seed over the section's seeds: its mean and t-interval (``summarize``); None when
    the section has no more seeds than the grid."""
    models = results["research"].get(KEY, {}).get("models", {}) if more_seeds(results) else {}
    if not (BASELINE in models and CANDIDATE in models):
        return None
    return summarize(1 - (1 - _values(models, CANDIDATE)) / (1 - _values(models, BASELINE)))


def repeats(results: dict) -> dict | None:
    """How closely the same seed trained twice agrees in test accuracy at the last epoch (None without the
    section's second training of the grid's seeds): ``twice``, the number of runs trained twice (the grid's
    runs, trained again by this section); ``differ``, {(model, seed): the two trainings' absolute difference}
    for those that differ; ``spread``, {model: standard deviation over the section's seeds}; ``lead_shift``,
    how far the CNN − MLP lead over all the section's seeds would move with the second trainings in place of
    the first; and for the fresh runs of the over-confidence study, which train the section's first seeds
    once more, ``fresh_runs``, ``fresh_matches`` ([(model, seed)] of the runs equal to the first training)
    and ``fresh_largest`` (the largest difference), or None when that study trained other seeds."""
    section = results["research"].get(KEY, {})
    models = section.get("models", {})
    last = str(results["research"]["epochs"])
    fresh = results["research"].get("overconfidence", {})
    same_seeds = bool(fresh) and fresh.get("seeds") == section.get("seeds", [])[: len(fresh["seeds"])]
    out = {"twice": 0, "differ": {}, "spread": {}, "lead_shift": 0.0, "fresh_runs": 0, "fresh_matches": []}
    out["fresh_largest"] = 0.0 if same_seeds else None
    signed = {}
    for name in (BASELINE, CANDIDATE):
        if "retrained" not in models.get(name, {}):
            return None
        first = {
            r["seed"]: r["snapshots"][last]["test"]["accuracy"] for r in results["runs"] if r["model"] == name
        }
        for seed, again in models[name]["retrained"].items():
            out["twice"] += 1
            signed[name, int(seed)] = again - first[int(seed)]
        out["spread"][name] = models[name]["test_accuracy"]["std"]
        if same_seeds:
            gaps = [
                abs(a - b)
                for a, b in zip(fresh["models"][name][last]["accuracy"]["values"], _values(models, name))
            ]
            out["fresh_runs"] += len(gaps)
            out["fresh_matches"] += [(name, seed) for seed, gap in zip(fresh["seeds"], gaps) if gap == 0]
            out["fresh_largest"] = float(max([out["fresh_largest"], *gaps]))
    out["differ"] = {key: abs(change) for key, change in signed.items() if change}
    seeds = {seed for _, seed in signed}
    out["lead_shift"] = sum(signed[CANDIDATE, s] - signed[BASELINE, s] for s in seeds) / len(section["seeds"])
    return out


def lead_change(results: dict) -> dict | None:
    """How the CNN − MLP lead changes from the first snapshot to the last, paired by seed over the section's
    seeds (None when it does not record both snapshots)."""
    first, last = min(results["config"]["snapshot_epochs"]), max(results["config"]["snapshot_epochs"])
    values = {
        (name, epochs): snapshot_values(results, name, epochs, "test_accuracy")
        for name in (BASELINE, CANDIDATE)
        for epochs in (first, last)
    }
    if first == last or not all(values.values()):
        return None
    cnn = zip(values[CANDIDATE, first], values[CANDIDATE, last])
    mlp = zip(values[BASELINE, first], values[BASELINE, last])
    return summarize(
        [(c_last - m_last) - (c_first - m_first) for (c_first, c_last), (m_first, m_last) in zip(cnn, mlp)]
    )


def lead_with_image_sampling(results: dict) -> dict | None:
    """``lead`` with its interval widened by the sampling error of the test images that every seed shares
    (``metrics.with_image_sampling``, from the last epoch's McNemar counts, one a seed); None without the
    lead or its spread."""
    found = lead(results)
    if not (found and found.get("std")):
        return None
    last = max(results["config"]["snapshot_epochs"])
    counts = next(c for c in results["comparisons"] if c["epochs"] == last)["mcnemar"]
    return with_image_sampling(found, counts)


def snapshot_values(results: dict, name: str, epochs, measure: str) -> list[float] | None:
    """Per seed of the section, ``name``'s ``measure`` (a ``SNAPSHOT_MEASURES`` key, or a gap of
    ``many_seed_snapshot``) after ``epochs``, when the section has more seeds than the grid and records that
    snapshot (None otherwise)."""
    return (many_seed_snapshot(results, name, epochs) or {}).get(measure)


def gaps_at(results: dict, epochs) -> dict | None:
    """The train − test gaps after ``epochs`` over the section's seeds: per model the mean training and test
    accuracy; CNN − MLP, paired by seed, of the training and of the test accuracy, of the accuracy gap (train
    − test accuracy) and of the loss gap (test − train loss); None when the section does not record that
    snapshot."""
    found = {name: many_seed_snapshot(results, name, epochs) for name in (BASELINE, CANDIDATE)}
    measures = ("train_accuracy", "test_accuracy", "accuracy_gap", "loss_gap")
    if not all(found.values()) or not all(m in found[name] for name in found for m in measures):
        return None
    return {
        "train": {name: float(np.mean(found[name]["train_accuracy"])) for name in found},
        "test": {name: float(np.mean(found[name]["test_accuracy"])) for name in found},
        **{
            measure: paired({"values": found[CANDIDATE][measure]}, {"values": found[BASELINE][measure]})
            for measure in measures
        },
    }


def lead_at(results: dict, epochs) -> dict | None:
    """The CNN − MLP test accuracy after ``epochs`` over the section's seeds, paired by seed, when it has more
    seeds than the grid and that snapshot (None otherwise)."""
    cnn, mlp = (snapshot_values(results, name, epochs, "test_accuracy") for name in (CANDIDATE, BASELINE))
    return paired({"values": cnn}, {"values": mlp}) if cnn and mlp else None


def single_run_pairings(results: dict, epochs) -> dict | None:
    """What one run per model would show after ``epochs``, as a study with a single run of each does: every
    MLP run of the section paired with every CNN run (not only the same seed). The number of pairings, the
    share in which the CNN's test accuracy is higher, the lowest and highest CNN − MLP difference, and the
    share in which the CNN's train − test gap is smaller; None without that snapshot."""
    found = {name: many_seed_snapshot(results, name, epochs) or {} for name in (BASELINE, CANDIDATE)}
    if not all(v.get("test_accuracy") and v.get("accuracy_gap") for v in found.values()):
        return None
    cnn, mlp = found[CANDIDATE], found[BASELINE]
    lead = np.subtract.outer(np.asarray(cnn["test_accuracy"]), np.asarray(mlp["test_accuracy"]))
    smaller = np.subtract.outer(np.asarray(cnn["accuracy_gap"]), np.asarray(mlp["accuracy_gap"])) < 0
    return {
        "pairings": int(lead.size),
        "ahead": float(np.mean(lead > 0)),
        "low": float(lead.min()),
        "high": float(lead.max()),
        "gap_smaller": float(np.mean(smaller)),
    }


def first_and_rest(results: dict) -> dict:
    """{model: its test accuracy over the grid's seeds (the section's first ones) and over the others, with
    Welch's two-sided t test of the two means}: whether the five seeds of the other sections drew high or
    low; empty unless the section has more seeds than the grid."""
    if not more_seeds(results):
        return {}
    count = len(results["config"]["seeds"])
    models = results["research"][KEY]["models"]
    out = {}
    for name in models:
        values = _values(models, name)
        first, rest = values[:count], values[count:]
        if len(first) < 2 or len(rest) < 2:
            continue
        out[name] = {
            "first": float(first.mean()),
            "rest": float(rest.mean()),
            "p_value": float(stats.ttest_ind(first, rest, equal_var=False).pvalue),
        }
    return out


def _values(models: dict, name: str) -> np.ndarray:
    return np.asarray(models[name]["test_accuracy"]["values"], dtype=float)


def _share(cnn, mlp, matched, axis=-1):
    """(CNN − matched MLP) / (CNN − MLP) in means over seeds (along ``axis``, for the bootstrap's batches)."""
    return np.mean(cnn - matched, axis=axis) / np.mean(cnn - mlp, axis=axis)


def lead_kept(results: dict) -> dict:
    """{matched MLP: the share of the CNN's lead over the MLP that remains against it, (CNN − matched MLP) /
    (CNN − MLP) in means over the section's seeds, with a 95% BCa bootstrap interval over seeds (paired: a
    resampled seed brings its three runs)}; empty when the section lacks the CNN or has fewer than 3 seeds."""
    models = results["research"].get(KEY, {}).get("models", {})
    if CANDIDATE not in models or BASELINE not in models:
        return {}
    cnn, mlp = _values(models, CANDIDATE), _values(models, BASELINE)
    return {
        name: share_kept(cnn, mlp, _values(models, name))
        for name in MATCHED_MLPS
        if name in models and len(cnn) >= 3
    }


def share_with_images(cnn, mlp, matched, errors: dict) -> dict | None:
    """``share_kept`` with the test images' sampling error added to its interval: a 95% percentile interval
    of (CNN − matched) / (CNN − MLP) over ``BOOTSTRAP_RESAMPLES`` draws, each resampling the seeds (paired, as
    ``share_kept``) and adding to both differences a normal error of the images. ``errors``: the images'
    standard errors of the three differences on the same images, {"kept": CNN − matched, "lead": CNN − MLP,
    "gain": matched − MLP}; since lead = kept + gain, they give the covariance of the two differences' errors,
    (lead² + kept² − gain²) / 2, so the ratio's errors are correlated as the images make them. None without a
    lead or a standard error."""
    cnn, mlp, matched = (np.asarray(values, dtype=float) for values in (cnn, mlp, matched))
    if (
        len(cnn) < 3
        or np.mean(cnn - mlp) == 0
        or any(errors.get(key) is None for key in ("kept", "lead", "gain"))
    ):
        return None
    kept, lead, gain = errors["kept"], errors["lead"], errors["gain"]
    # The covariance, kept within what two standard errors allow (the three are means over seeds).
    covariance = float(np.clip((lead**2 + kept**2 - gain**2) / 2, -kept * lead, kept * lead))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    picks = rng.integers(0, len(cnn), size=(BOOTSTRAP_RESAMPLES, len(cnn)))
    noise = rng.multivariate_normal(
        [0.0, 0.0], [[kept**2, covariance], [covariance, lead**2]], BOOTSTRAP_RESAMPLES
    )
    shares = ((cnn - matched)[picks].mean(axis=1) + noise[:, 0]) / (
        (cnn - mlp)[picks].mean(axis=1) + noise[:, 1]
    )
    low, high = np.percentile(shares, [2.5, 97.5])
    return {
        "share": float(_share(cnn, mlp, matched)),
        "ci_low": float(low),
        "ci_high": float(high),
        "seeds": len(cnn),
        "correlation": covariance / (kept * lead) if kept * lead > 0 else 0.0,
    }


def shares_with_images(results: dict) -> dict:
    """{(recipe, matched MLP): ``share_with_images``} for the original recipe (the section's seeds, the
    images' errors of ``image_sampling``) and for every model at its tuned recipe (``recipes``' tuned runs,
    the errors of ``tuned_sampling``); a pair the results lack is left out."""
    out = {}
    models = results["research"].get(KEY, {}).get("models", {})
    tuned = results["research"].get("recipes", {}).get("tuned", {})
    for recipe, runs, error in (
        ("original", models, lambda a, b: recorded_error(results, "image_sampling", f"test:{a}-{b}")),
        ("tuned", tuned, lambda a, b: recorded_error(results, "tuned_sampling", f"test:{a}-{b}")),
    ):
        for name in MATCHED_MLPS:
            # A model's test accuracy per seed: a tuned run's summary, or a model of the section.
            values = [
                (runs.get(key) or {}).get("values")
                or (runs.get(key) or {}).get("test_accuracy", {}).get("values")
                for key in (CANDIDATE, BASELINE, name)
            ]
            errors = {
                "kept": error(CANDIDATE, name),
                "lead": error(CANDIDATE, BASELINE),
                "gain": error(name, BASELINE),
            }
            found = share_with_images(*values, errors) if all(v is not None for v in values) else None
            if found:
                out[(recipe, name)] = found
    return out


def shares_in_round_numbers(results: dict) -> dict:
    """{recipe: the share of the CNN's lead it keeps against the MLPs of its size, the mean of the two MLPs'
    shares (``shares_with_images``) in percent rounded to a multiple of 5}: "about 70%" in the prose.
    A recipe the results lack neither MLP for is left out."""
    shares = shares_with_images(results)
    out = {}
    for recipe in ("original", "tuned"):
        found = [s["share"] for (r, _), s in shares.items() if r == recipe and s["share"] is not None]
        if found:
            out[recipe] = 5 * round(20 * sum(found) / len(found))
    return out


def share_kept(cnn, mlp, matched) -> dict:
    """The share of the CNN's lead over the MLP that remains against a matched MLP, (CNN − matched) /
    (CNN − MLP) in means over seeds, with its 95% BCa bootstrap interval over seeds (paired: the three test
    accuracies of a seed are resampled together); None for what the seeds cannot give (no lead to share, or a
    bootstrap with too little spread, as in a fast run)."""
    cnn, mlp, matched = (np.asarray(values, dtype=float) for values in (cnn, mlp, matched))
    out = {"share": None, "ci_low": None, "ci_high": None, "seeds": len(cnn)}
    if len(cnn) < 3 or np.mean(cnn - mlp) == 0:
        return out
    out["share"] = float(_share(cnn, mlp, matched))
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interval = stats.bootstrap(
            (cnn, mlp, matched),
            _share,
            paired=True,
            vectorized=True,
            n_resamples=BOOTSTRAP_RESAMPLES,
            method="BCa",
            rng=np.random.default_rng(BOOTSTRAP_SEED),
        ).confidence_interval
    if np.isfinite(interval.low) and np.isfinite(interval.high):
        out.update(ci_low=float(interval.low), ci_high=float(interval.high))
    return out


def share_text(kept: dict) -> str:
    """'72% [60, 85]': a share of the lead with its interval, in percent ('n/a' without a share, no interval
    without one)."""
    if kept.get("share") is None:
        return "n/a"
    if kept.get("ci_low") is None:
        return f"{100 * kept['share']:.0f}%"
    return f"{100 * kept['share']:.0f}% [{100 * kept['ci_low']:.0f}, {100 * kept['ci_high']:.0f}]"


def size_markdown(results: dict) -> str:
    """Each comparison of the section: both models' mean test accuracy over its seeds and their difference,
    paired by seed; after the CNN's comparisons with the original recipe come the same with each model's
    recipe tuned on validation (the recipes section's scoring over the same seeds), when it has them. The
    deep MLP's change and the tuned MLPs' gains over the MLP are left to the text."""
    section = results["research"][KEY]
    models = section["models"]
    recipes = results["research"].get("recipes", {})
    tuned, matched = recipes.get("tuned", {}), recipes.get("matched_at_best", {})

    def mean(summary: dict) -> str:
        return f"{100 * summary['mean']:.2f}"

    def row(first: str, second: str, recipe: str, diff: dict, kept: dict | None, means: dict) -> list[str]:
        return [
            f"{registry.label(first)} − {registry.label(second)}",
            recipe,
            mean(means[first]),
            mean(means[second]),
            pp(diff),
            share_text(kept) if kept else "",
        ]

    # The shares with the test images' sampling error in their intervals where the results have it.
    kept, with_images = lead_kept(results), shares_with_images(results)
    kept = {name: with_images.get(("original", name), share) for name, share in kept.items()}
    accuracy = {name: model["test_accuracy"] for name, model in models.items()}
    # The CNN − MLP lead itself is the intervals table's last row (original recipe) and the recipes table's
    # (tuned): here only the comparisons that divide it. The deep MLP's change and the tuned MLPs' gains are
    # given in the text, so that the table prints on one page.
    shown = {
        pair: diff
        for pair, diff in comparisons(results).items()
        if pair != (CANDIDATE, BASELINE) and DEEP not in pair
    }
    rows = [
        row(first, second, "original", diff, kept.get(second) if first == CANDIDATE else None, accuracy)
        for (first, second), diff in shown.items()
    ]
    scored = (CANDIDATE, BASELINE, *matched)
    if matched and recipes.get("tuned_lead") and all(name in tuned for name in scored):
        cnn_rows = sum(first == CANDIDATE for first, _ in shown)
        rows[cnn_rows:cnn_rows] = [
            row(CANDIDATE, name, "tuned", it["lead"], with_images.get(("tuned", name), it["kept"]), tuned)
            for name, it in matched.items()
        ]
    seeds = len(section["seeds"])
    return (
        caption(
            results,
            f"Size or architecture with {seeds} seeds: test accuracy after {section['epochs']} epochs, and "
            "the share of the lead kept, with its bootstrap interval"
            + (f" over seeds and test images (Appendix {ref('verdict-tests')})" if with_images else "")
            + "; recipe: the original report's, or each model's best on validation "
            "([Table](#recipes-table)); A − B with its seed interval"
            + (
                f"; the row of the {' against the '.join(map(registry.label, ADDED_AFTER_TESTS))} was added "
                f"after the tests were fixed (Appendix {ref('post-hoc-choices')})"
                if ADDED_AFTER_TESTS in shown
                else ""
            ),
            label=SIZE_TABLE,
        )
        + "\n\n"
        + markdown_table(
            ["Comparison A − B", "Recipe", "A (%)", "B (%)", "A − B", "Share of lead kept"], rows
        )
    )
