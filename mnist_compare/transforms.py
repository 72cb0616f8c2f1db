"""Image transformations the research sections apply to 28x28 digits: shifts, rotations, scaling, noise
(seeded, so every model and seed sees the same changed images), and the levels the robustness curves use."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

ROBUSTNESS_SEED = 2024


#: Whole curves, from no change to where the models fail: every pixel of shift up to 8 (a digit
#: is about 20 pixels wide), every 10 degrees up to 60, zoom 0.5-1.5, noise up to half the ink's value.
ROBUSTNESS_LEVELS = {
    "shift": [0, 1, 2, 3, 4, 5, 6, 7, 8],  # pixels, in a random direction per image
    "rotation": [0, 10, 20, 30, 40, 50, 60],  # degrees, random sign per image
    "scale": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5],  # zoom about the image centre
    "noise": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],  # standard deviation of added Gaussian noise, clipped to [0, 1]
    "unclipped noise": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],  # the same draw of noise, not clipped
}


#: The level of each transform that leaves the image as it is.
UNCHANGED_LEVEL = {"shift": 0, "rotation": 0, "scale": 1.0, "noise": 0.0, "unclipped noise": 0.0}


ROBUSTNESS_UNITS = {
    "shift": "pixels",
    "rotation": "degrees",
    "scale": "zoom factor",
    "noise": "noise std",
    "unclipped noise": "noise std",
}


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def shift_images(images: np.ndarray, pixels: float, seed: int = ROBUSTNESS_SEED) -> np.ndarray:
    """Move every digit ``pixels`` away in a random direction (zeros fill in)."""
    if pixels == 0:
        return images.copy()
    angles = rng(seed).uniform(0, 2 * np.pi, len(images))
    out = np.empty_like(images)
    for i, (image, angle) in enumerate(zip(images, angles)):
        out[i] = ndimage.shift(image, (pixels * np.sin(angle), pixels * np.cos(angle), 0), order=1, cval=0.0)
    return out


def rotate_images(images: np.ndarray, degrees: float, seed: int = ROBUSTNESS_SEED) -> np.ndarray:
    """Rotate every digit by ``degrees`` clockwise or anticlockwise (random per image) about its centre."""
    if degrees == 0:
        return images.copy()
    signs = rng(seed).choice([-1.0, 1.0], len(images))
    out = np.empty_like(images)
    for i, (image, sign) in enumerate(zip(images, signs)):
        out[i, ..., 0] = ndimage.rotate(image[..., 0], sign * degrees, reshape=False, order=1, cval=0.0)
    return np.clip(out, 0, 1)


def scale_images(images: np.ndarray, factor: float) -> np.ndarray:
    """Zoom every digit by ``factor`` about the image centre (the canvas stays 28x28)."""
    if factor == 1.0:
        return images.copy()
    centre = (np.array(images.shape[1:3]) - 1) / 2
    matrix = np.eye(2) / factor
    offset = centre - matrix @ centre
    out = np.empty_like(images)
    for i, image in enumerate(images):
        out[i, ..., 0] = ndimage.affine_transform(image[..., 0], matrix, offset=offset, order=1, cval=0.0)
    return np.clip(out, 0, 1)


def noisy_images(images: np.ndarray, std: float, seed: int = ROBUSTNESS_SEED) -> np.ndarray:
    """The noise of ``unclipped_noisy_images`` (same seed, same draw), clipped to [0, 1]."""
    return np.clip(unclipped_noisy_images(images, std, seed), 0, 1)


def unclipped_noisy_images(images: np.ndarray, std: float, seed: int = ROBUSTNESS_SEED) -> np.ndarray:
    """The noise of ``noisy_images`` (same seed, same draw) left unclipped: zero mean, so the background is
    not brightened on average, and pixels may leave [0, 1]."""
    if std == 0:
        return images.copy()
    return images + rng(seed).normal(0, std, images.shape).astype(np.float32)


TRANSFORMS = {
    "shift": shift_images,
    "rotation": rotate_images,
    "scale": scale_images,
    "noise": noisy_images,
    "unclipped noise": unclipped_noisy_images,
}
