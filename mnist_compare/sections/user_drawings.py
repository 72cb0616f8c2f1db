"""User-like drawings: MNIST test digits drawn on a canvas the way a visitor draws, read through each
preprocessing method."""

from __future__ import annotations

from ..formatting import caption, markdown_table, paired, pp
from ..metrics import format_mean_std
from ..preprocessing import METHOD_LABELS, METHODS
from ..registry import BASELINE, CANDIDATE
from .base import Context, drawing_accuracies

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "user_drawings"
VERSION = 3
REQUIRES = ("capacity_control", "architecture_controls")


def compute(ctx: Context, research: dict) -> dict:
    ctx.log("Research: user-like drawings through each preprocessing method")
    return drawing_accuracies(ctx.all_models(research), ctx.splits)


def user_drawings_markdown(results: dict) -> str:

    study = results["research"]["user_drawings"]
    rows = []
    for method in METHODS:
        mlp, cnn = study["accuracy"][BASELINE][method], study["accuracy"][CANDIDATE][method]
        rows.append(
            [
                METHOD_LABELS[method],
                format_mean_std(mlp, percent=True),
                format_mean_std(cnn, percent=True),
                pp(paired(cnn, mlp)),
            ]
        )
    return (
        caption(results, f"Accuracy (%) on {study['drawings']:,} user-like drawings")
        + "\n\n"
        + markdown_table(["Preprocessing", "MLP", "CNN", "CNN − MLP"], rows)
    )
