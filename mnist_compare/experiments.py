"""The experiment grid -> ``reports/results.json``.

MLP and CNN, each for N seeds, evaluated after 5 and 10 epochs (one 10-epoch
run with an epoch-5 snapshot). Finished runs are reused, so an interrupted
grid resumes where it stopped.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from importlib import metadata

import numpy as np

from . import config, metrics, registry, storage
from .data import prepare_splits
from .errors import ReadOnlyError, ResultsFileError, first_line
from .metrics import SUMMARY_METRICS
from .registry import BASELINE, CANDIDATE, COMPARISON_KEY
from .sections import RESEARCH_VERSION, SECTIONS, run_research
from .training import predictions_path, processor, run_spec, train_run, training_device

#: The models the grid trains (every seed, every snapshot): ``in_grid`` in the registry.
MODEL_NAMES = registry.grid_models()
PACKAGES = ("tensorflow", "keras", "numpy", "scipy", "scikit-learn", "matplotlib", "pillow", "gradio")


def package_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state() -> dict:
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=config.PROJECT_ROOT, capture_output=True, text=True, timeout=10
        )

    try:
        commit = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    if commit.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def machine_info() -> dict:
    """The machine, and the device TensorFlow trains on (``"CPU"`` or ``"GPU"``)."""

    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
        "device": training_device(),
        "cpu": processor(),
    }


def provenance(splits) -> dict:
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": package_versions(),
        "git": git_state(),
        "data": splits.info,
        "split_sizes": splits.sizes(),
        "machine": machine_info(),
        "command": " ".join(sys.argv),
    }


def _seeds(count: int) -> str:
    return f"{count} seed{'s' * (count != 1)}"


def seeds_for(count: int) -> list[int]:
    if count < 1:
        raise ValueError(f"The number of seeds must be at least 1, not {count}.")
    return [config.FIRST_SEED + i for i in range(count)]


def run_grid(
    *,
    seed_count: int | None = None,
    fast: bool | None = None,
    model_names=MODEL_NAMES,
    data_path=None,
    show_progress: bool = True,
    research: bool = True,
    log=print,
) -> dict:
    """Train (or reuse) every run of the grid, run the research experiments, write results.json."""
    from tqdm.auto import tqdm

    fast = config.fast_mode(fast)
    unknown = sorted(set(model_names) - set(MODEL_NAMES))
    if unknown or not model_names:
        raise ValueError(f"Unknown model(s) {unknown}; choose from {list(MODEL_NAMES)}.")
    paths = config.output_paths(fast).make()
    seeds = seeds_for(seed_count if seed_count is not None else config.default_seed_count(fast))
    with storage.output_lock(paths.root, what="run"):
        clean_outputs(paths)
        previous = previous_results(paths, fast, log=log)
        splits = prepare_splits(data_path, fast=fast)
        specs = [run_spec(name, seed, splits, fast=fast) for name in model_names for seed in seeds]
        started = time.perf_counter()
        records = []
        with tqdm(
            total=sum(spec.epochs for spec in specs),
            unit="epoch",
            disable=not show_progress,
            dynamic_ncols=True,
        ) as progress:
            for spec in specs:
                records.append(
                    train_run(spec, splits, paths.models / spec.run_id, progress=progress, log=log)
                )
        results = build_results(records, specs, splits, paths, fast=fast)
        if research and {BASELINE, CANDIDATE} <= set(model_names):
            results["research"] = _research(
                results, records, splits, paths, previous, show_progress=show_progress
            )
        results["wall_seconds_this_invocation"] = time.perf_counter() - started
        storage.write_json(paths.results, results)
    return results


def clean_outputs(paths: config.OutputPaths) -> list:
    """Remove the temporary files killed processes left in the output folders."""
    return storage.remove_stale_temporaries(
        paths.models, paths.reports, paths.figures, paths.root / "notebooks"
    )


def previous_results(paths: config.OutputPaths, fast: bool, *, log=print) -> dict:
    """The results.json already there, checked; a damaged or foreign one is set aside (renamed,
    never deleted) with a one-line message, and ``{}`` is returned so it is rebuilt from the saved runs."""
    if not paths.results.is_file():
        return {}
    try:
        return read_results(paths.results, fast)
    except ResultsFileError as error:
        moved = storage.set_aside(paths.results, "damaged")
        log(f"{error} Set aside as {moved.name}; rebuilding it from the saved runs.")
        return {}


def _research(results: dict, records, splits, paths, previous: dict, *, show_progress: bool) -> dict:
    """The research section: reused from results.json when nothing it depends on changed."""
    cached = previous.get("research")
    if not (
        cached
        and cached.get("version") == RESEARCH_VERSION
        and cached.get("seeds") == results["config"]["seeds"]
        and previous.get("fast") == results["fast"]
        and all(record.get("resumed") for record in records)
    ):
        cached = None  # other runs: every section is computed again
    return run_research(results, splits, paths, previous=cached, show_progress=show_progress)


def _run_summary(record: dict) -> dict:
    """A run record without the bulky parts (confusion matrices stay; they are small)."""
    return {
        "run_id": record["run_id"],
        "model": record["spec"]["model"],
        "seed": record["spec"]["seed"],
        "parameters": record["parameters"],
        "training_options": record.get("training_options", {}),
        "epoch_seconds": record["epoch_seconds"],
        "train_seconds": record["train_seconds"],
        "wall_seconds": record["wall_seconds"],
        "history": record["history"],
        "snapshots": record["snapshots"],
        "reused_from_disk": bool(record.get("resumed")),
        "artefacts": record.get("artefacts", {}),  # sha256 of each saved file of the run
    }


def build_results(records, specs, splits, paths, *, fast: bool) -> dict:
    runs = [_run_summary(record) for record in records]
    epochs_list = [str(e) for e in specs[0].snapshot_epochs]
    model_names = list(dict.fromkeys(spec.model for spec in specs))
    seeds = sorted({spec.seed for spec in specs})

    summary: dict = {}
    for name in model_names:
        model_runs = [run for run in runs if run["model"] == name]
        summary[name] = {
            "parameters": model_runs[0]["parameters"],
            "seconds_per_epoch": metrics.summarize(
                [float(np.median(run["epoch_seconds"])) for run in model_runs]
            ),
        }
        for epochs in epochs_list:
            summary[name][epochs] = {
                key: metrics.summarize([run["snapshots"][epochs][part][field] for run in model_runs])
                for key, (part, field) in SUMMARY_METRICS.items()
            }

    comparisons = []
    if BASELINE in model_names and CANDIDATE in model_names:
        by_key = {(run["model"], run["seed"]): run for run in runs}
        for epochs in epochs_list:
            per_seed = []
            for seed in seeds:
                predicted = {
                    name: np.argmax(
                        np.load(predictions_path(paths.models / f"{name}_seed{seed}", int(epochs)))[
                            "probabilities"
                        ],
                        axis=1,
                    )
                    for name in (BASELINE, CANDIDATE)
                }
                test = metrics.mcnemar_exact(splits.y_test, predicted[BASELINE], predicted[CANDIDATE])
                test["seed"] = seed
                per_seed.append(test)
            differences = {
                key: metrics.summarize(
                    metrics.paired_differences(
                        [by_key[(BASELINE, s)]["snapshots"][epochs][part][field] for s in seeds],
                        [by_key[(CANDIDATE, s)]["snapshots"][epochs][part][field] for s in seeds],
                    )
                )
                for key, (part, field) in SUMMARY_METRICS.items()
            }
            comparisons.append(
                {
                    "epochs": int(epochs),
                    "a": BASELINE,
                    "b": CANDIDATE,
                    COMPARISON_KEY: differences,
                    "mcnemar": per_seed,
                }
            )

    return {
        "schema_version": 1,
        "fast": fast,
        "label": config.FAST_LABEL if fast else "full MNIST",
        "config": {
            "models": model_names,
            "seeds": seeds,
            "snapshot_epochs": [int(e) for e in epochs_list],
            "batch_size": specs[0].batch_size,
            "learning_rate": config.LEARNING_RATE,
            "optimizer": "Adam",
            "validation_size": len(splits.y_val),
        },
        "provenance": provenance(splits),
        "summary": summary,
        "comparisons": comparisons,
        "runs": runs,
    }


#: What every results.json has, and the type of each part.
RESULTS_SHAPE = {
    "schema_version": int,
    "fast": bool,
    "config": dict,
    "provenance": dict,
    "summary": dict,
    "comparisons": list,
    "runs": list,
}


def check_results(results, path, fast: bool) -> dict:
    """``results`` if it looks like a results.json of this kind of run, else ``ResultsFileError``."""
    kind = "fast" if fast else "full"
    if not isinstance(results, dict):
        raise ResultsFileError(f"{path} is not a results file (it holds a JSON {type(results).__name__}).")
    for key, kind_of in RESULTS_SHAPE.items():
        if not isinstance(results.get(key), kind_of):
            raise ResultsFileError(
                f"{path} is not a complete results file ('{key}' is missing or not of "
                f"type {kind_of.__name__})."
            )
    if results["fast"] != fast:
        raise ResultsFileError(
            f"{path} holds the results of a {'fast' if results['fast'] else 'full'} run, not of a {kind} run."
        )
    seeds = results["config"].get("seeds")
    if not (isinstance(seeds, list) and seeds and all(isinstance(seed, int) for seed in seeds)):
        raise ResultsFileError(f"{path} has no list of seeds in its 'config'.")
    return results


def read_results(path, fast: bool) -> dict:
    """Read and check a results.json; any damage becomes one ``ResultsFileError`` naming the file."""
    try:
        results = storage.read_json(path)
    except (ValueError, UnicodeDecodeError) as error:
        detail = first_line(error, 120)
        raise ResultsFileError(f"{path} is damaged (not valid JSON: {detail}).") from None
    return check_results(results, path, fast)


def load_results(fast: bool | None = None) -> dict:
    """Read results.json of a real (or fast) run, checked, with a clear message if it is missing or
    damaged."""
    fast = config.fast_mode(fast)
    path = config.output_paths(fast).results
    if not path.is_file():
        raise FileNotFoundError(
            f"No results at {path}. Run `python -m mnist_compare run{' --fast' if fast else ''}` first."
        )
    return read_results(path, fast)


def stale_sections(results: dict, sections=SECTIONS) -> list[str]:
    """The research sections ``results`` lacks, or holds at another version than the code's."""
    versions = results.get("research", {}).get("section_versions", {})
    return [section.KEY for section in sections if versions.get(section.KEY) != section.VERSION]


def results_complete(
    results: dict, *, fast: bool, seeds: list[int], model_names=MODEL_NAMES, sections=SECTIONS
) -> bool:
    """Whether ``results`` holds every run of this grid (same mode, seeds and models) and every research
    section at its current version (a section added or changed since is computed by ``ensure_results``)."""
    return (
        results.get("fast") == fast
        and results["config"]["seeds"] == list(seeds)
        and set(model_names) <= set(results["config"].get("models", []))
        and bool(results.get("comparisons"))
        and "research" in results
        and not stale_sections(results, sections)
    )


def ensure_results(
    *,
    seed_count: int | None = None,
    fast: bool | None = None,
    show_progress: bool = True,
    train: bool = True,
    log=print,
) -> dict:
    """The grid's results: read ``results.json`` when it is complete, else train what is missing.

    Reading leaves ``results.json`` untouched; training reuses every finished run on disk. Without a
    seed count (argument or ``MNIST_COMPARE_SEEDS``) the seeds of the results already there are kept,
    so a report shows what was run. ``train=False`` never trains: it reads, or says what to run.
    """
    fast = config.fast_mode(fast)
    paths = config.output_paths(fast)
    results = None
    if paths.results.is_file():
        try:
            results = read_results(paths.results, fast)
        except ResultsFileError:
            if not train:
                raise
    if seed_count is None and not os.environ.get(config.ENV_SEEDS) and results is not None:
        seed_count = len(results["config"]["seeds"])
    seeds = seeds_for(seed_count if seed_count is not None else config.default_seed_count(fast))
    if results is not None and results_complete(results, fast=fast, seeds=seeds):
        log(
            f"Read {paths.results.name}: {_seeds(len(seeds))} x {len(MODEL_NAMES)} models, "
            f"created {str(results['provenance'].get('created', '?'))[:10]}; nothing to train."
        )
        return results
    if not train:
        command = f"python -m mnist_compare run{' --fast' if fast else ''} --seeds {len(seeds)}"
        stale = stale_sections(results) if results is not None else []
        if results is not None and stale and results_complete(results, fast=fast, seeds=seeds, sections=()):
            have = f"holds the grid, but not the current version of {', '.join(stale)}"
        elif results is not None:
            held = _seeds(len(results["config"]["seeds"]))
            have = f"holds {held}, not the complete grid of {_seeds(len(seeds))}"
        else:
            have = "does not exist"
        raise ReadOnlyError(
            f"{paths.results} {have}, and nothing may be trained here; run `{command}` first."
        )
    log(
        f"Training the runs that are not on disk yet ({_seeds(len(seeds))} x {len(MODEL_NAMES)} models); "
        "finished runs are reused."
    )
    return run_grid(seed_count=len(seeds), fast=fast, show_progress=show_progress, log=log)
