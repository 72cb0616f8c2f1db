"""The two architectures of the original report, plus the control models.

``build_mlp()`` and ``build_cnn()`` with their defaults are exactly the
original report's models (101,770 and 542,230 parameters). Both take a
``(28, 28, 1)`` image in [0, 1] and return softmax probabilities over 0-9.
"""

from __future__ import annotations

import keras
from keras import layers

from . import config

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def build_mlp(*, hidden_units: int = 128, name: str = "mlp") -> keras.Model:
    """Flatten(28x28) -> Dense(hidden_units, relu) -> Dense(10, softmax)."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            layers.Flatten(name="flatten"),
            layers.Dense(hidden_units, activation="relu", name="hidden"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name=name,
    )


def build_cnn(
    *, conv_filters: int = 32, kernel_size: int = 3, dense_units: int = 100, name: str = "cnn"
) -> keras.Model:
    """Conv2D(conv_filters, 3x3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(dense_units, relu)
    -> Dense(10, softmax)."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            layers.Conv2D(conv_filters, kernel_size, activation="relu", name="conv"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(dense_units, activation="relu", name="hidden"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name=name,
    )


#: Every model the experiments know, by name, with a one-line description.
ARCHITECTURES = {
    "mlp": (build_mlp, {}, "MLP 784-128-10 (original report)"),
    "cnn": (build_cnn, {}, "CNN conv32-pool-100-10 (original report)"),
}


def build_model(name: str) -> keras.Model:
    """Build a model of the experiment grid by its name (see ``ARCHITECTURES``)."""
    try:
        builder, kwargs, _ = ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; choose one of {sorted(ARCHITECTURES)}.") from None
    return builder(name=name, **kwargs)


def compile_model(
    model: keras.Model,
    *,
    learning_rate: float = config.LEARNING_RATE,
    steps_per_execution: int = 1,
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """Adam + sparse categorical cross-entropy + accuracy, as in the original report.

    (The report used one-hot labels with ``categorical_crossentropy`` for the
    CNN; the sparse form computes the same loss and gradients from integer labels.)
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
        jit_compile=jit_compile,
    )
    return model


def layer_rows(model: keras.Model) -> list[list[str]]:
    """[layer, type, output shape, parameters] for every layer (a stable, printable summary)."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        rows.append([layer.name, type(layer).__name__, str((None,) + shape[1:]), f"{layer.count_params():,}"])
    return rows


def summary_text(model: keras.Model) -> str:
    """A plain-text layer table with the parameter total; the same on every machine."""
    rows = [["Layer", "Type", "Output shape", "Parameters"]] + layer_rows(model)
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) if i < 3 else cell.rjust(width)
                       for i, (cell, width) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(f"Total parameters of {model.name}: {model.count_params():,}")
    return "\n".join(lines)


def parameter_counts(names=("mlp", "cnn")) -> dict[str, int]:
    """Parameters of each named architecture (built, not trained)."""
    return {name: build_model(name).count_params() for name in names}
