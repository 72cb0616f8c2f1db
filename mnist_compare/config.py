"""Paths, seeds and the fast-mode switch.

Every path the package writes to comes from here. Real runs write into the
repository (``models/``, ``reports/``, ``figures/``); fast runs (``--fast`` or
``MNIST_COMPARE_FAST=1``) write into ``build/fast/`` so that a quick check never
overwrites the real results. ``MNIST_COMPARE_OUTPUT`` moves every output to
another folder (the tests use it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import SettingError

#: Where the project is published: the one place the address is written. The notebooks' Setup cell
#: clones it in Colab and the "Open in Colab" badges point at it; after changing it, run
#: ``python -m mnist_compare colab-links`` to rewrite them. ``MNIST_COMPARE_REPOSITORY`` overrides
#: it in a notebook (a fork, or a local clone).
REPOSITORY_URL = "https://github.com/mnist-compare/mnist-compare"

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
FIGURES_DIR = PROJECT_ROOT / "figures"
REPORTS_DIR = PROJECT_ROOT / "reports"
MODELS_DIR = PROJECT_ROOT / "models"
FAST_OUTPUT_DIR = PROJECT_ROOT / "build" / "fast"

#: Environment variables understood by the package.
ENV_FAST = "MNIST_COMPARE_FAST"
ENV_OUTPUT = "MNIST_COMPARE_OUTPUT"
ENV_SEEDS = "MNIST_COMPARE_SEEDS"
ENV_MNIST_NPZ = "MNIST_NPZ"
ENV_REPOSITORY = "MNIST_COMPARE_REPOSITORY"
#: Set by ``report`` for its notebook kernels: read results and models, never train.
ENV_READ_ONLY = "MNIST_COMPARE_READ_ONLY"

#: Seeds of the experiment grid: run ``i`` uses ``FIRST_SEED + i``.
FIRST_SEED = 0
DEFAULT_SEED_COUNT = 5
#: The validation split is the same for every model and seed.
VALIDATION_SEED = 1234
VALIDATION_SIZE = 6000

#: The original report's training setup.
BATCH_SIZE = 32
SNAPSHOT_EPOCHS = (5, 10)
LEARNING_RATE = 1e-3

#: Fast mode: a small stratified subset and one epoch.
FAST_TRAIN_SIZE = 3000
FAST_TEST_SIZE = 1000
FAST_VALIDATION_SIZE = 500
FAST_EPOCHS = 1
FAST_SNAPSHOT_EPOCHS = (1,)
FAST_SEED_COUNT = 1

#: Label put on every table and figure made in fast mode.
FAST_LABEL = "FAST (subset, not the real result)"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def fast_mode(explicit: bool | None = None) -> bool:
    """Whether fast mode is on: an explicit flag wins, else ``MNIST_COMPARE_FAST``."""
    if explicit is not None:
        return bool(explicit)
    return _truthy(os.environ.get(ENV_FAST))


def default_seed_count(fast: bool | None = None) -> int:
    """Seeds per (model, epochs) setting: ``MNIST_COMPARE_SEEDS`` or the default."""
    value = os.environ.get(ENV_SEEDS)
    if value:
        try:
            count = int(value)
        except ValueError:
            raise ValueError(f"{ENV_SEEDS} must be a whole number, not {value!r}.") from None
        if count < 1:
            raise ValueError(f"{ENV_SEEDS} must be at least 1, not {count}.")
        return count
    return FAST_SEED_COUNT if fast_mode(fast) else DEFAULT_SEED_COUNT


@dataclass(frozen=True)
class OutputPaths:
    """Where one kind of run (real or fast) keeps its artefacts."""

    root: Path
    models: Path
    reports: Path
    figures: Path
    fast: bool

    @property
    def results(self) -> Path:
        return self.reports / "results.json"

    @property
    def benchmark(self) -> Path:
        return self.reports / "benchmark.json"

    def make(self) -> "OutputPaths":
        for folder in (self.models, self.reports, self.figures):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def output_paths(fast: bool | None = None) -> OutputPaths:
    """The output folders for a real run or a fast run."""
    fast = fast_mode(fast)
    override = os.environ.get(ENV_OUTPUT)
    if override:
        root = Path(override).expanduser().resolve()
        if root.exists() and not root.is_dir():
            raise SettingError(
                f"{ENV_OUTPUT}={override} is a file, not a folder; point it at a folder "
                "(it is created if missing)."
            )
        return OutputPaths(root, root / "models", root / "reports", root / "figures", fast)
    if fast:
        root = FAST_OUTPUT_DIR
        return OutputPaths(root, root / "models", root / "reports", root / "figures", True)
    return OutputPaths(PROJECT_ROOT, MODELS_DIR, REPORTS_DIR, FIGURES_DIR, False)
