"""Digits drawn as pen strokes: the strokes the browser tests draw, and a seeded set of stroke digits
varied the way people vary their writing (slant, rotation, size, proportions, wobble, pen width, place on
the canvas), rendered as the Sketchpad sends them. Handwriting that is not MNIST, made here.
"""

from __future__ import annotations

import math

import numpy as np


def _arc(cx, cy, rx, ry, start, end, points=24):
    """Points of an elliptical arc (angles in degrees, 0 = right, 90 = down, as on a screen)."""
    return [
        (
            cx + rx * math.cos(math.radians(start + (end - start) * i / points)),
            cy + ry * math.sin(math.radians(start + (end - start) * i / points)),
        )
        for i in range(points + 1)
    ]


#: Strokes as lists of (x, y) in canvas fractions: one list of strokes per way of writing a digit
#: (the browser test draws two of each digit, each in its own style).
DIGIT_STYLES = {
    0: [[_arc(0.5, 0.5, 0.2, 0.3, -90, 275)], [_arc(0.5, 0.5, 0.14, 0.28, -100, 262)]],
    1: [[[(0.5, 0.2), (0.5, 0.8)]], [[(0.38, 0.3), (0.53, 0.18), (0.53, 0.8)]]],  # with a flag
    2: [
        [_arc(0.5, 0.35, 0.17, 0.15, 190, 390) + [(0.3, 0.8), (0.72, 0.8)]],
        [_arc(0.48, 0.33, 0.16, 0.13, 200, 380) + [(0.34, 0.78), (0.3, 0.8), (0.7, 0.79)]],
    ],
    3: [
        [_arc(0.48, 0.34, 0.16, 0.14, 200, 450) + _arc(0.48, 0.63, 0.18, 0.17, 270, 500)[1:]],
        [[(0.32, 0.2), (0.66, 0.2), (0.48, 0.42)] + _arc(0.48, 0.6, 0.18, 0.18, 280, 500)[1:]],
    ],  # flat top
    4: [
        [[(0.4, 0.18), (0.3, 0.58), (0.72, 0.58)], [(0.6, 0.3), (0.6, 0.84)]],
        [[(0.62, 0.84), (0.62, 0.18), (0.28, 0.6), (0.74, 0.6)]],
    ],  # closed
    5: [
        [[(0.68, 0.2), (0.37, 0.2), (0.34, 0.46)] + _arc(0.48, 0.62, 0.18, 0.18, 225, 500)[1:]],
        [[(0.36, 0.2), (0.33, 0.46)] + _arc(0.48, 0.62, 0.18, 0.18, 225, 500)[1:], [(0.36, 0.2), (0.7, 0.2)]],
    ],
    6: [
        [[(0.62, 0.18), (0.45, 0.35), (0.33, 0.62)] + _arc(0.5, 0.65, 0.17, 0.16, 180, 540)[1:]],
        [_arc(0.56, 0.42, 0.24, 0.26, 270, 180) + _arc(0.5, 0.66, 0.16, 0.15, 180, 520)[1:]],
    ],
    7: [
        [[(0.3, 0.22), (0.7, 0.22), (0.45, 0.8)]],
        [[(0.3, 0.22), (0.7, 0.22), (0.45, 0.8)], [(0.42, 0.5), (0.66, 0.5)]],
    ],  # crossed
    8: [
        [_arc(0.5, 0.33, 0.14, 0.14, 90, 450) + _arc(0.5, 0.64, 0.17, 0.17, -90, 270)[1:]],
        [_arc(0.5, 0.34, 0.15, 0.15, 0, 360), _arc(0.5, 0.65, 0.17, 0.16, -90, 270)],
    ],
    9: [
        [_arc(0.5, 0.35, 0.17, 0.15, 0, 370) + [(0.67, 0.35), (0.63, 0.82)]],
        [_arc(0.5, 0.36, 0.16, 0.14, 0, 370) + [(0.66, 0.4), (0.58, 0.65), (0.45, 0.82)]],
    ],  # curved tail
}
DIGIT_STROKES = {digit: styles[0] for digit, styles in DIGIT_STYLES.items()}


def render_strokes(strokes, *, size: int = 400, width: int = 22):
    """The strokes drawn with a round black brush on a white ``size`` x ``size`` canvas (uint8 gray):
    what the Sketchpad sends for them, without a browser."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x * size, y * size) for x, y in stroke]
        draw.line(points, fill=0, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    return np.asarray(image)


#: The ranges a stroke digit's variation is drawn from (uniformly): rotation and slant of the whole digit,
#: the scale of each axis, the wobble of the pen (as a share of the canvas), the digit's height on the
#: canvas, and the pen width in canvas pixels.
STROKE_VARIATION = {
    "rotation": 12.0,
    "slant": 0.25,
    "x_scale": (0.75, 1.2),
    "y_scale": (0.85, 1.15),
    "wobble": 0.012,
    "height": (0.3, 0.95),
    "width": (8, 34),
}


def _varied(strokes, rng: np.random.Generator, size: int, variation: dict) -> tuple[list, int]:
    angle = math.radians(rng.uniform(-variation["rotation"], variation["rotation"]))
    slant = rng.uniform(-variation["slant"], variation["slant"])
    sx, sy = rng.uniform(*variation["x_scale"]), rng.uniform(*variation["y_scale"])
    matrix = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]) @ np.array(
        [[sx, -slant * sy], [0.0, sy]]
    )
    phase, frequency = rng.uniform(0, 2 * math.pi, 2), rng.uniform(2, 6, 2)
    varied = []
    for stroke in strokes:
        xy = np.asarray(stroke, dtype=float) - 0.5
        xy = xy @ matrix.T
        t = np.linspace(0, 1, len(xy))
        xy += variation["wobble"] * np.sin(2 * math.pi * frequency[None, :] * t[:, None] + phase[None, :])
        varied.append(xy)
    xy = np.concatenate(varied)
    low, high = xy.min(axis=0), xy.max(axis=0)
    height = rng.uniform(*variation["height"])
    width = int(rng.integers(variation["width"][0], variation["width"][1] + 1))
    scale = height / max(high[1] - low[1], 1e-6)
    margin = width / 2 / size
    extent = (high - low) * scale
    if extent.max() > 1 - 2 * margin:
        scale *= (1 - 2 * margin) / extent.max()
        extent = (high - low) * scale
    corner = np.array([rng.uniform(margin, max(margin, 1 - margin - e)) for e in extent])
    return [[tuple(p) for p in (xy_stroke - low) * scale + corner] for xy_stroke in varied], width


def stroke_digits(count: int, *, seed: int, size: int = 400, variation: dict | None = None):
    """``count`` stroke digits (labels cycling 0-9, each of the two ways of writing it in turn), each varied
    at random (``STROKE_VARIATION``) and rendered on a white ``size`` canvas: (list of uint8 gray canvases,
    labels)."""
    variation = {**STROKE_VARIATION, **(variation or {})}
    rng = np.random.default_rng(seed)
    canvases, labels = [], []
    for index in range(count):
        digit = index % 10
        styles = DIGIT_STYLES[digit]
        strokes, width = _varied(styles[(index // 10) % len(styles)], rng, size, variation)
        canvases.append(render_strokes(strokes, size=size, width=width))
        labels.append(digit)
    return canvases, np.asarray(labels, dtype=np.int64)
