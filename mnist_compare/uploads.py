"""Checks of uploaded images, shared by the page's canvas (``canvas.decode``) and the ``/predict`` API.

An image is checked from its header alone, before its pixels are decoded: a 37 KB PNG can declare
13000x13000 pixels (169 M, 0.7 GB once decoded as RGBA). An image that fails a check becomes a sentence
for the person drawing (``preprocessing.InvalidCanvasError``), never an HTTP 500.
"""

from __future__ import annotations

import warnings
from io import BytesIO

from PIL import Image, UnidentifiedImageError

from .errors import first_line
from .preprocessing import CanvasError, InvalidCanvasError

#: The most pixels an uploaded image may have; larger ones are refused from their header, before
#: decoding (a 37 KB PNG can declare 13000x13000 pixels: 169 M, 0.7 GB once decoded as RGBA).
MAX_UPLOAD_PIXELS = 4096 * 4096
UNREADABLE_KEY = "unreadable"


def check_upload_header(source) -> None:
    """Check an uploaded image (path or bytes) from its header alone, without decoding its pixels.

    Raises ``InvalidCanvasError`` with a sentence for the user when it is not an image or has too
    many pixels.
    """
    too_large = (
        f"the most this demo reads is {MAX_UPLOAD_PIXELS:,} pixels (for example 4096x4096). "
        "Send a smaller picture of the drawing."
    )
    try:
        with warnings.catch_warnings():  # Pillow warns of big images; the size is checked just below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            raw = isinstance(source, (bytes, bytearray, memoryview))
            image = Image.open(BytesIO(source) if raw else source)
    except Image.DecompressionBombError:  # Pillow's own limit, twice its warning size
        raise InvalidCanvasError(f"The image has far too many pixels; {too_large}") from None
    except UnidentifiedImageError:
        raise InvalidCanvasError(
            "That upload is not an image Pillow can read; send a PNG or JPEG of the drawing."
        ) from None
    except OSError as error:
        raise InvalidCanvasError(f"The upload could not be opened ({error.strerror or error}).") from None
    with image:
        width, height = image.size
    if width * height > MAX_UPLOAD_PIXELS:
        raise InvalidCanvasError(f"The image is {width}x{height} pixels; {too_large}")


def _payload_files(sketchpad, payload) -> list:
    """The uploaded images of a Sketchpad payload (``EditorData``): file records with a ``path``, or the
    bytes the page streamed to the component (kept in its ``blob_storage`` under the payload's ``id``)."""
    parts = payload
    if getattr(payload, "id", None) is not None:
        parts = getattr(sketchpad, "blob_storage", {}).get(payload.id) or payload
    files = [getattr(parts, "background", None), getattr(parts, "composite", None)]
    files += list(getattr(parts, "layers", None) or [])
    return [item for item in files if item is not None]


def guard_uploads(sketchpad):
    """Make ``sketchpad`` (a ``gr.Sketchpad``) check its uploads before Gradio decodes them.

    Its public ``preprocess(payload)`` is wrapped on the instance: every image of the payload is checked
    from its header first (``check_upload_header``: not an image, or too many pixels), then Gradio's own
    decoding runs, and its failures (a truncated or corrupt file) become a message too. An unreadable or
    oversized image reaches the demo's function as a message (a value with the key ``unreadable``), not as
    an HTTP 500. Only the component's public method is used, whose signature is the same in every Gradio
    6 release (a subclass of a Gradio component would make Gradio write a ``.pyi`` file beside this module).
    """
    preprocess = sketchpad.preprocess

    def checked_preprocess(payload):
        try:
            for item in _payload_files(sketchpad, payload):
                check_upload_header(item if isinstance(item, (bytes, bytearray, memoryview)) else item.path)
            try:
                return preprocess(payload)  # decodes the pixels once
            # a truncated or corrupt file
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
                detail = first_line(error, 80)
                if "truncated" in detail.lower():  # Pillow: "image file is truncated (N bytes not processed)"
                    detail = "the file ends before the image does"
                raise InvalidCanvasError(
                    f"The image could not be decoded ({detail}). Draw or upload it again."
                ) from None
        except CanvasError as error:
            return {UNREADABLE_KEY: str(error)}

    sketchpad.preprocess = checked_preprocess
    return sketchpad
