"""What the models look at: occlusion maps over the 28x28 input, cheap enough for every stroke.

For each model, a ``patch`` x ``patch`` square of the input is blanked at every position on a grid
of ``stride`` pixels, and the drop in the model's probability for its own answer is recorded; a
pixel's value is the mean drop over the squares that cover it. Blanking needs no gradients, so it
works with the demo's NumPy inference: one batch of 145 inputs per drawing (about 5-15 ms here).
"""

from __future__ import annotations

import functools

import numpy as np

PATCH = 6
STRIDE = 2


@functools.lru_cache(maxsize=8)
def _positions(side: int, patch: int, stride: int) -> tuple[tuple[int, int], ...]:
    starts = list(range(0, side - patch + 1, stride))
    if starts[-1] != side - patch:  # the last row and column are covered too
        starts.append(side - patch)
    return tuple((top, left) for top in starts for left in starts)


def occluded_batch(image: np.ndarray, *, patch: int = PATCH, stride: int = STRIDE) -> np.ndarray:
    """``image`` (28x28) followed by one copy per grid position with a square blanked: (1 + P, 28, 28, 1)."""
    image = np.asarray(image, dtype=np.float32)
    positions = _positions(image.shape[0], patch, stride)
    batch = np.repeat(image[np.newaxis], len(positions) + 1, axis=0)
    for index, (top, left) in enumerate(positions, start=1):
        batch[index, top : top + patch, left : left + patch] = 0.0
    return batch[..., np.newaxis]


def occlusion_maps(probabilities: dict, side: int = 28, *, patch: int = PATCH, stride: int = STRIDE) -> dict:
    """name -> (side, side) map of the mean probability drop of the model's answer, from the
    probabilities of ``occluded_batch`` (row 0 is the untouched input)."""
    positions = _positions(side, patch, stride)
    coverage = np.zeros((side, side), dtype=np.float32)
    for top, left in positions:
        coverage[top : top + patch, left : left + patch] += 1
    maps = {}
    for name, rows in probabilities.items():
        rows = np.asarray(rows, dtype=np.float32)
        digit = int(np.argmax(rows[0]))
        drops = np.clip(rows[0, digit] - rows[1:, digit], 0.0, None)
        heat = np.zeros((side, side), dtype=np.float32)
        for drop, (top, left) in zip(drops, positions):
            heat[top : top + patch, left : left + patch] += drop
        maps[name] = heat / coverage
    return maps


def explain(predict, image: np.ndarray, *, patch: int = PATCH, stride: int = STRIDE) -> dict:
    """Occlusion maps of every model of ``predict`` (a batch -> {name: probabilities} function)."""
    batch = occluded_batch(image, patch=patch, stride=stride)
    return occlusion_maps(predict(batch), batch.shape[1], patch=patch, stride=stride)


def overlay(image: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """The input in gray with the map in red-to-yellow on top (scaled to its own maximum): RGB uint8."""
    base = np.clip(np.asarray(image, dtype=np.float32), 0, 1) * 0.55
    peak = float(heat.max())
    level = heat / peak if peak > 1e-6 else np.zeros_like(heat)
    rgb = np.stack([base + level, base + np.clip(level - 0.45, 0, 1) * 1.6, base * (1 - level)], axis=-1)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)
