"""What the notebooks call, so that the notebooks themselves only narrate.

``setup()`` starts every notebook; ``ensure_results()`` reads ``results.json`` or
trains what is missing; ``load_models()`` returns saved models (training a run
only when it is missing); ``show()`` and ``save_and_show()`` display Markdown and
figures. Environment switches: ``MNIST_COMPARE_FAST=1`` (small subset, 1 epoch,
outputs labelled FAST) and ``MNIST_COMPARE_HEADLESS=1`` (set by the report runner
and the notebook tests: live demos are launched, checked and closed).
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from . import config, import_tensorflow_quietly, registry, storage
from .data import load_mnist, prepare_splits
from .errors import MnistCompareError, ReadOnlyError
from .experiments import ensure_results as ensure
from .experiments import package_versions, read_results
from .formatting import markdown_table
from .plots import RC_PARAMS, save_figure
from .registry import BASELINE, CANDIDATE
from .training import (
    DamagedArtefactError,
    load_model_file,
    read_temperature,
    results_disagreement,
    run_spec,
    shown_snapshot,
    snapshot_path,
    train_run,
    verify_snapshot,
)

ENV_HEADLESS = "MNIST_COMPARE_HEADLESS"


@dataclass(frozen=True)
class Context:
    """What a notebook needs to know about this session."""

    fast: bool
    paths: config.OutputPaths

    @property
    def label(self) -> str:
        return config.FAST_LABEL if self.fast else "full MNIST"


#: The widest the demo's picture is shown in a notebook and the report (CSS pixels).
DEMO_PICTURE_WIDTH = 560


def headless() -> bool:
    """True when notebooks run unattended (report export, tests): no live widgets are left open."""
    return config._truthy(os.environ.get(ENV_HEADLESS))


def read_only() -> bool:
    """True in the kernels ``report`` starts: they read results and models and never train."""
    return config._truthy(os.environ.get(config.ENV_READ_ONLY))


def show(markdown: str) -> None:
    """Display Markdown (tables and sentences rendered from results)."""
    from IPython.display import Markdown, display

    display(Markdown(markdown))


def show_source(*objects) -> None:
    """Display the source code of package functions or classes (read from the package, so the
    notebook shows exactly what runs, without defining anything itself)."""
    import inspect

    from IPython.display import Markdown, display

    for item in objects:
        module = inspect.getmodule(item).__name__
        source = inspect.getsource(item).rstrip()
        display(Markdown(f"From `{module}`:\n\n```python\n{source}\n```"))


def _relative(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(config.PROJECT_ROOT))
    except ValueError:
        return str(path)


def sharp_inline_figures() -> None:
    """In a notebook kernel, have the inline backend write each figure as a PNG of twice the pixels, shown at
    the same size (its "retina" format: the output's metadata gives the size); the report prints it at the
    same size too, at about 300 ppi instead of 150. Outside a kernel, nothing."""
    from IPython.core.interactiveshell import InteractiveShell

    if not InteractiveShell.initialized():
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("retina")


def setup() -> Context:
    """Matplotlib defaults, output folders, and a one-line banner saying which mode is on."""
    import matplotlib.pyplot as plt

    import_tensorflow_quietly()

    plt.rcParams.update(RC_PARAMS)  # figures PAGE_WIDTH wide at 150 dpi: printed at their own font sizes
    sharp_inline_figures()
    fast = config.fast_mode()
    paths = config.output_paths(fast).make()
    storage.remove_stale_temporaries(
        paths.figures, paths.reports
    )  # left by killed processes, never a live one's
    context = Context(fast, paths)
    if fast:
        show(
            f"**{config.FAST_LABEL}.** `MNIST_COMPARE_FAST=1`: a {config.FAST_TRAIN_SIZE:,}-image "
            f"training subset and {config.FAST_EPOCHS} epoch, so the numbers below only check that "
            f"everything runs. Outputs go to `{_relative(paths.root)}`."
        )
    else:
        show(
            f"Mode: full MNIST. Results are read from `{_relative(paths.results)}` and saved models "
            f"from `{_relative(paths.models)}`; anything missing is trained first."
        )
    return context


def versions_markdown() -> str:
    """The libraries this notebook runs with, as a Markdown table."""

    rows = [[name, version or "not installed"] for name, version in package_versions().items()]
    return markdown_table(["Library", "Version"], rows)


def ensure_results(*, seed_count: int | None = None) -> dict:
    """``results.json`` if it holds the whole grid; otherwise train the missing runs and write it."""

    return ensure(
        seed_count=seed_count, fast=config.fast_mode(), show_progress=not headless(), train=not read_only()
    )


def ensure_models(
    names=None,
    *,
    epochs: int | None = None,
    seed: int = config.FIRST_SEED,
    fast: bool | None = None,
) -> dict:
    """The run folder of each named model of one seed (default: the compared models and the demo's); a run
    without the snapshot is trained first."""
    from tqdm.auto import tqdm

    names = names or tuple(dict.fromkeys(registry.COMPARED + registry.demo_models()))
    fast = config.fast_mode(fast)
    paths = config.output_paths(fast).make()
    splits = None
    run_dirs = {}
    for name in names:
        run_dir = paths.models / f"{name}_seed{seed}"
        snapshot = shown_snapshot(name, fast, epochs)
        try:
            verify_snapshot(run_dir, snapshot)
        except (FileNotFoundError, DamagedArtefactError) as error:
            if read_only():
                raise ReadOnlyError(f"{error} (this notebook runs read-only, under `report`)") from None
            print(f"The saved {registry.label(name)} of seed {seed} cannot be used; training it now.")
            splits = splits or prepare_splits(fast=fast)
            spec = run_spec(name, seed, splits, fast=fast)
            with (
                storage.output_lock(paths.root, what="a notebook"),
                tqdm(total=spec.epochs, unit="epoch", disable=headless()) as progress,
            ):
                train_run(spec, splits, run_dir, progress=progress)
        try:
            results = read_results(paths.results, fast) if paths.results.is_file() else None
        except (OSError, ValueError, MnistCompareError):  # the notebook's results cell names the problem
            results = None
        notice = results_disagreement(run_dir, snapshot, results)
        if notice:
            print(notice)
        run_dirs[name] = run_dir
    return run_dirs


def load_models(
    names=(BASELINE, CANDIDATE), *, epochs: int | None = None, seed: int = config.FIRST_SEED
) -> dict:
    """Saved models of one seed at one snapshot; a missing run is trained first (with progress)."""

    fast = config.fast_mode()
    # ensure_models has checked each snapshot's sha256 (or just trained and recorded it)
    return {
        name: load_model_file(snapshot_path(run_dir, shown_snapshot(name, fast, epochs)))
        for name, run_dir in ensure_models(names, epochs=epochs, seed=seed).items()
    }


def load_reader(names=None, *, epochs: int | None = None, seed: int = config.FIRST_SEED):
    """The demo's reader (default: the registry's demo models) of the saved models of one seed: each model's
    confidences scaled by the temperature fitted on the validation set (its ``calibration.json``, when fitted
    for this snapshot; else unscaled)."""
    # lazy: the reader pulls in the demo's image code only when a notebook reads drawings
    from .reader import DigitReader

    names = names or registry.demo_models()
    fast = config.fast_mode()
    run_dirs = ensure_models(names, epochs=epochs, seed=seed)
    models = load_models(names, epochs=epochs, seed=seed)
    return DigitReader(
        models,
        {
            name: read_temperature(run_dir, shown_snapshot(name, fast, epochs))
            for name, run_dir in run_dirs.items()
        },
    )


def save_and_show(fig, name: str) -> None:
    """Write the figure to ``figures/<name>.png`` (FAST outputs elsewhere); Jupyter shows it."""

    save_figure(fig, name, fast=config.fast_mode())


def test_images(count: int = 10):
    """The first ``count`` images and labels of the MNIST test set (uint8, as published)."""

    _, (x_test, y_test) = load_mnist()
    return x_test[:count], y_test[:count]


#: The demo this kernel launched last (``show_demo``), so that running the notebook again replaces it.
_LIVE_DEMO = None


def close_live_demo() -> int | None:
    """Close the demo ``show_demo`` launched in this kernel, if any; return the port it used."""
    global _LIVE_DEMO
    app, _LIVE_DEMO = _LIVE_DEMO, None
    if app is None:
        return None
    port = getattr(app, "server_port", None)
    try:
        app.close()
    except Exception:  # already closed, or its server died: nothing left to free
        pass
    return port


def show_demo(app, *, share: bool = False, screenshot: Path | None = None) -> None:
    """Embed the live demo in the notebook without blocking the kernel.

    Headless (report export, tests): launch it, check that it answers, close it,
    and show ``screenshot`` (a static image of the demo) instead.
    """
    from IPython.display import Image, display

    # lazy: Gradio takes seconds to import; only the demo notebooks launch it
    from . import demo

    if not headless():
        global _LIVE_DEMO
        port = close_live_demo()  # Run all again: the app this kernel launched before gives way, port and all
        try:
            demo.launch_demo(app, share=share, block=False, port=port)
        except OSError:  # its port was taken by something else meanwhile: the next free one
            demo.launch_demo(app, share=share, block=False)
        _LIVE_DEMO = app
        return
    import urllib.request

    app.launch(
        prevent_thread_lock=True, quiet=True, ssr_mode=False, inline=False, show_error=False, css=demo.CSS
    )
    try:
        with urllib.request.urlopen(app.local_url, timeout=30) as response:
            status = response.status
    finally:
        # Gradio prints the port it closes, which depends on what else runs on the machine: the committed
        # output would change from one export to the next.
        with contextlib.redirect_stdout(io.StringIO()):
            app.close()
    print(
        f"Headless run: the demo started, answered HTTP {status}, and was closed. "
        "Run this notebook in Jupyter or Colab to draw in it."
    )
    if screenshot is not None and Path(screenshot).is_file():
        from PIL import Image as Picture  # lazy: only a headless run shows the picture

        from .browser import REPORT  # lazy: the browser module is only for this picture's width

        with Picture.open(screenshot) as picture:
            width = picture.width
        # The report's picture is taken at 2 device pixels per CSS pixel (sharp in print): shown at most at
        # ``DEMO_PICTURE_WIDTH`` CSS pixels, which leaves the page's smallest text above 7 pt in print.
        shown = width // 2 if width > REPORT["width"] else width
        display(Image(filename=str(screenshot), width=min(shown, DEMO_PICTURE_WIDTH)))
