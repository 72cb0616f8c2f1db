"""One function per figure; each returns a matplotlib Figure and never calls ``plt.show()``.

``save_figure(fig, name)`` writes ``<figures>/<name>.png`` (``figures/`` for real
runs, ``build/fast/figures/`` in fast mode).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import config, storage

MODEL_COLOURS = {"mlp": "tab:blue", "cnn": "tab:orange"}
MODEL_LABELS = {"mlp": "MLP", "cnn": "CNN"}


def _title(text: str, results: dict | None = None, fast: bool | None = None) -> str:
    is_fast = results.get("fast") if results is not None else config.fast_mode(fast)
    return f"{text} [{config.FAST_LABEL}]" if is_fast else text


def save_figure(fig, name: str, *, fast: bool | None = None, dpi: int = 150) -> Path:
    """Write ``fig`` as ``<figures>/<name>.png`` atomically and return the path."""
    folder = config.output_paths(fast).figures
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    with storage.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return path


def _band(ax, epochs, values, colour, label, linestyle="-"):
    values = np.asarray(values)
    mean = values.mean(axis=0)
    ax.plot(epochs, mean, color=colour, linestyle=linestyle, label=label)
    if len(values) > 1:
        ax.fill_between(epochs, values.min(axis=0), values.max(axis=0), color=colour, alpha=0.15)


def plot_learning_curves(results: dict, *, models=("mlp", "cnn")) -> plt.Figure:
    """Accuracy and loss per epoch on training (epoch average) and validation data.

    Lines are means over seeds; bands span the lowest to highest seed.
    """
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    for name in models:
        runs = [run for run in results["runs"] if run["model"] == name]
        if not runs:
            continue
        epochs = np.arange(1, len(runs[0]["history"]["accuracy"]) + 1)
        colour, label = MODEL_COLOURS[name], MODEL_LABELS[name]
        for key, ax in (("accuracy", ax_acc), ("loss", ax_loss)):
            _band(ax, epochs, [run["history"][key] for run in runs], colour, f"{label} train")
            _band(ax, epochs, [run["history"][f"val_{key}"] for run in runs], colour, f"{label} validation",
                  linestyle="--")
    for ax, key in ((ax_acc, "Accuracy"), (ax_loss, "Loss")):
        ax.set_xlabel("Epoch")
        ax.set_ylabel(key)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    seeds = len(results["config"]["seeds"])
    fig.suptitle(_title(f"Learning curves (mean over {seeds} seed{'s' * (seeds != 1)}, band = min-max)",
                        results))
    fig.tight_layout()
    return fig


def plot_confusion_matrices(results: dict, epochs: int, *, models=("mlp", "cnn")) -> plt.Figure:
    """Test-set confusion matrices summed over seeds, with the diagonal left blank for contrast."""
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models), 4.6))
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, models):
        runs = [run for run in results["runs"] if run["model"] == name]
        matrix = np.sum([run["snapshots"][str(epochs)]["confusion"] for run in runs], axis=0)
        errors = matrix.astype(float)
        np.fill_diagonal(errors, np.nan)
        image = ax.imshow(errors, cmap="Reds")
        for true in range(10):
            for predicted in range(10):
                value = matrix[true, predicted]
                if true != predicted and value:
                    ax.text(predicted, true, str(value), ha="center", va="center", fontsize=7)
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.set_xlabel("Predicted digit")
        ax.set_ylabel("True digit")
        wrong = int(matrix.sum() - np.trace(matrix))
        ax.set_title(f"{MODEL_LABELS[name]}: {wrong} errors over {len(runs)} seed(s)")
        fig.colorbar(image, ax=ax, fraction=0.046)
    fig.suptitle(_title(f"Test confusion matrices after {epochs} epochs (off-diagonal)", results))
    fig.tight_layout()
    return fig


STEP_TITLES = {
    "drawing": "drawing",
    "inverted": "inverted gray",
    "cropped": "bounding box",
    "padded": "+ 20% padding",
    "resized": "28x28",
    "input": "model input 28x28",
}


def plot_preprocessing_steps(result, *, title: str | None = None) -> plt.Figure:
    """The intermediate images of ``preprocessing.preprocess(..., )``, left to right."""
    steps = list(result.steps.items())
    fig, axes = plt.subplots(1, len(steps), figsize=(2.4 * len(steps), 2.6))
    for ax, (name, image) in zip(np.atleast_1d(axes), steps):
        ax.imshow(image, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(STEP_TITLES.get(name, name), fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_probabilities(probabilities, *, ax=None, title: str = "Predicted probabilities") -> plt.Figure:
    """Bar chart of the ten class probabilities, the arg-max highlighted."""
    probabilities = np.asarray(probabilities, dtype=float)
    fig = ax.figure if ax is not None else plt.figure(figsize=(5, 3))
    ax = ax or fig.add_subplot()
    colours = ["tab:blue"] * 10
    colours[int(np.argmax(probabilities))] = "tab:orange"
    ax.bar(range(10), probabilities * 100, color=colours)
    ax.set_xticks(range(10))
    ax.set_ylim(0, 105)
    ax.set_xlabel("Digit")
    ax.set_ylabel("Probability (%)")
    ax.set_title(title)
    return fig


def plot_sample_grid(images, labels, *, rows: int = 3, cols: int = 9, title: str = "MNIST samples") -> plt.Figure:
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.25))
    for ax, image, label in zip(axes.flat, images, labels):
        ax.imshow(np.squeeze(image), cmap="gray_r")
        ax.set_title(str(int(label)), fontsize=9)
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_class_balance(y_train, y_test) -> plt.Figure:
    """Images per digit in the training and test sets."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    digits = np.arange(10)
    for offset, labels, name, colour in ((-0.2, y_train, "training", "tab:blue"), (0.2, y_test, "test", "tab:green")):
        counts = np.bincount(np.asarray(labels), minlength=10)
        ax.bar(digits + offset, counts, width=0.4, label=f"{name} ({len(labels):,})", color=colour)
    ax.set_xticks(digits)
    ax.set_xlabel("Digit")
    ax.set_ylabel("Images")
    ax.set_title("Class balance of MNIST")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_math_primer(image) -> plt.Figure:
    """ReLU, softmax of example scores, a 3x3 convolution of a digit, and the cross-entropy loss."""
    from scipy.signal import correlate2d
    from scipy.special import softmax

    fig, axes = plt.subplots(1, 5, figsize=(16, 3.2))
    x = np.linspace(-5, 5, 401)
    axes[0].plot(x, np.maximum(0, x))
    axes[0].set_title("ReLU: max(0, x)")
    axes[0].grid(True, alpha=0.3)
    scores = np.array([1.0, 0.2, -0.5, 3.1, 0.0, 1.5, -1.0, 0.3, 2.2, -0.2])
    axes[1].bar(range(10), softmax(scores))
    axes[1].set_xticks(range(10))
    axes[1].set_title("softmax of 10 scores (sum = 1)")
    image = np.squeeze(np.asarray(image, dtype=np.float32))
    image = image / 255.0 if image.max() > 1 else image
    kernel = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], dtype=np.float32)  # horizontal edges
    feature_map = np.maximum(0, correlate2d(image, kernel, mode="valid"))
    axes[2].imshow(image, cmap="gray_r")
    axes[2].set_title("input I (28x28)")
    axes[3].imshow(feature_map, cmap="magma")
    axes[3].set_title("ReLU(I * K), 26x26, K = edge filter")
    for ax in axes[2:4]:
        ax.axis("off")
    p = np.linspace(0.01, 1, 200)
    axes[4].plot(p, -np.log(p))
    axes[4].set_xlabel("probability of the true class")
    axes[4].set_title("cross-entropy: -log p")
    axes[4].grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def plot_test_predictions(images, labels, probabilities: dict, *, title: str = "Test images") -> plt.Figure:
    """Each image with every model's predicted digit and confidence; wrong answers in red."""
    count = len(images)
    fig, axes = plt.subplots(1, count, figsize=(1.45 * count, 2.3))
    for index, ax in enumerate(np.atleast_1d(axes)):
        ax.imshow(np.squeeze(images[index]), cmap="gray_r")
        ax.axis("off")
        lines = [f"true {int(labels[index])}"]
        wrong = False
        for name, probs in probabilities.items():
            guess = int(np.argmax(probs[index]))
            wrong |= guess != int(labels[index])
            lines.append(f"{MODEL_LABELS.get(name, name)} {guess} ({100 * float(np.max(probs[index])):.0f}%)")
        ax.set_title("\n".join(lines), fontsize=8, color="tab:red" if wrong else "black")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_drawing_readings(reader, canvases, labels, *, methods=("naive", "bbox"), title: str | None = None,
                          per_row: int = 2) -> plt.Figure:
    """User-like drawings and, per preprocessing method, the 28x28 input the models read and their answers."""
    from .preprocessing import METHOD_LABELS, preprocess

    group = 1 + len(methods)
    rows = -(-len(canvases) // per_row)
    fig, axes = plt.subplots(rows, group * per_row, figsize=(2.2 * group * per_row, 2.45 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for index, (canvas, label) in enumerate(zip(canvases, labels)):
        row, start = divmod(index, per_row)
        cells = axes[row, start * group:(start + 1) * group]
        cells[0].imshow(canvas["composite"][..., :3])
        cells[0].set_title(f"drawing of a {int(label)}", fontsize=9)
        for ax, method in zip(cells[1:], methods):
            result = preprocess(canvas, method)
            probabilities = reader.predict(result.batch())
            ax.imshow(np.squeeze(result.model_input), cmap="gray", vmin=0, vmax=1)
            reads = []
            for name, probs in probabilities.items():
                guess = int(np.argmax(probs[0]))
                reads.append(f"{MODEL_LABELS.get(name, name)} {guess} ({100 * float(np.max(probs[0])):.0f}%)"
                             + (" ✓" if guess == int(label) else " ✗"))
            ax.set_title(f"{METHOD_LABELS[method]}\n" + ", ".join(reads), fontsize=7.5)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_robustness(results: dict) -> plt.Figure:
    """Test accuracy under each transform, MLP vs CNN; lines are means, bands span the seeds."""
    robustness = results["research"]["robustness"]
    curves = robustness["curves"]
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.6))
    for ax, (transform, curve) in zip(np.atleast_1d(axes), curves.items()):
        levels = curve["levels"]
        for name in ("mlp", "cnn"):
            means = [100 * point["mean"] for point in curve[name]]
            lows = [100 * min(point["values"]) for point in curve[name]]
            highs = [100 * max(point["values"]) for point in curve[name]]
            ax.plot(levels, means, marker="o", color=MODEL_COLOURS[name], label=MODEL_LABELS[name])
            ax.fill_between(levels, lows, highs, color=MODEL_COLOURS[name], alpha=0.2)
        ax.set_xlabel(robustness["units"][transform])
        ax.set_title(transform)
        ax.set_ylim(0, 100)
        ax.grid(True, alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("Test accuracy (%)")
    np.atleast_1d(axes)[0].legend()
    seeds = len(results["research"]["seeds"])
    fig.suptitle(_title(f"Robustness on {robustness['images']:,} test images (mean of {seeds} seed(s), "
                        "band = min-max)", results))
    fig.tight_layout()
    return fig


def plot_user_drawings(results: dict) -> plt.Figure:
    """Accuracy on user-like drawings per preprocessing method, with each seed as a dot."""
    from .preprocessing import METHOD_LABELS, METHODS

    study = results["research"]["user_drawings"]
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = 0.38
    for offset, name in ((-width / 2, "mlp"), (width / 2, "cnn")):
        means = [100 * study["accuracy"][name][m]["mean"] for m in METHODS]
        positions = np.arange(len(METHODS)) + offset
        ax.bar(positions, means, width=width, color=MODEL_COLOURS[name], label=MODEL_LABELS[name], alpha=0.85)
        for position, method in zip(positions, METHODS):
            values = [100 * v for v in study["accuracy"][name][method]["values"]]
            ax.scatter([position] * len(values), values, color="black", s=8, zorder=3)
        for position, mean in zip(positions, means):
            ax.text(position, mean + 1.5, f"{mean:.1f}", ha="center", fontsize=8)
    ax.set_xticks(range(len(METHODS)))
    ax.set_xticklabels([METHOD_LABELS[m] for m in METHODS], fontsize=9)
    ax.set_ylabel("Accuracy (%)")
    ax.set_ylim(0, 105)
    ax.legend(loc="upper left")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(_title(f"{study['drawings']:,} test digits drawn like a user draws "
                        f"({study['canvas_side']}x{study['canvas_side']} canvas)", results))
    fig.tight_layout()
    return fig


def plot_error_gallery(results: dict, test_images) -> plt.Figure:
    """The digits the seed-0 models get most confidently wrong, with both models' answers."""
    gallery = results["research"]["errors"]
    items = gallery["items"]
    cols = min(6, len(items))
    rows = -(-len(items) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols, 2.3 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, item in zip(axes.flat, items):
        ax.imshow(np.squeeze(test_images[item["index"]]), cmap="gray_r")
        lines = [f"#{item['index']}: true {item['label']}"]
        for name in ("mlp", "cnn"):
            answer = item[name]
            mark = "✓" if answer["predicted"] == item["label"] else "✗"
            lines.append(f"{MODEL_LABELS[name]} {answer['predicted']} ({100 * answer['confidence']:.0f}%) {mark}")
        ax.set_title("\n".join(lines), fontsize=8)
    fig.suptitle(_title(f"Most confident mistakes after {gallery['epochs']} epochs (seed {gallery['seed']})",
                        results))
    fig.tight_layout()
    return fig
