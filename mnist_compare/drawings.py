"""User-like drawings: MNIST test digits rendered the way people draw on a canvas.

A person draws black ink on a large white canvas, anywhere on it, at any size,
with the brush width of the app. ``user_like_canvas`` turns a 28x28 MNIST digit
into such a canvas value (the same dict ``gr.Sketchpad`` returns), so that the
demo's preprocessing can be measured on thousands of "drawings" with known labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

CANVAS_SIDE = 400
#: Digit height as a fraction of the canvas side, and the stroke change in canvas pixels
#: (negative = thinner by erosion, positive = thicker by dilation).
SCALE_RANGE = (0.2, 0.8)
STROKE_RANGE = (-2, 8)


@dataclass(frozen=True)
class DrawingStyle:
    """Where and how big the digit is drawn, and how thick the stroke is."""

    scale: float
    top: int
    left: int
    stroke: int


def random_style(
    rng: np.random.Generator,
    *,
    canvas_side: int = CANVAS_SIDE,
    scale_range=SCALE_RANGE,
    stroke_range=STROKE_RANGE,
) -> DrawingStyle:
    scale = float(rng.uniform(*scale_range))
    side = max(8, int(round(canvas_side * scale)))
    top, left = (int(v) for v in rng.integers(0, canvas_side - side + 1, size=2))
    stroke = int(rng.integers(stroke_range[0], stroke_range[1] + 1))
    return DrawingStyle(scale, top, left, stroke)


def render(digit: np.ndarray, style: DrawingStyle, *, canvas_side: int = CANVAS_SIDE) -> dict:
    """Black ink on a white ``canvas_side`` square canvas, as a Sketchpad value."""
    ink = np.asarray(digit, dtype=np.float32)
    ink = np.squeeze(ink)
    if ink.max() > 1.0:
        ink = ink / 255.0
    side = max(8, int(round(canvas_side * style.scale)))
    big = Image.fromarray((ink * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BILINEAR)
    big = np.asarray(big, dtype=np.float32) / 255.0
    if style.stroke > 0:
        big = ndimage.grey_dilation(big, size=(style.stroke + 1, style.stroke + 1))
    elif style.stroke < 0:
        big = ndimage.grey_erosion(big, size=(1 - style.stroke, 1 - style.stroke))
    canvas = np.ones((canvas_side, canvas_side), dtype=np.float32)
    canvas[style.top : style.top + side, style.left : style.left + side] = 1.0 - big
    rgb = np.round(canvas * 255).astype(np.uint8)
    rgba = np.dstack([rgb, rgb, rgb, np.full_like(rgb, 255)])
    return {"background": None, "layers": [], "composite": rgba}


def user_like_canvas(
    digit: np.ndarray,
    rng: np.random.Generator,
    *,
    canvas_side: int = CANVAS_SIDE,
    scale_range=SCALE_RANGE,
    stroke_range=STROKE_RANGE,
) -> dict:
    """One MNIST digit drawn at a random place, size and stroke width on a white canvas."""
    style = random_style(rng, canvas_side=canvas_side, scale_range=scale_range, stroke_range=stroke_range)
    return render(digit, style, canvas_side=canvas_side)


def user_like_canvases(digits, *, seed: int, canvas_side: int = CANVAS_SIDE, **ranges) -> list[dict]:
    """Seeded user-like canvases, one per digit (same seed, same drawings)."""
    rng = np.random.default_rng(seed)
    return [user_like_canvas(digit, rng, canvas_side=canvas_side, **ranges) for digit in digits]


def other_handwriting(count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Handwriting that is not MNIST: scikit-learn's 1,797 digits (8x8, from 43 other writers, UCI),
    smoothed up to 32x32 in [0, 1], and their labels; the first ``count`` if given."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images[:count] / 16.0
    smooth = np.clip(ndimage.zoom(images, (1, 4, 4), order=3), 0.0, 1.0)
    return smooth.astype(np.float32), digits.target[:count].astype(np.int64)


#: How a font digit is drawn on the canvas: its height as a share of the canvas, rotation in degrees, and
#: the pen's extra width (PIL's ``stroke_width``) as a share of the font size.
FONT_VARIATION = {"height": (0.25, 0.9), "rotation": 15.0, "stroke": (0.0, 0.06)}


def font_digits(font_paths, per_digit: int, *, seed: int, canvas_side: int = CANVAS_SIDE):
    """Digits typed in the given fonts (handwriting fonts make handwriting nobody here wrote): for each font
    and digit, ``per_digit`` canvases with the digit at a random size, place, rotation and pen width, black
    on white as the Sketchpad sends them. Returns (uint8 gray canvases, labels, the font index of each)."""
    from PIL import ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    canvases, labels, fonts = [], [], []
    for font_index, path in enumerate(font_paths):
        for digit in range(10):
            for _ in range(per_digit):
                height = rng.uniform(*FONT_VARIATION["height"]) * canvas_side
                font = ImageFont.truetype(str(path), size=max(8, int(height * 1.3)))
                stroke = int(round(rng.uniform(*FONT_VARIATION["stroke"]) * font.size))
                glyph = Image.new("L", (canvas_side * 2, canvas_side * 2), 0)
                ImageDraw.Draw(glyph).text(
                    (canvas_side // 2, canvas_side // 2),
                    str(digit),
                    font=font,
                    fill=255,
                    stroke_width=stroke,
                    stroke_fill=255,
                )
                angle = rng.uniform(-FONT_VARIATION["rotation"], FONT_VARIATION["rotation"])
                glyph = glyph.rotate(angle, resample=Image.Resampling.BILINEAR)
                box = glyph.getbbox()
                if box is None:
                    continue
                ink = glyph.crop(box)
                scale = min(1.0, 0.95 * canvas_side / max(ink.size), height / ink.size[1])
                ink = ink.resize(
                    (max(1, int(ink.size[0] * scale)), max(1, int(ink.size[1] * scale))),
                    Image.Resampling.BILINEAR,
                )
                canvas = Image.new("L", (canvas_side, canvas_side), 0)
                left = int(rng.integers(0, canvas_side - ink.size[0] + 1))
                top = int(rng.integers(0, canvas_side - ink.size[1] + 1))
                canvas.paste(ink, (left, top))
                canvases.append(255 - np.asarray(canvas))
                labels.append(digit)
                fonts.append(font_index)
    return canvases, np.asarray(labels, dtype=np.int64), np.asarray(fonts, dtype=np.int64)
