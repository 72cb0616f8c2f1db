"""Capacity control: an MLP widened to the CNN's parameter count (does size explain the CNN's lead?)."""

from __future__ import annotations

from .base import CONTROL_MODEL, Context, extra_runs, extra_summary, progress_bar

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "capacity_control"
VERSION = 3
REQUIRES = ()


def compute(ctx: Context, research: dict) -> dict:
    ctx.log(f"Research: capacity control ({CONTROL_MODEL}, {len(ctx.seeds)} seeds)")
    with progress_bar(len(ctx.seeds) * ctx.last, ctx.show_progress) as progress:
        control = extra_runs(
            "control", [CONTROL_MODEL], ctx.seeds, ctx.splits, ctx.snapshot_epochs, ctx.paths, progress
        )
    return extra_summary(control, ctx.snapshot_epochs)
