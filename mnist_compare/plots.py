"""One function per figure; each returns a matplotlib Figure and never calls ``plt.show()``.

``save_figure(fig, name)`` writes ``<figures>/<name>.png`` (``figures/`` for real
runs, ``build/fast/figures/`` in fast mode).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import config, registry, storage
from .preprocessing import METHOD_LABELS, METHODS, preprocess
from .registry import BASELINE, CANDIDATE

#: How the report prints a figure (``report.export_pdf`` and the template ``templates/report/index.html.j2``).
#: Chromium prints the HTML on A4 (210 mm) with 12 mm side margins: 186 mm = 703 CSS px (1 px = 1/96 in);
#: JupyterLab's CSS indents an output by the notebook padding (10 px), the cell padding (5 px) and ~2.6 px
#: more on each side, leaving 668 px: every full-width image in ``reports/*.pdf`` is 501 pt (6.96 in) wide.
PRINT_WIDTH = 668 / 96


#: The print CSS caps an image's height at 200 mm (``max-height: 200mm; width: auto``), keeping its shape.
PRINT_MAX_HEIGHT = 200 / 25.4


#: CSS pixels per inch: an image narrower than the column prints at one CSS pixel per image pixel.
CSS_PX_PER_INCH = 96


#: The smallest text a figure may print at, in points (``tests/test_figures_print.py`` checks every figure).
MIN_PRINTED_POINTS = 7.0


#: The width figures are drawn at, in inches: about the printed width, so that their font sizes are what
#: prints.
PAGE_WIDTH = 6.9


#: Matplotlib settings of the notebooks (``notebook.setup``). The inline backend draws at ``figure.dpi``
#: with ``bbox_inches="tight"``; at 150 dpi a figure PAGE_WIDTH wide is ~1,035 px, printed at ~150 ppi.
RC_PARAMS = {
    "figure.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 11,
    "figure.max_open_warning": 0,
}


def printed_scale(fig, dpi: float | None = None) -> float:
    """Printed size over drawn size: a ``s``-point text of ``fig`` prints at ``s * printed_scale(fig)``
    points."""
    width, height = _tight_size(fig)
    dpi = fig.dpi if dpi is None else dpi
    return float(min(dpi / CSS_PX_PER_INCH, PRINT_WIDTH / width, PRINT_MAX_HEIGHT / height))


def printed_size(fig, dpi: float | None = None) -> tuple[float, float]:
    """The (width, height) in inches at which the report prints ``fig`` as the notebook shows it.

    The inline backend writes the figure's tight bounding box (plus ``savefig.pad_inches``) at ``dpi``
    (default: the figure's own): ``W x H`` inches make ``W * dpi`` pixels. The page shows them at one
    CSS pixel each (``W * dpi / 96`` inches), narrowed to the column (``PRINT_WIDTH``) or to the height
    cap (``PRINT_MAX_HEIGHT``) if either is smaller, keeping the shape.
    """
    width, height = _tight_size(fig)
    scale = printed_scale(fig, dpi)
    return width * scale, height * scale


def _tight_size(fig) -> tuple[float, float]:
    """The size in inches of ``fig`` saved with ``bbox_inches="tight"`` (what the inline backend shows)."""
    if fig.stale:
        fig.canvas.draw()  # lays the figure out (constrained layout runs at draw time)
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    pad = plt.rcParams["savefig.pad_inches"]
    return float(box.width) + 2 * pad, float(box.height) + 2 * pad


def figure_title(text: str, results: dict | None = None, fast: bool | None = None) -> str:
    is_fast = results.get("fast") if results is not None else config.fast_mode(fast)
    return (
        f"{text}\n[{config.FAST_LABEL}]" if is_fast else text
    )  # a line of its own: the title keeps its width


def save_figure(fig, name: str, *, fast: bool | None = None, dpi: int = 150) -> Path:
    """Write ``fig`` as ``<figures>/<name>.png`` atomically and return the path. The figure's own title is
    left out (the report's numbered caption says what it shows), but in a fast run, whose title carries the
    fast label."""
    if not config.fast_mode(fast) and fig.get_suptitle():
        for text in fig.texts:
            if text.get_text() == fig.get_suptitle():
                text.set_visible(False)
                text.set_in_layout(False)
    folder = config.output_paths(fast).figures
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    with storage.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return path


def _band(ax, epochs, values, colour, label, linestyle="-"):
    """The mean over seeds of a curve (one row of ``values`` a seed), with its 95% Student-t interval as a
    band, as every other figure of the report shows its spread."""
    from scipy import stats  # lazy: only the curves with a band need it

    values = np.asarray(values)
    mean = values.mean(axis=0)
    ax.plot(epochs, mean, color=colour, linestyle=linestyle, label=label)
    if len(values) > 1:
        half = stats.t.ppf(0.975, len(values) - 1) * values.std(axis=0, ddof=1) / np.sqrt(len(values))
        ax.fill_between(epochs, mean - half, mean + half, color=colour, alpha=0.15)


#: The curves a run's history keeps per epoch: training (Keras's running mean over the epoch) and validation.
HISTORY_CURVES = ("accuracy", "loss", "val_accuracy", "val_loss")


def plot_learning_curves(
    results: dict, *, models=None, curves: dict | None = None, best: dict | None = None
) -> plt.Figure:
    """Accuracy and loss per epoch on training (epoch average) and validation data, for ``models`` (default:
    every model the grid trained).

    Lines are means over seeds; bands span the lowest to highest seed. One legend for both panels, below them.
    ``curves`` ({model: {curve: seeds × epochs}}, as the learning-curves section gives them) draws a model
    over those seeds; a model it lacks is drawn over the grid's runs. ``best`` ({model: epoch}) marks each
    model's median best epoch (lowest validation loss) on the loss panel with a dotted line in its colour.
    """
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.2), layout="constrained")
    counts = []
    for name in models or registry.grid_models():
        found = (curves or {}).get(name)
        if found is None:
            runs = [run for run in results["runs"] if run["model"] == name]
            if not runs:
                continue
            found = {key: np.asarray([run["history"][key] for run in runs]) for key in HISTORY_CURVES}
        counts.append(len(found["accuracy"]))
        epochs = np.arange(1, found["accuracy"].shape[1] + 1)
        colour, label = registry.colour(name), registry.label(name)
        for key, ax, scale in (("accuracy", ax_acc, 100.0), ("loss", ax_loss, 1.0)):
            _band(ax, epochs, scale * found[key], colour, f"{label} train")
            _band(ax, epochs, scale * found[f"val_{key}"], colour, f"{label} validation", linestyle="--")
    for name, epoch in (best or {}).items():
        ax_loss.axvline(epoch, color=registry.colour(name), linestyle=":", linewidth=1.4)
    # The loss on a log scale: the first epoch's training loss would otherwise flatten the validation loss's
    # rise after its minimum, which the report discusses.
    ax_loss.set_yscale("log")
    for ax, key in ((ax_acc, "Accuracy (%)"), (ax_loss, "Loss (log scale)")):
        ax.set_xlabel("Epoch")
        ax.set_ylabel(key)
        ax.grid(True, alpha=0.3)
    handles, labels = ax_acc.get_legend_handles_labels()
    if best:
        # The dotted lines in each model's colour: one grey key for them all.
        handles.append(plt.Line2D([], [], color="grey", linestyle=":", linewidth=1.4))
        labels.append("median best epoch")
    fig.legend(handles, labels, loc="outside lower center", ncol=max(1, min(5, len(labels))), frameon=False)
    seeds = max(counts, default=len(results["config"]["seeds"]))
    fig.suptitle(
        figure_title(
            f"Learning curves (mean over {seeds} seed{'s' * (seeds != 1)}, band = 95% interval)", results
        )
    )
    return fig


def plot_confusion_matrices(results: dict, epochs: int, *, models=(BASELINE, CANDIDATE)) -> plt.Figure:
    """Test-set confusion matrices summed over seeds, diagonal left blank, on one shared colour scale."""
    fig, axes = plt.subplots(1, len(models), figsize=(PAGE_WIDTH, 3.7), layout="constrained")
    axes = np.atleast_1d(axes)
    matrices = {
        name: np.sum(
            [run["snapshots"][str(epochs)]["confusion"] for run in results["runs"] if run["model"] == name],
            axis=0,
        )
        for name in models
    }
    errors = {}
    for name, matrix in matrices.items():
        errors[name] = matrix.astype(float)
        np.fill_diagonal(errors[name], np.nan)
    top = max(np.nanmax(e) for e in errors.values())
    largest = max(int(np.nanmax(e)) for e in errors.values())
    # Each cell is about PAGE_WIDTH / (2 * 12) inches wide: three digits fit at 7.5 pt, two at 8 pt.
    count_size = 8 if largest < 100 else 7.5
    for ax, name in zip(axes, models):
        matrix = matrices[name]
        image = ax.imshow(errors[name], cmap="Reds", vmin=0, vmax=top)
        for true in range(10):
            for predicted in range(10):
                value = matrix[true, predicted]
                if true != predicted and value:
                    ax.text(
                        predicted,
                        true,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=count_size,
                        color="white" if value > 0.6 * top else "black",
                    )
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.set_xlabel("Predicted digit")
        ax.set_ylabel("True digit")
        seeds = sum(run["model"] == name for run in results["runs"])
        wrong = int(matrix.sum() - np.trace(matrix))
        ax.set_title(f"{registry.label(name)}: {wrong:,} errors, {seeds} seeds")
    fig.colorbar(image, ax=list(axes), fraction=0.03, label="test images (sum over seeds)")
    fig.suptitle(
        figure_title(
            f"Test confusion matrices after {epochs} epochs (off-diagonal, same colour scale)", results
        ),
        fontsize=10,
    )
    return fig


STEP_TITLES = {
    "drawing": "drawing",
    "inverted": "inverted gray",
    "cropped": "bounding box",
    "padded": "+ 20% padding",
    "resized": "resized\n28×28",
    "input": "model input\n28×28",
}


def plot_preprocessing_steps(result, *, title: str | None = None) -> plt.Figure:
    """The intermediate images of ``preprocessing.preprocess(..., )``, left to right."""
    steps = list(result.steps.items())
    if "resized" in result.steps:  # the last step moves the resized digit to its centre of mass
        steps[-1] = ("centre of mass\nat the centre", steps[-1][1])
    side = min(1.6, PAGE_WIDTH / len(steps) - 0.15)
    fig, axes = plt.subplots(1, len(steps), figsize=(PAGE_WIDTH, side + 0.45 + 0.3 * bool(title)))
    for ax, (name, image) in zip(np.atleast_1d(axes), steps):
        ax.imshow(image, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        # Every panel the same square: a crop that is not square is centred in it, so the titles line up.
        ax.set_adjustable("datalim")
        ax.set_box_aspect(1)
        ax.set_facecolor("white")
        ax.set_title(STEP_TITLES.get(name, name), fontsize=9)
        # A thin frame, so that the white canvas of the drawing shows where it ends.
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("0.6")
            spine.set_linewidth(0.6)
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


def plot_sample_grid(
    images, labels, *, rows: int = 3, cols: int = 9, title: str = "MNIST samples"
) -> plt.Figure:
    side = PAGE_WIDTH / cols
    # Each row holds its images and, above them, their labels' line.
    fig, axes = plt.subplots(rows, cols, figsize=(PAGE_WIDTH, rows * (side + 0.3) + 0.35), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, label in zip(axes.flat, images, labels):
        ax.imshow(np.squeeze(image), cmap="gray_r")
        ax.set_title(str(int(label)), fontsize=9, pad=2)
    fig.suptitle(title)
    fig.tight_layout(h_pad=0.3, w_pad=0.3)
    return fig


def plot_class_balance(y_train, y_test) -> plt.Figure:
    """Images per digit in the training and test sets."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 2.8))
    digits = np.arange(10)
    for offset, labels, name, colour in (
        (-0.2, y_train, "training", "tab:blue"),
        (0.2, y_test, "test", "tab:green"),
    ):
        counts = np.bincount(np.asarray(labels), minlength=10)
        ax.bar(digits + offset, counts, width=0.4, label=f"{name} ({len(labels):,})", color=colour)
    ax.set_xticks(digits)
    ax.set_xlabel("Digit")
    ax.set_ylabel("Images")
    ax.set_title("Class balance of MNIST")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.22)  # room for the legend above the bars
    ax.legend(loc="upper center", ncol=2)
    fig.tight_layout()
    return fig


def plot_math_primer(image) -> plt.Figure:
    """A convolution in three panels (a digit, a 3×3 kernel, the map it gives after ReLU) above the three
    functions of the models' last steps (ReLU, softmax of example scores, the cross-entropy loss)."""
    from scipy.signal import correlate2d
    from scipy.special import softmax

    fig, grid = plt.subplots(2, 3, figsize=(PAGE_WIDTH, 4.6))
    image = np.squeeze(np.asarray(image, dtype=np.float32))
    image = image / 255.0 if image.max() > 1 else image
    kernel = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], dtype=np.float32)  # horizontal edges
    feature_map = np.maximum(0, correlate2d(image, kernel, mode="valid"))
    grid[0, 0].imshow(image, cmap="gray_r")
    grid[0, 0].set_title("input I (28×28)")
    grid[0, 1].imshow(kernel, cmap="coolwarm", vmin=-1.5, vmax=1.5)
    for (row, col), value in np.ndenumerate(kernel):
        text = f"{value:+.0f}".replace("-", "−") if value else "0"
        grid[0, 1].text(col, row, text, ha="center", va="center", fontsize=9)
    grid[0, 1].set_title("kernel K (3×3):\nhorizontal edges")
    grid[0, 2].imshow(feature_map, cmap="magma")
    grid[0, 2].set_title("ReLU(I * K) (26×26)")
    for ax in grid[0]:
        ax.set_xticks([])
        ax.set_yticks([])
    x = np.linspace(-5, 5, 401)
    grid[1, 0].plot(x, np.maximum(0, x))
    grid[1, 0].set_title("ReLU: max(0, x)")
    grid[1, 0].grid(True, alpha=0.3)
    scores = np.array([1.0, 0.2, -0.5, 3.1, 0.0, 1.5, -1.0, 0.3, 2.2, -0.2])
    grid[1, 1].bar(range(10), softmax(scores))
    grid[1, 1].set_xticks(range(10))
    grid[1, 1].set_xlabel("digit")
    grid[1, 1].set_title("softmax of 10 scores (sum 1)")
    p = np.linspace(0.01, 1, 200)
    grid[1, 2].plot(p, -np.log(p))
    grid[1, 2].set_xlabel("probability of the true class")
    grid[1, 2].set_title("cross-entropy: −log p")
    grid[1, 2].grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def image_panels(count: int, lines: int, *, cols: int = 5, title: bool = True, largest: float = 1.3):
    """A figure PAGE_WIDTH wide of ``count`` image panels, ``cols`` a row, each under a ``lines``-line
    title; an image is at most ``largest`` inches high."""
    cols = min(cols, count)
    rows = -(-count // cols)
    side = min(largest, PAGE_WIDTH / cols - 0.2)
    fig, axes = plt.subplots(
        rows, cols, figsize=(PAGE_WIDTH, rows * (side + 0.17 * lines + 0.15) + 0.35 * title), squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes


def plot_test_predictions(images, labels, probabilities: dict, *, title: str = "Test images") -> plt.Figure:
    """Each image with every model's predicted digit and confidence; wrong answers in red (five per row)."""
    count = len(images)
    # Five in a row: room for each answer's line at 7.5 pt without touching the next digit's.
    fig, axes = image_panels(count, 2 + len(probabilities), cols=5, largest=0.8)
    for index, ax in enumerate(axes.flat[:count]):
        ax.imshow(np.squeeze(images[index]), cmap="gray_r")
        lines = [f"true {int(labels[index])}"]
        wrong = False
        for name, probs in probabilities.items():
            guess = int(np.argmax(probs[index]))
            wrong |= guess != int(labels[index])
            lines.append(f"{registry.label(name)} {guess} {100 * float(np.max(probs[index])):.0f}%")
        ax.set_title("\n".join(lines), fontsize=7.5, color="tab:red" if wrong else "black")
    fig.suptitle(title)
    # Room between the rows: a digit's lowest stroke never meets the answers of the digit below it (the
    # titles' height, as a share of an image's, is the space between rows).
    height = fig.get_size_inches()[1]
    titles = 0.15 * (1 + len(probabilities)) + 0.1  # inches above each image
    rows = axes.shape[0]
    top = 1 - (0.35 + titles) / height  # the figure's title, then the first row's
    side = (top * height - 0.05 - titles * (rows - 1)) / rows
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.05 / height, top=top, hspace=titles / side)
    return fig


def plot_drawing_readings(
    reader, canvases, labels, *, methods=("naive", "bbox"), title: str | None = None, per_row: int = 1
) -> plt.Figure:
    """User-like drawings and, per preprocessing method, the 28x28 input the models read and their answers.

    One row per drawing: the drawing, then one column per method, named once above the top row. Each
    model's answer is written under the image it read. The panels are placed by hand (in inches), so
    that no text reaches into the next row or column, and the whole fits the printed page's height.
    """
    from textwrap import fill

    group = 1 + len(methods)
    cols = group * per_row
    rows = -(-len(canvases) // per_row)
    readings = []
    for canvas in canvases:
        readings.append([])
        for method in methods:
            result = preprocess(canvas, method)
            readings[-1].append((result, reader.predict(result.batch())))
    answer_lines = max([len(probabilities) for row in readings for _, probabilities in row] + [1])
    size = 9  # points, every text of the figure but the title
    line = size * 1.3 / 72  # inches
    column = PAGE_WIDTH / cols
    headers = ["drawing"] + [
        fill(METHOD_LABELS[method], max(10, int(column * 72 / (0.62 * size)))) for method in methods
    ]
    top = (0.4 if title else 0.05) + max(header.count("\n") + 1 for header in headers) * line + 0.08
    under = 0.06 + answer_lines * line + 0.16  # the answers under an image, and the gap to the next row
    side = min(1.8, column - 0.25, (PRINT_MAX_HEIGHT - 0.15 - top) / rows - under)
    height = top + rows * (side + under)
    fig = plt.figure(figsize=(PAGE_WIDTH, height))
    for index, (canvas, label) in enumerate(zip(canvases, labels)):
        row, start = divmod(index, per_row)
        bottom = height - top - row * (side + under) - side
        cells = [
            fig.add_axes(
                (
                    (start * group + offset) * column / PAGE_WIDTH + (column - side) / 2 / PAGE_WIDTH,
                    bottom / height,
                    side / PAGE_WIDTH,
                    side / height,
                )
            )
            for offset in range(group)
        ]
        for ax, header in zip(cells, headers):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_color("0.75")
            if row == 0:
                ax.set_title(header, fontsize=size, fontweight="bold")
        cells[0].imshow(canvas["composite"][..., :3])
        cells[0].set_xlabel(f"drawing of a {int(label)}", fontsize=size)
        for ax, (result, probabilities) in zip(cells[1:], readings[index]):
            ax.imshow(np.squeeze(result.model_input), cmap="gray", vmin=0, vmax=1)
            reads = []
            for name, probs in probabilities.items():
                guess = int(np.argmax(probs[0]))
                reads.append(
                    f"{registry.label(name)} {guess} ({100 * float(np.max(probs[0])):.0f}%)"
                    + (" ✓" if guess == int(label) else " ✗")
                )
            ax.set_xlabel("\n".join(reads), fontsize=size)
    if title:
        fig.suptitle(title, y=1 - 0.08 / height, va="top")
    return fig


def plot_user_drawings(results: dict, *, section: str = "user_drawings", models=None) -> plt.Figure:
    """Accuracy on drawings per preprocessing method and model, each seed as a dot, legend below."""
    from textwrap import fill

    study = results["research"][section]
    names = models or [name for name in registry.MODELS if name in study["accuracy"]]
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.6), layout="constrained")
    width = 0.8 / len(names)
    # a bar is about 6 in * width / 3 wide: "100" needs ~13 pt at 8 pt
    value_size = 8 if width >= 0.13 else 7.5
    for number, name in enumerate(names):
        offset = (number - (len(names) - 1) / 2) * width
        means = [100 * study["accuracy"][name][m]["mean"] for m in METHODS]
        positions = np.arange(len(METHODS)) + offset
        ax.bar(
            positions, means, width=width, color=registry.colour(name), label=registry.label(name), alpha=0.85
        )
        for position, method, mean in zip(positions, METHODS, means):
            values = [100 * v for v in study["accuracy"][name][method]["values"]]
            ax.scatter([position] * len(values), values, color="black", s=5, zorder=3)
            ax.text(position, max([mean] + values) + 1.5, f"{mean:.0f}", ha="center", fontsize=value_size)
    ax.set_xticks(range(len(METHODS)))
    ax.set_xticklabels([fill(METHOD_LABELS[m], 24) for m in METHODS], fontsize=9)
    ax.set_ylabel("Accuracy (%)")
    ax.set_ylim(0, 110)
    fig.legend(loc="outside lower center", ncol=min(len(names), 4), frameon=False)
    ax.grid(True, axis="y", alpha=0.3)
    what = (
        "test digits drawn like a user draws"
        if section == "user_drawings"
        else "digits of other writers (scikit-learn) drawn on a canvas"
    )
    ax.set_title(figure_title(f"{study['drawings']:,} {what}", results))
    return fig


def answers_title(item: dict) -> str:
    """A test digit's index and label, then each model's answer, confidence and ✓ or ✗, a line each."""
    lines = [f"#{item['index']}: true {item['label']}"]
    for name in (BASELINE, CANDIDATE):
        answer = item[name]
        mark = "✓" if answer["predicted"] == item["label"] else "✗"
        lines.append(
            f"{registry.label(name)} {answer['predicted']} ({100 * answer['confidence']:.0f}%) {mark}"
        )
    return "\n".join(lines)


def _layer(model, kind: str):
    return next(layer for layer in model.layers if type(layer).__name__ in kind)


def plot_filters(model) -> plt.Figure:
    """The learned 3x3 kernels of the first convolution on one colour scale (blue negative, red positive),
    with its colour bar."""
    kernel = np.asarray(_layer(model, ("Conv2D", "PatchConv2D")).kernel)  # (3, 3, 1, filters)
    filters = kernel.shape[-1]
    cols = 11  # 3x3 kernels large enough to read their signs in print
    rows = -(-filters // cols)
    side = PAGE_WIDTH / (cols + 1.5)
    fig, axes = plt.subplots(
        rows, cols, figsize=(PAGE_WIDTH, rows * (side + 0.12) + 0.45), squeeze=False, layout="constrained"
    )
    limit = float(np.abs(kernel).max()) or 1.0
    image = None
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < filters:
            image = ax.imshow(kernel[..., 0, index], cmap="bwr", vmin=-limit, vmax=limit)
            ax.set_title(str(index), fontsize=8, pad=2)
    bar = fig.colorbar(image, ax=axes, shrink=0.9, pad=0.01, aspect=12)
    bar.set_label("weight", fontsize=8)
    bar.ax.tick_params(labelsize=8)
    fig.suptitle(f"The {filters} learned 3x3 filters of the CNN's convolution")
    return fig


def plot_feature_maps(model, image, *, count: int = 16) -> plt.Figure:
    """What the first ``count`` filters of the convolution respond to in one digit (after ReLU)."""
    import keras

    conv = _layer(model, ("Conv2D", "PatchConv2D"))
    probe = keras.Model(model.inputs[0], conv.output)
    maps = np.asarray(probe(np.asarray(image, dtype=np.float32).reshape(1, 28, 28, 1)))[0]
    cols = 8
    rows = 1 + -(-count // cols)
    side = PAGE_WIDTH / cols - 0.1
    fig, axes = plt.subplots(rows, cols, figsize=(PAGE_WIDTH, rows * (side + 0.2) + 0.35), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    axes[0, 0].imshow(np.squeeze(image), cmap="gray_r")
    axes[0, 0].set_title("input", fontsize=8, pad=2)
    for index in range(count):
        ax = axes.flat[cols + index]
        ax.imshow(maps[..., index], cmap="magma")
        ax.set_title(f"filter {index}", fontsize=8, pad=2)
    fig.suptitle(f"Feature maps (26x26) of one test digit, filters 0-{count - 1}")
    fig.tight_layout(h_pad=0.4)
    return fig


def plot_mlp_templates(model, *, count: int = 24) -> plt.Figure:
    """The incoming weights of the MLP's first hidden units, each drawn as a 28x28 image, on one colour scale
    with its colour bar."""
    kernel = np.asarray(_layer(model, ("Dense",)).kernel)  # (784, hidden)
    cols = 8
    rows = -(-count // cols)
    side = PAGE_WIDTH / (cols + 1) - 0.1
    fig, axes = plt.subplots(
        rows, cols, figsize=(PAGE_WIDTH, rows * (side + 0.2) + 0.35), squeeze=False, layout="constrained"
    )
    limit = float(np.percentile(np.abs(kernel[:, :count]), 99.5)) or 1.0
    image = None
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < count:
            weights = kernel[:, index].reshape(28, 28)
            image = ax.imshow(weights, cmap="bwr", vmin=-limit, vmax=limit)
            ax.set_title(f"unit {index}", fontsize=8, pad=2)
    bar = fig.colorbar(image, ax=axes, shrink=0.9, pad=0.01, aspect=25, extend="both")
    bar.set_label("weight", fontsize=8)
    bar.ax.tick_params(labelsize=8)
    fig.suptitle(
        f"Weights into the MLP's first {count} hidden units, one per 28x28 pixel (red +, blue −)", fontsize=10
    )
    return fig
