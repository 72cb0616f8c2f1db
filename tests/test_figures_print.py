"""Every figure the report shows is readable in print: its smallest text prints at 7 pt or more.

Each figure is drawn as its notebook draws it (same ``plots`` call, same arguments, the notebooks'
Matplotlib settings ``plots.RC_PARAMS``), from the committed ``reports/results.json``, the shipped
seed-0 models and the small shipped MNIST subset. Every text Matplotlib draws (titles, axis labels,
tick labels, legends, annotations) is measured at the size the report prints the figure at
(``plots.printed_scale``: the PNG of the tight bounding box, one CSS pixel per pixel, narrowed to the
A4 column or the 200 mm height cap).
"""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")

import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mnist_compare import config, plots, sections  # noqa: E402
from tests.conftest import SMALL_MNIST  # noqa: E402

RESULTS = config.PROJECT_ROOT / "reports" / "results.json"
MODELS = config.PROJECT_ROOT / "models"
EPOCHS = 10


@pytest.fixture(scope="module")
def results():
    from mnist_compare.experiments import read_results

    return read_results(RESULTS, False)


@pytest.fixture(scope="module")
def mnist():
    with np.load(SMALL_MNIST) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def numpy_models():
    """The seed-0 models read without Keras (what ``DigitReader`` computes with)."""
    from mnist_compare.keras_archive import read_archive

    return {name: read_archive(MODELS / f"{name}_seed0" / f"epoch{EPOCHS}.keras") for name in ("mlp", "cnn")}


@pytest.fixture(scope="module")
def keras_models():
    """The seed-0 models as Keras models (``notebook.load_models``): notebook 07 draws their layers."""
    from mnist_compare import import_tensorflow_quietly

    import_tensorflow_quietly()
    from mnist_compare.training import load_model_file

    return {
        name: load_model_file(MODELS / f"{name}_seed0" / f"epoch{EPOCHS}.keras") for name in ("mlp", "cnn")
    }


def _readings(request, names, seed, count, methods, title):
    from mnist_compare import demo, drawings

    models = request.getfixturevalue("numpy_models")
    data = request.getfixturevalue("mnist")
    reader = demo.DigitReader({name: models[name] for name in names})
    canvases = drawings.user_like_canvases(data["x_test"][:count], seed=seed)
    return plots.plot_drawing_readings(
        reader, canvases, data["y_test"][:count], methods=methods, per_row=1, title=title
    )


def _test_predictions(request, name, title):
    from mnist_compare import demo

    data = request.getfixturevalue("mnist")
    reader = demo.DigitReader({name: request.getfixturevalue("numpy_models")[name]})
    images, labels = data["x_test"][:10], data["y_test"][:10]
    probabilities = reader.predict(images[..., None].astype("float32") / 255.0)
    return plots.plot_test_predictions(images, labels, probabilities, title=title)


def _preprocessing_steps(request):
    from mnist_compare import drawings, preprocessing

    data = request.getfixturevalue("mnist")
    canvases = drawings.user_like_canvases(data["x_test"][:4], seed=7)
    steps = preprocessing.preprocess(canvases[0], "bbox")
    return plots.plot_preprocessing_steps(
        steps, title="The preprocessing steps of one drawing (crop + 20% padding)"
    )


def _error_gallery(request):
    data = request.getfixturevalue("mnist")
    test_images = np.resize(data["x_test"], (10_000, 28, 28))  # the gallery indexes the full test set
    return sections.errors.plot_error_gallery(request.getfixturevalue("results"), test_images, count=6)


#: Every figure the report shows: the notebooks' (``notebook.save_and_show(figure, name)``, drawn with their
#: arguments).
FIGURES = {
    "01_sample_grid": lambda r: plots.plot_sample_grid(
        r.getfixturevalue("mnist")["x_train"][:27],
        r.getfixturevalue("mnist")["y_train"][:27],
        title="The first 27 MNIST training images",
    ),
    "01_class_balance": lambda r: plots.plot_class_balance(
        r.getfixturevalue("mnist")["y_train"], r.getfixturevalue("mnist")["y_test"]
    ),
    "01_math_primer": lambda r: plots.plot_math_primer(r.getfixturevalue("mnist")["x_train"][0]),
    "02_mlp_learning_curves": lambda r: plots.plot_learning_curves(
        r.getfixturevalue("results"), models=("mlp",)
    ),
    "02_mlp_test_predictions": lambda r: _test_predictions(r, "mlp", "MLP: the first ten test images"),
    "02_mlp_drawing_readings": lambda r: _readings(
        r, ("mlp",), 7, 4, ("naive", "bbox"), "MLP: the same drawings through demo v1 and demo v2"
    ),
    "02_mlp_preprocessing_steps": _preprocessing_steps,
    "03_cnn_learning_curves": lambda r: plots.plot_learning_curves(
        r.getfixturevalue("results"), models=("cnn",)
    ),
    "03_cnn_test_predictions": lambda r: _test_predictions(r, "cnn", "CNN: the first ten test images"),
    "03_cnn_drawing_readings": lambda r: _readings(
        r, ("cnn",), 7, 4, ("naive", "bbox"), "CNN: the same drawings through demo v1 and demo v2"
    ),
    "04_learning_curves": lambda r: plots.plot_learning_curves(r.getfixturevalue("results")),
    "04_confusion_matrices": lambda r: plots.plot_confusion_matrices(
        r.getfixturevalue("results"), max(r.getfixturevalue("results")["config"]["snapshot_epochs"])
    ),
    "06_robustness": lambda r: sections.robustness.plot_robustness(r.getfixturevalue("results")),
    "06_drawing_examples": lambda r: _readings(
        r,
        ("mlp", "cnn"),
        3,
        2,
        ("naive", "bbox", "bbox_com"),
        "User-like drawings through the three preprocessing methods",
    ),
    "06_user_drawings": lambda r: plots.plot_user_drawings(r.getfixturevalue("results")),
    "06_other_handwriting": lambda r: plots.plot_user_drawings(
        r.getfixturevalue("results"), section="other_handwriting"
    ),
    "06_error_gallery": _error_gallery,
    "06_equivariance": lambda r: sections.equivariance.plot_equivariance(
        r.getfixturevalue("keras_models"),
        r.getfixturevalue("mnist")["x_test"][0],
        results=r.getfixturevalue("results"),
    ),
    "06_shift_augmentation": lambda r: sections.shift_augmentation.plot_shift_augmentation(
        r.getfixturevalue("results")
    ),
    "06_disagreements": lambda r: sections.disagreements.plot_disagreements(
        r.getfixturevalue("results"), np.resize(r.getfixturevalue("mnist")["x_test"], (10_000, 28, 28))
    ),
    "06_gap_noise": lambda r: sections.gap_noise.plot_gap_noise(r.getfixturevalue("results")),
    "07_cnn_filters": lambda r: plots.plot_filters(r.getfixturevalue("keras_models")["cnn"]),
    "07_cnn_feature_maps": lambda r: plots.plot_feature_maps(
        r.getfixturevalue("keras_models")["cnn"], r.getfixturevalue("mnist")["x_test"][0]
    ),
    "07_mlp_templates": lambda r: plots.plot_mlp_templates(r.getfixturevalue("keras_models")["mlp"]),
    "07_reliability": lambda r: sections.calibration.plot_reliability(r.getfixturevalue("results")),
    "07_data_efficiency": lambda r: sections.data_efficiency.plot_data_efficiency(
        r.getfixturevalue("results")
    ),
}


@contextmanager
def drawn_texts():
    """Collect every text Matplotlib actually draws (visible, non-empty, inside a drawn parent)."""
    drawn = []
    original = matplotlib.text.Text.draw

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        return original(self, renderer)

    matplotlib.text.Text.draw = draw
    try:
        yield drawn
    finally:
        matplotlib.text.Text.draw = original


def _describe(text) -> str:
    return repr(text.get_text().replace("\n", " ")[:60])


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_text_prints_at_7_points_or_more(name, request):
    with plt.rc_context(plots.RC_PARAMS):
        fig = FIGURES[name](request)
        try:
            with drawn_texts() as texts:
                fig.canvas.draw()
            scale = plots.printed_scale(fig)
            width, height = plots.printed_size(fig)
        finally:
            plt.close(fig)
    assert texts, f"{name}: no text drawn"
    small = sorted(
        (text.get_fontsize() * scale, _describe(text))
        for text in texts
        if text.get_fontsize() * scale < plots.MIN_PRINTED_POINTS - 1e-9
    )
    assert not small, (
        f"{name} prints {width:.2f} x {height:.2f} in (x{scale:.2f}); texts under "
        f"{plots.MIN_PRINTED_POINTS:g} pt: "
        + "; ".join(f"{text} at {size:.1f} pt" for size, text in small[:8])
    )


#: Three images of the committed reports/mnist_mlp_vs_cnn_no_code.pdf (pdfimages -list, and the size each is
#: drawn
#: at in the page): a 1,090 x 397 px PNG printed 501 pt wide (the column), an 813 x 1,102 px one 567 pt tall
#: (the 200 mm cap), a 657 x 330 px one at 96 ppi, 492.75 pt wide (its own size).
PRINTED_IN_THE_PDF = [((1090, 397), 501.0, 182.25), ((813, 1102), 418.5, 567.0), ((657, 330), 492.75, 247.5)]


@pytest.mark.parametrize("pixels, width_pt, height_pt", PRINTED_IN_THE_PDF)
def test_printed_size_matches_the_committed_pdf(pixels, width_pt, height_pt):
    # a frame filling the figure: its tight box is the whole figure, plus savefig.pad_inches (0.1 in) each
    # side
    fig = plt.figure(figsize=(pixels[0] / 100 - 0.2, pixels[1] / 100 - 0.2), dpi=100)
    try:
        fig.patches.append(
            matplotlib.patches.Rectangle((0, 0), 1, 1, transform=fig.transFigure, fill=False, linewidth=0)
        )
        width, height = plots.printed_size(fig)
    finally:
        plt.close(fig)
    assert (width * 72, height * 72) == pytest.approx((width_pt, height_pt), abs=1.0)
