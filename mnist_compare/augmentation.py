"""Handwriting-like distortions of MNIST training digits: how the demo's drawing reader is trained.

People draw a digit slanted, rotated, squashed, wobbly and with a pen thinner or thicker than MNIST's.
``handwriting_augment`` gives each training image, anew every epoch, a random affine change (rotation,
shear, scale, shift), an elastic distortion (Simard, Steinkraus and Platt 2003: a random displacement
field smoothed by a Gaussian) and, for some images, a thinner or thicker stroke. NumPy and SciPy only;
seeded, so a run is reproduced exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class HandwritingAugmentation:
    """The ranges each image's distortion is drawn from (uniformly)."""

    #: Rotation in degrees, shear (x moves by ``shear`` times y), scale of each axis, shift in pixels.
    rotation: float = 15.0
    shear: float = 0.3
    scale: tuple[float, float] = (0.75, 1.15)
    shift: float = 2.0
    #: Elastic distortion: displacement of up to ``elastic_alpha`` pixels before smoothing with a Gaussian
    #: of ``elastic_sigma`` pixels (Simard et al. used 34 and 4 on 29x29 digits).
    elastic_alpha: float = 34.0
    elastic_sigma: float = 4.0
    #: Share of images left as they are (so the model keeps MNIST's own digits), drawn thinner (erosion) and
    #: drawn thicker (dilation by 2x2, or by 3x3 for half of those: a felt pen, a bold font).
    unchanged: float = 0.2
    thinner: float = 0.15
    thicker: float = 0.45
    very_thick: float = 0.5


HANDWRITING = HandwritingAugmentation()


def _elastic_fields(count: int, side: int, alpha: np.ndarray, sigma: float, rng) -> np.ndarray:
    fields = rng.uniform(-1.0, 1.0, size=(2, count, side, side)).astype(np.float32)
    for axis in range(2):
        fields[axis] = ndimage.gaussian_filter(fields[axis], sigma=(0, sigma, sigma), mode="constant")
    return fields * alpha[None, :, None, None]


def _affine_sources(count: int, side: int, settings: HandwritingAugmentation, rng) -> np.ndarray:
    """For every output pixel of every image, where it is read from (row, column) under a random affine map
    about the image centre."""
    angle = np.deg2rad(rng.uniform(-settings.rotation, settings.rotation, count))
    shear = rng.uniform(-settings.shear, settings.shear, count)
    scale = rng.uniform(*settings.scale, size=(count, 2))
    shift = rng.uniform(-settings.shift, settings.shift, size=(count, 2))
    cos, sin = np.cos(angle), np.sin(angle)
    # The output (row, col) = R @ Shear @ Scale @ source; sources come from the inverse map.
    forward = np.empty((count, 2, 2))
    forward[:, 0, 0] = cos * scale[:, 0]
    forward[:, 0, 1] = -sin * scale[:, 1] + cos * shear * scale[:, 1]
    forward[:, 1, 0] = sin * scale[:, 0]
    forward[:, 1, 1] = cos * scale[:, 1] + sin * shear * scale[:, 1]
    inverse = np.linalg.inv(forward)
    centre = (side - 1) / 2.0
    grid = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), axis=-1) - centre
    offsets = grid[None, :, :, None, :] - shift[:, None, None, None, :]
    sources = np.einsum("nij,nhwxj->nhwi", inverse, offsets) + centre
    return np.moveaxis(sources, -1, 0).astype(np.float32)


def _stroke_width(images: np.ndarray, settings: HandwritingAugmentation, rng) -> np.ndarray:
    choice = rng.uniform(size=len(images))
    out = images.copy()
    thin = choice < settings.thinner
    thick = (choice >= settings.thinner) & (choice < settings.thinner + settings.thicker)
    very_thick = thick & (rng.uniform(size=len(images)) < settings.very_thick)
    thick &= ~very_thick
    for mask, operation, size in (
        (thin, ndimage.grey_erosion, 2),
        (thick, ndimage.grey_dilation, 2),
        (very_thick, ndimage.grey_dilation, 3),
    ):
        if mask.any():
            out[mask] = operation(images[mask], size=(1, size, size))
    if thin.any():
        # An erosion that takes a whole thin stroke away leaves the digit as it was.
        kept = out[thin].reshape(int(thin.sum()), -1).max(axis=1) > 0.5
        rows = np.flatnonzero(thin)[~kept]
        out[rows] = images[rows]
    return out


def handwriting_augment(
    images: np.ndarray, rng: np.random.Generator, settings: HandwritingAugmentation = HANDWRITING
) -> np.ndarray:
    """``images`` (N, 28, 28[, 1], float in [0, 1]) each distorted at random as described in the module
    docstring; a share ``settings.unchanged`` of them is returned as it is."""
    shape = images.shape
    flat = images.reshape(shape[0], shape[1], shape[2]).astype(np.float32)
    count, side = flat.shape[0], flat.shape[1]
    changed = np.flatnonzero(rng.uniform(size=count) >= settings.unchanged)
    out = flat.copy()
    chunk = 8192
    for start in range(0, len(changed), chunk):
        rows = changed[start : start + chunk]
        n = len(rows)
        sources = _affine_sources(n, side, settings, rng)
        alpha = rng.uniform(0.0, settings.elastic_alpha, n).astype(np.float32)
        sources += _elastic_fields(n, side, alpha, settings.elastic_sigma, rng)
        index = np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None], (n, side, side))
        warped = ndimage.map_coordinates(
            flat[rows], [index, sources[0], sources[1]], order=1, mode="constant", cval=0.0
        )
        out[rows] = _stroke_width(np.clip(warped, 0.0, 1.0), settings, rng)
    return out.reshape(shape)
