"""The research sections, one module each, and the runner that computes them into results.json.

A section module declares ``KEY`` (its entry under ``results["research"]``), ``VERSION`` (a new version
recomputes it, the others are reused from the last results.json), ``REQUIRES`` (the sections it reads,
computed before it) and ``compute(ctx, research) -> dict``; beside them it holds the section's figure(s)
and table(s). ``SECTIONS`` lists them in the order the report presents them. Adding a section is one
module here and one line in ``SECTIONS``; ``docs/architecture.md`` has the recipe.
"""

from __future__ import annotations

import time

from . import (
    architecture_controls,
    architectures,
    calibration,
    capacity_control,
    cost,
    data_efficiency,
    disagreements,
    drawing_reader,
    dropout_control,
    equivariance,
    errors,
    gap_noise,
    image_sampling,
    improved_cnn,
    learning_curves,
    original_protocol,
    other_handwriting,
    overconfidence,
    permuted_pixels,
    pooling,
    recipes,
    robustness,
    shift_augmentation,
    side_seeds,
    size_seeds,
    temperature_scaling,
    tuned_sampling,
    user_drawings,
    width_sweep,
)
from .base import RESEARCH_VERSION, Context

#: The sections in report order (the models' sizes, the research chapters, the appendix's improved CNN).
SECTIONS = (
    architectures,
    cost,
    capacity_control,
    architecture_controls,
    size_seeds,
    learning_curves,
    dropout_control,
    width_sweep,
    side_seeds,
    image_sampling,
    overconfidence,
    recipes,
    tuned_sampling,
    robustness,
    permuted_pixels,
    pooling,
    equivariance,
    shift_augmentation,
    gap_noise,
    user_drawings,
    other_handwriting,
    drawing_reader,
    disagreements,
    errors,
    improved_cnn,
    calibration,
    temperature_scaling,
    data_efficiency,
    original_protocol,
)


def by_key() -> dict:
    """Every section module by its results.json key."""
    return {section.KEY: section for section in SECTIONS}


def run_order(sections=SECTIONS) -> list:
    """The sections in report order, each moved after the sections it ``REQUIRES``."""
    known = {section.KEY for section in sections}
    for section in sections:
        missing = sorted(set(section.REQUIRES) - known)
        if missing:
            raise ValueError(
                f"Research section {section.KEY!r} reads {', '.join(missing)}, which no section computes."
            )
    done, order, waiting = set(), [], list(sections)
    while waiting:
        ready = next((s for s in waiting if set(s.REQUIRES) <= done), None)
        if ready is None:
            raise ValueError(
                "The research sections require each other in a circle: "
                + ", ".join(s.KEY for s in waiting)
                + "."
            )
        order.append(ready)
        done.add(ready.KEY)
        waiting.remove(ready)
    return order


def run_research(
    results: dict,
    splits,
    paths,
    *,
    previous: dict | None = None,
    show_progress: bool = True,
    log=print,
    sections=SECTIONS,
) -> dict:
    """Every research section; a section of ``previous`` (the research of the last results.json, on the same
    runs) is reused when its version is current. Extra training runs are reused from disk as well."""
    previous = previous or {}
    old_versions = previous.get("section_versions", {})
    research = {
        "version": RESEARCH_VERSION,
        "epochs": max(results["config"]["snapshot_epochs"]),
        "seeds": results["config"]["seeds"],
        "section_versions": {},
    }
    old_seconds = previous.get("section_seconds", {})
    seconds = {}  # seconds each section took when it was last computed, for the benchmark
    # When each section was computed, if after the runs it reads (the colophon dates the report by both).
    created = {}
    ctx = Context(results, splits, paths, show_progress, log)
    for section in run_order(sections):
        key = section.KEY
        if key in previous and old_versions.get(key) == section.VERSION:
            research[key] = previous[key]
            if key in old_seconds:
                seconds[key] = old_seconds[key]
            if key in previous.get("section_created", {}):
                created[key] = previous["section_created"][key]
        else:
            mark = time.perf_counter()
            research[key] = section.compute(ctx, research)
            seconds[key] = time.perf_counter() - mark
            created[key] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        research["section_versions"][key] = section.VERSION
    research["section_seconds"] = seconds
    research["section_created"] = created
    research["seconds"] = sum(seconds.values())
    return research
