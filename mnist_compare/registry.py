"""Every model the project knows, declared once: how it is built and trained, what the report and the
figures call it, its colour, and whether the experiment grid trains it and the demo shows it.

Everything else looks a model up here; adding a model is one ``ModelEntry`` in ``MODELS`` (and, for a new
architecture, its builder in ``models.py``). ``BASELINE`` and ``CANDIDATE`` name the pair the report
compares. This module imports nothing heavy (no Keras), so the demo can read it without TensorFlow.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ModelEntry:
    """One model: ``builder`` is a function of ``models.py`` called with ``builder_args`` (and ``name``)."""

    name: str
    builder: str
    description: str
    label: str
    table_label: str
    text_name: str
    colour: str
    builder_args: dict = field(default_factory=dict)
    #: How it is trained on a CPU: one XLA-compiled function per epoch (``jit_compile``), the CPU-fast
    #: convolution and pooling layers (``fast_ops``, convolutional models only), random shifts of up to
    #: ``augment_shift`` pixels.
    training: dict = field(default_factory=lambda: {"jit_compile": True, "fast_ops": False})
    convolutional: bool = False
    #: Trained by the experiment grid (every seed, every snapshot) and summarised in results.json.
    in_grid: bool = False
    #: Read by the drawing demo (its first seed's last snapshot) and shown beside the others.
    in_demo: bool = False
    #: For a demo model the grid does not train: the epochs its one run (seed 0) is trained for, by the
    #: ``drawing_reader`` section, into ``models/<name>_seed0/`` like the grid's first seed.
    epochs: int | None = None


#: The pair the report compares (its differences are CANDIDATE − BASELINE; results.json keeps them as
#: BASELINE − CANDIDATE under ``COMPARISON_KEY``).
BASELINE = "mlp"
CANDIDATE = "cnn"
COMPARED = (BASELINE, CANDIDATE)
COMPARISON_KEY = f"{BASELINE}_minus_{CANDIDATE}"

_CNN_TRAINING = {"jit_compile": True, "fast_ops": True}

MODELS = {
    entry.name: entry
    for entry in (
        ModelEntry(
            BASELINE,
            "build_mlp",
            "MLP 784-128-10 (original report)",
            label="MLP",
            table_label="MLP 784-128-10 (original report)",
            text_name="MLP",
            colour="tab:blue",
            in_grid=True,
            in_demo=True,
        ),
        ModelEntry(
            CANDIDATE,
            "build_cnn",
            "CNN conv32-pool-100-10 (original report)",
            label="CNN",
            table_label="CNN (original report)",
            text_name="CNN",
            colour="tab:orange",
            training=_CNN_TRAINING,
            convolutional=True,
            in_grid=True,
            in_demo=True,
        ),
        ModelEntry(
            "mlp_wide",
            "build_mlp",
            "MLP 784-680-10, the CNN's parameter count (control)",
            label="parameter-matched MLP",
            table_label="Parameter-matched MLP 784-680-10 (CNN's parameters)",
            text_name="parameter-matched MLP (784-680-10)",
            colour="tab:purple",
            builder_args={"hidden_units": 680},
        ),
        *(
            ModelEntry(
                f"mlp_wide_dropout{round(100 * rate)}",
                "build_mlp",
                f"MLP 784-680-10 with dropout {rate:g} after the hidden layer (regularised control)",
                label=f"parameter-matched MLP, dropout {rate:g}",
                table_label=f"Parameter-matched MLP 784-680-10, dropout {rate:g}",
                text_name=f"parameter-matched MLP with dropout {rate:g}",
                colour=colour,
                builder_args={"hidden_units": 680, "dropout": rate},
                # XLA draws dropout's random masks slowly on a CPU (a wide-MLP epoch 15 s against 4 s).
                training={"jit_compile": False, "fast_ops": False},
            )
            for rate, colour in ((0.2, "tab:pink"), (0.5, "darkviolet"))
        ),
        *(
            ModelEntry(
                f"mlp_w{units}",
                "build_mlp",
                f"MLP 784-{units}-10 (width sweep)",
                label=f"MLP, {units} units",
                table_label=f"MLP 784-{units}-10",
                text_name=f"MLP with {units:,} hidden units",
                colour=colour,
                builder_args={"hidden_units": units},
            )
            for units, colour in (
                (256, "lightsteelblue"),
                (512, "cornflowerblue"),
                (1024, "royalblue"),
                (2048, "mediumblue"),
                (4096, "navy"),
            )
        ),
        ModelEntry(
            "cnn_improved",
            "build_cnn_improved",
            "CNN with BatchNorm and dropout, trained with augmentation (appendix)",
            label="improved CNN",
            table_label="Improved CNN (appendix)",
            text_name="improved CNN",
            colour="tab:brown",
            training={**_CNN_TRAINING, "augment_shift": 2},
            convolutional=True,
        ),
        ModelEntry(
            "mlp_deep",
            "build_mlp_deep",
            "MLP 784-256-128-10 with L2 weight decay 1e-4 (deeper, regularised control)",
            label="deep MLP",
            table_label="Deep MLP 784-256-128-10, L2",
            text_name="deep MLP (784-256-128-10, L2)",
            colour="tab:red",
        ),
        ModelEntry(
            "mlp_compute",
            "build_mlp",
            "MLP 784-928-10, the CNN's multiply-adds per image (control)",
            label="compute-matched MLP",
            table_label="Compute-matched MLP 784-928-10 (CNN's multiply-adds)",
            text_name="compute-matched MLP (784-928-10)",
            colour="tab:olive",
            builder_args={"hidden_units": 928},
        ),
        ModelEntry(
            "cnn_small",
            "build_cnn",
            "CNN conv8-pool-72-10, the MLP's parameter count (control)",
            label="small CNN",
            table_label="Small CNN conv8-pool-72-10 (MLP's parameters)",
            text_name="small CNN (8 filters, 72 hidden units)",
            colour="tab:gray",
            builder_args={"conv_filters": 8, "dense_units": 72},
            training=_CNN_TRAINING,
            convolutional=True,
        ),
        ModelEntry(
            "cnn_avgpool",
            "build_cnn",
            "CNN conv32-avgpool-100-10, the original CNN with average pooling in place of max pooling "
            "(pooling ablation)",
            label="CNN, average pooling",
            table_label="CNN with average pooling (pooling ablation)",
            text_name="CNN with average pooling",
            colour="tab:cyan",
            builder_args={"pooling": "average"},
            training=_CNN_TRAINING,
            convolutional=True,
        ),
        ModelEntry(
            "cnn_strided",
            "build_cnn",
            "CNN conv32/2-100-10, the original CNN without pooling: its convolution moves by 2 pixels "
            "instead (pooling ablation)",
            label="CNN, no pooling",
            table_label="CNN without pooling, stride-2 convolution (pooling ablation)",
            text_name="CNN without pooling",
            colour="teal",
            builder_args={"pooling": "none"},
            training=_CNN_TRAINING,
            convolutional=True,
        ),
        ModelEntry(
            "cnn_drawings",
            "build_cnn_improved",
            "CNN with BatchNorm and dropout, trained on MNIST distorted like handwriting (demo reader, "
            "beyond the original report)",
            label="CNN for drawings",
            table_label="CNN trained for drawings (beyond the original report)",
            text_name="CNN trained for drawings",
            colour="tab:green",
            builder_args={"filters": (48, 96), "units": 192},
            training={**_CNN_TRAINING, "augment": "handwriting", "cosine_decay": True},
            convolutional=True,
            in_demo=True,
            epochs=20,
        ),
        ModelEntry(
            "cnn_gap",
            "build_cnn_gap",
            "CNN conv16-pool-conv32-global average-10 (shift-invariant head)",
            label="GAP CNN",
            table_label="CNN with global average pooling",
            text_name="GAP CNN",
            colour="black",
            training=_CNN_TRAINING,
            convolutional=True,
        ),
    )
}


def entry(name: str) -> ModelEntry:
    """The registry entry of ``name`` (a ``ValueError`` naming the known models otherwise)."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; choose one of {sorted(MODELS)}.") from None


def label(name: str) -> str:
    """The short name figures use ("parameter-matched MLP"); an unknown name is shown as it is."""
    return MODELS[name].label if name in MODELS else name


def table_label(name: str) -> str:
    """The name a table row uses ("Parameter-matched MLP 784-680-10 (CNN's parameters)")."""
    return MODELS[name].table_label if name in MODELS else name


def text_name(name: str) -> str:
    """The name a sentence uses ("the parameter-matched MLP (784-680-10)")."""
    return MODELS[name].text_name if name in MODELS else name.replace("_", " ")


def colour(name: str) -> str:
    return MODELS[name].colour if name in MODELS else "tab:gray"


def grid_models() -> tuple[str, ...]:
    """The models the experiment grid trains, baseline and candidate first."""
    rest = tuple(name for name, item in MODELS.items() if item.in_grid and name not in COMPARED)
    return COMPARED + rest


def demo_models() -> tuple[str, ...]:
    """The models the drawing demo reads, in registry order."""
    return tuple(name for name, item in MODELS.items() if item.in_demo)


def reader_models() -> tuple[str, ...]:
    """The demo models the grid does not train (each has its own ``epochs``): the drawing readers."""
    return tuple(name for name in demo_models() if not MODELS[name].in_grid)


#: The epochs a reader the grid does not train is trained for in fast mode (``run --fast``).
FAST_READER_EPOCHS = 2


def reader_epochs(name: str, fast: bool) -> int:
    """The epochs of the one run (seed 0) of a demo model the grid does not train."""
    return FAST_READER_EPOCHS if fast else entry(name).epochs


def check(models: dict | None = None) -> None:
    """A ``ValueError`` for a registry the rest of the project cannot serve: the compared pair missing or
    outside the grid, or a demo model that nothing trains (the grid, or its own ``epochs``)."""
    models = MODELS if models is None else models
    for name in COMPARED:
        if name not in models or not models[name].in_grid:
            raise ValueError(f"The compared model {name!r} must be in the registry with in_grid=True.")
    for name, item in models.items():
        if item.in_demo and not item.in_grid and not item.epochs:
            raise ValueError(
                f"{name!r} is shown in the demo (in_demo=True) but not trained: set in_grid=True, or the "
                "epochs its own run is trained for."
            )


def fingerprint() -> str:
    """A short digest of every entry: a section that counts every model recomputes when it changes."""
    text = repr(
        sorted((name, item.builder, sorted(item.builder_args.items())) for name, item in MODELS.items())
    )
    return hashlib.sha256(text.encode()).hexdigest()[:10]


check()
