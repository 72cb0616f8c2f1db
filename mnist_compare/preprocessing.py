"""Turn any drawing into a 28x28 model input (white digit on black, float32 in [0, 1]).

Steps: read the canvas (Gradio Sketchpad dict or an array) -> flatten alpha
onto white -> grayscale -> invert (so ink is bright) -> bounding box of the ink
-> crop -> pad to a square with 20% of the longer side on each side, centred
-> resize to 28x28. Three methods, so their effect can be measured:

- ``"naive"``: the whole canvas resized to 28x28 (the original report's first demo);
- ``"bbox"``: bounding-box crop with 20% padding (the original report's second demo);
  the digit's longer side becomes 20 of the 28 pixels, the box MNIST itself uses;
- ``"bbox_com"``: the same, then shifted so its centre of mass is the image centre,
  which is how MNIST itself was centred.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps

METHODS = ("naive", "bbox", "bbox_com")
METHOD_LABELS = {
    "naive": "plain resize",
    "bbox": "crop + 20% padding",
    "bbox_com": "crop + 20% padding + centre of mass",
}
#: Crop + 20% padding + centre of mass: how MNIST itself was made, and the best reader of real
#: handwriting; the demo reads with it unless the visitor picks another.
DEFAULT_METHOD = "bbox_com"
PADDING_FRACTION = 0.2
OUTPUT_SIDE = 28
#: Ink darker than this (after inversion, in [0, 1]) is treated as background.
INK_THRESHOLD = 0.1
MAX_SIDE = 8192
MAX_PIXELS = 40_000_000


class CanvasError(ValueError):
    """The drawing cannot be used; the message is meant for the person drawing."""


class EmptyCanvasError(CanvasError):
    """Nothing was drawn."""


class InvalidCanvasError(CanvasError):
    """The value is not an image the preprocessing understands."""


class TooLittleInkError(CanvasError):
    """There is ink, but too little to be a digit (a dot, a speck)."""


class TooMuchInkError(EmptyCanvasError):
    """The canvas is mostly ink: no digit stands out from a background (so there is no digit to read)."""


#: A drawing whose ink covers more than this share of the canvas is not read as a digit.
MAX_INK_SHARE = 0.5


def _too_much_ink(share: float) -> TooMuchInkError:
    return TooMuchInkError(
        f"The canvas is {share:.0%} covered in ink, so no digit stands out: clear it and draw "
        "one digit with the brush."
    )


#: The ink's longer side must span at least this share of the canvas's shorter side to be read:
#: a single pixel or one dab of the brush (22 px on the 400 px canvas, 5.5%) is not a digit.
MIN_INK_EXTENT = 0.12


@dataclass
class PreprocessResult:
    model_input: np.ndarray  # (28, 28) float32 in [0, 1], white digit on black
    method: str
    steps: dict = field(default_factory=dict)  # name -> 2-D/3-D float array, in order
    bbox: tuple | None = None  # (top, left, bottom, right), bottom/right exclusive

    def batch(self) -> np.ndarray:
        """The input as a batch of one: shape (1, 28, 28, 1)."""
        return self.model_input[np.newaxis, :, :, np.newaxis]


def _extract_array(value) -> np.ndarray:
    if value is None:
        raise EmptyCanvasError("Draw a digit first: the canvas is empty.")
    if isinstance(value, Image.Image):
        return np.asarray(value)
    if isinstance(value, dict):
        composite = value.get("composite")
        if composite is not None:
            return _extract_array(composite)
        layers = [layer for layer in (value.get("layers") or []) if layer is not None]
        background = value.get("background")
        if background is None and not layers:
            known = {"composite", "layers", "background"}
            if not known & set(value):
                raise InvalidCanvasError(
                    f"The drawing has no image (keys: {sorted(map(str, value))}); "
                    "expected a Sketchpad value with 'composite', 'layers' or 'background'."
                )
            raise EmptyCanvasError("Draw a digit first: the canvas is empty.")
        return _composite_layers(background, layers)
    if isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value)
        except ValueError:
            raise InvalidCanvasError("The drawing is a ragged list, not an image.") from None
    if isinstance(value, np.ndarray):
        return value
    raise InvalidCanvasError(f"Cannot read a drawing from a {type(value).__name__}.")


def _as_rgba(array: np.ndarray) -> np.ndarray:
    rgba = _to_unit_float(_extract_array(array))
    if rgba.ndim == 2:
        rgba = np.stack([rgba] * 3 + [np.ones_like(rgba)], axis=-1)
    elif rgba.shape[-1] == 2:
        rgba = np.stack([rgba[..., 0]] * 3 + [rgba[..., 1]], axis=-1)
    elif rgba.shape[-1] == 3:
        rgba = np.concatenate([rgba, np.ones_like(rgba[..., :1])], axis=-1)
    return rgba


def _composite_layers(background, layers) -> np.ndarray:
    """Alpha-composite Sketchpad layers over the background (white if missing)."""
    images = [_as_rgba(layer) for layer in layers]
    if background is not None:
        base = _as_rgba(background)
    else:
        base = np.ones(images[0].shape[:2] + (4,), dtype=np.float32)
    out = base[..., :3] * base[..., 3:] + (1 - base[..., 3:])  # background onto white
    for image in images:
        if image.shape[:2] != out.shape[:2]:
            raise InvalidCanvasError("The drawing's layers have different sizes.")
        alpha = image[..., 3:]
        out = image[..., :3] * alpha + out * (1 - alpha)
    return out


def _to_unit_float(array: np.ndarray) -> np.ndarray:
    """Any numeric array -> float32 in [0, 1], with channels last (2-D or H x W x C)."""
    array = np.asarray(array)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise InvalidCanvasError(f"The drawing has {array.dtype} values; expected numbers.")
    if array.ndim == 3 and array.shape[-1] not in (1, 2, 3, 4) and array.shape[0] in (1, 3, 4):
        array = np.moveaxis(array, 0, -1)  # channels-first
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (2, 3, 4)):
        raise InvalidCanvasError(
            f"The drawing has shape {array.shape}; expected H x W gray, or H x W x 3/4 colour."
        )
    height, width = array.shape[:2]
    if height == 0 or width == 0:
        raise EmptyCanvasError("Draw a digit first: the canvas has no pixels.")
    if max(height, width) > MAX_SIDE or height * width > MAX_PIXELS:
        raise InvalidCanvasError(
            f"The drawing is {width}x{height} pixels; the largest accepted is {MAX_SIDE} per side."
        )
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if array.dtype == np.uint8:  # the usual canvas: already in range, no clipping needed
        return array.astype(np.float32) * np.float32(1 / 255)
    if np.issubdtype(array.dtype, np.integer):
        top = (
            255.0
            if array.dtype in (np.uint8, np.int8) or array.max(initial=0) <= 255
            else float(np.iinfo(array.dtype).max)
        )
        return np.clip(array.astype(np.float32) / top, 0.0, 1.0)
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)):
        raise InvalidCanvasError("The drawing contains NaN or infinite values.")
    if array.max(initial=0.0) > 1.0:
        array = array / 255.0
    return np.clip(array, 0.0, 1.0)


def flatten_to_white(array: np.ndarray) -> np.ndarray:
    """Gray, gray+alpha, RGB or RGBA in [0, 1] -> gray or RGB with transparency painted white."""
    if array.ndim == 2:
        return array
    if array.shape[-1] not in (2, 4):
        return array
    # Work on contiguous channel planes: NumPy loops over the last axis innermost, and
    # a 3- or 4-long last axis makes the same arithmetic about ten times slower.
    planes = np.ascontiguousarray(np.moveaxis(array, -1, 0))
    alpha = planes[-1]
    if len(planes) == 2:
        return planes[0] * alpha + (1.0 - alpha)
    return np.moveaxis(planes[:3] * alpha + (1.0 - alpha), 0, -1)


def to_gray(array: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, as Pillow's ``convert("L")``."""
    if array.ndim == 2:
        return array.astype(np.float32)
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.tensordot(weights, np.moveaxis(array[..., :3], -1, 0), axes=1).astype(np.float32, copy=False)


def to_ink(gray: np.ndarray, polarity: str = "auto") -> np.ndarray:
    """Make ink bright and background dark.

    ``"dark_on_light"`` inverts (a canvas), ``"light_on_dark"`` keeps (an MNIST image),
    ``"auto"`` decides from the border, which is background in any sensible drawing.
    """
    if polarity == "auto":
        border = np.concatenate([gray[0, :], gray[-1, :], gray[:, 0], gray[:, -1]])
        polarity = "light_on_dark" if np.median(border) < 0.5 else "dark_on_light"
    if polarity == "dark_on_light":
        return 1.0 - gray
    if polarity == "light_on_dark":
        return gray
    raise ValueError(f"polarity must be 'auto', 'dark_on_light' or 'light_on_dark', not {polarity!r}.")


def ink_bbox(ink: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of the pixels brighter than ``threshold``; bottom/right exclusive."""
    rows = np.flatnonzero(np.any(ink > threshold, axis=1))
    cols = np.flatnonzero(np.any(ink > threshold, axis=0))
    if rows.size == 0:
        raise EmptyCanvasError("Draw a digit first: no ink was found on the canvas.")
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def pad_to_square(cropped: np.ndarray, fraction: float = PADDING_FRACTION) -> np.ndarray:
    """Centre ``cropped`` on a black square whose side is the longer side plus
    ``fraction`` of it on each side (the original report's formula)."""
    height, width = cropped.shape
    side = max(height, width)
    padding = int(side * fraction)
    padded_side = side + 2 * padding
    padded = np.zeros((padded_side, padded_side), dtype=np.float32)
    top = (padded_side - height) // 2
    left = (padded_side - width) // 2
    padded[top : top + height, left : left + width] = cropped
    return padded


def resize(image: np.ndarray, side: int = OUTPUT_SIDE, resample=Image.Resampling.LANCZOS) -> np.ndarray:
    """Resize a float image in [0, 1] to side x side (Lanczos by default), clipped to [0, 1]."""
    pil = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32), mode="F")
    resized = pil.resize((side, side), resample=resample, reducing_gap=3.0)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def centre_of_mass_shift(image: np.ndarray) -> np.ndarray:
    """Shift by whole pixels so the centre of mass lands on the image centre (as MNIST did)."""
    from scipy import ndimage

    if image.sum() <= 0:
        return image
    centre = (np.array(image.shape) - 1) / 2.0
    offset = np.round(centre - np.array(ndimage.center_of_mass(image)))
    return ndimage.shift(image, offset, order=0, mode="constant", cval=0.0).astype(np.float32)


def preprocess(
    value,
    method: str = "bbox",
    *,
    polarity: str = "auto",
    ink_threshold: float = INK_THRESHOLD,
    padding_fraction: float = PADDING_FRACTION,
    resample=Image.Resampling.LANCZOS,
) -> PreprocessResult:
    """Turn a drawing into a 28x28 model input and keep every intermediate step.

    Raises ``EmptyCanvasError`` when nothing is drawn and ``InvalidCanvasError``
    for values that are not images; both are ``ValueError`` with a message for
    the person drawing.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}.")
    drawing = flatten_to_white(_to_unit_float(_extract_array(value)))
    gray = to_gray(drawing)
    ink = to_ink(gray, polarity)
    try:
        bbox = ink_bbox(ink, ink_threshold)
    except EmptyCanvasError:
        dark = float((gray < 0.5).mean())
        # A colour canvas that is all ink (its border too, so the ink was taken for the background); a gray
        # array of zeros stays an empty image, as an MNIST digit with nothing drawn.
        if drawing.ndim == 3 and dark > MAX_INK_SHARE:
            raise _too_much_ink(dark) from None
        raise
    steps = {"drawing": drawing, "inverted": ink}
    if method == "naive":
        output = resize(ink, resample=resample)
    else:
        top, left, bottom, right = bbox
        cropped = ink[top:bottom, left:right]
        padded = pad_to_square(cropped, padding_fraction)
        output = resize(padded, resample=resample)
        steps.update(cropped=cropped, padded=padded)
        if method == "bbox_com":
            steps["resized"] = output
            output = centre_of_mass_shift(output)
    steps["input"] = output
    return PreprocessResult(model_input=output.astype(np.float32), method=method, steps=steps, bbox=bbox)


def check_enough_ink(result: PreprocessResult, min_extent: float = MIN_INK_EXTENT) -> PreprocessResult:
    """``result`` if its ink spans at least ``min_extent`` of the canvas's shorter side and covers at most
    ``MAX_INK_SHARE`` of it, else ``TooLittleInkError`` or ``TooMuchInkError`` (a message for the person
    drawing)."""
    top, left, bottom, right = result.bbox
    share = float((result.steps["inverted"] > 0.5).mean())
    if share > MAX_INK_SHARE:
        raise _too_much_ink(share)
    canvas = min(result.steps["inverted"].shape[:2])
    if max(bottom - top, right - left) < min_extent * canvas:
        raise TooLittleInkError(
            f"Too little ink to read: draw the digit larger (at least {min_extent:.0%} "
            "of the canvas's height)."
        )
    return result


#: The original report's own two pipelines (its demos' code, step by step), run beside this project's methods
#: so that its claim about cropping is tested with its code: every drawing is inverted, every pixel above 0 is
#: ink, the padding is a whole number of pixels and Pillow resizes with its default filter.
ORIGINAL_METHODS = {
    "original_naive": "plain resize (the original's code)",
    "original_bbox": "crop + 20% padding (the original's code)",
}
#: This project's version of each of the original report's pipelines (a key of ``METHODS``).
ORIGINAL_COUNTERPARTS = {"original_naive": "naive", "original_bbox": "bbox"}


def original_input(value, method: str) -> np.ndarray:
    """The (1, 28, 28, 1) input the original report's code makes of a drawing with ``method`` (a key of
    ``ORIGINAL_METHODS``): gray (Pillow's "L"), inverted, then resized to 28x28, or first cropped to the
    pixels above 0 and centred on a black square with int(20% of its side) added on each side. Raises
    ``EmptyCanvasError`` where the original's demo says nothing is drawn."""
    if method not in ORIGINAL_METHODS:
        raise ValueError(f"method must be one of {tuple(ORIGINAL_METHODS)}, not {method!r}.")
    data = np.asarray(_extract_array(value))
    data = (data * 255).astype(np.uint8) if data.max() <= 1.0 else data.astype(np.uint8)
    inverted = ImageOps.invert(Image.fromarray(data).convert("L"))
    if method == "original_naive":
        resized = inverted.resize((OUTPUT_SIDE, OUTPUT_SIDE))
    else:
        pixels = np.array(inverted)
        if np.all(pixels == 0):
            raise EmptyCanvasError("Draw a digit first: the canvas is empty.")
        coords = np.argwhere(pixels > 0)
        (top, left), (bottom, right) = coords.min(axis=0), coords.max(axis=0)
        cropped = pixels[top : bottom + 1, left : right + 1]
        height, width = cropped.shape
        side = max(height, width)
        padded_side = side + 2 * int(side * PADDING_FRACTION)
        padded = np.zeros((padded_side, padded_side), dtype=np.uint8)
        row, col = (padded_side - height) // 2, (padded_side - width) // 2
        padded[row : row + height, col : col + width] = cropped
        resized = Image.fromarray(padded).resize((OUTPUT_SIDE, OUTPUT_SIDE))
    return (np.array(resized) / 255.0).astype(np.float32).reshape(1, OUTPUT_SIDE, OUTPUT_SIDE, 1)


def to_model_input(value, method: str = "bbox", **options) -> np.ndarray:
    """Just the (1, 28, 28, 1) batch for a model."""
    return preprocess(value, method, **options).batch()
