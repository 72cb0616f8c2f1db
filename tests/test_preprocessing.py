import numpy as np
import pytest
from PIL import Image

from mnist_compare import preprocessing as pp


def white_canvas(height=100, width=100):
    return np.full((height, width), 255, dtype=np.uint8)


def rectangle_canvas():
    """A black 20x40 rectangle (rows 20-39, columns 30-69) on a white 100x100 canvas."""
    canvas = white_canvas()
    canvas[20:40, 30:70] = 0
    return canvas


def test_rectangle_known_bbox_crop_and_padding():
    result = pp.preprocess(rectangle_canvas(), "bbox", resample=Image.Resampling.BOX)
    assert result.bbox == (20, 30, 40, 70)
    assert result.steps["cropped"].shape == (20, 40)
    assert np.all(result.steps["cropped"] == 1.0)
    # longer side 40, padding int(0.2 * 40) = 8 on each side -> 56x56, rectangle centred
    padded = result.steps["padded"]
    assert padded.shape == (56, 56)
    expected_padded = np.zeros((56, 56), dtype=np.float32)
    expected_padded[18:38, 8:48] = 1.0
    np.testing.assert_array_equal(padded, expected_padded)
    # an exact 2x box downscale: the rectangle becomes rows 9-18, columns 4-23
    expected = np.zeros((28, 28), dtype=np.float32)
    expected[9:19, 4:24] = 1.0
    np.testing.assert_allclose(result.model_input, expected, atol=1e-6)
    assert result.batch().shape == (1, 28, 28, 1)


def test_rectangle_default_filter_keeps_mass_and_centre():
    result = pp.preprocess(rectangle_canvas(), "bbox")
    image = result.model_input
    assert image.dtype == np.float32 and image.shape == (28, 28)
    assert 0.0 <= image.min() and image.max() <= 1.0
    assert image.sum() == pytest.approx(200.0, rel=0.03)
    rows, cols = np.indices(image.shape)
    assert (rows * image).sum() / image.sum() == pytest.approx(13.5, abs=0.05)
    assert (cols * image).sum() / image.sum() == pytest.approx(13.5, abs=0.05)


def test_naive_resize_keeps_the_whole_canvas():
    canvas = np.full((56, 56), 255, dtype=np.uint8)
    canvas[0:10, 0:10] = 0  # ink in the corner stays in the corner
    result = pp.preprocess(canvas, "naive", resample=Image.Resampling.BOX)
    expected = np.zeros((28, 28), dtype=np.float32)
    expected[0:5, 0:5] = 1.0
    np.testing.assert_allclose(result.model_input, expected, atol=1e-6)
    assert "cropped" not in result.steps


def test_centre_of_mass_method_centres_the_mass():
    canvas = white_canvas()
    canvas[10:90, 10:20] = 0  # an L: a tall bar ...
    canvas[80:90, 10:60] = 0  # ... and a foot, so the mass is off the box centre
    plain = pp.preprocess(canvas, "bbox").model_input
    centred = pp.preprocess(canvas, "bbox_com").model_input
    from scipy import ndimage

    plain_offset = np.abs(np.array(ndimage.center_of_mass(plain)) - 13.5)
    centred_offset = np.abs(np.array(ndimage.center_of_mass(centred)) - 13.5)
    assert plain_offset.max() > 1.5
    assert centred_offset.max() <= 0.5
    # a whole-pixel shift moves the digit; only faint Lanczos ringing at the edge may fall off
    assert centred.sum() == pytest.approx(plain.sum(), rel=1e-3)


def test_black_on_transparent_equals_black_on_white():
    on_white = np.zeros((80, 80, 4), dtype=np.uint8)
    on_white[..., :3] = 255
    on_white[..., 3] = 255
    on_transparent = np.zeros((80, 80, 4), dtype=np.uint8)
    for image in (on_white, on_transparent):
        image[20:60, 35:45, :3] = 0
        image[20:60, 35:45, 3] = 255
    np.testing.assert_array_equal(
        pp.preprocess(on_white).model_input, pp.preprocess(on_transparent).model_input
    )


def test_sketchpad_dict_uses_composite_or_layers():
    background = np.full((60, 60, 4), 255, dtype=np.uint8)
    layer = np.zeros((60, 60, 4), dtype=np.uint8)
    layer[10:50, 25:35] = [0, 0, 0, 255]
    composite = background.copy()
    composite[10:50, 25:35] = [0, 0, 0, 255]
    from_composite = pp.preprocess({"background": background, "layers": [layer], "composite": composite})
    from_layers = pp.preprocess({"background": background, "layers": [layer], "composite": None})
    np.testing.assert_allclose(from_composite.model_input, from_layers.model_input, atol=1e-6)


def test_mnist_style_white_on_black_is_not_inverted():
    image = np.zeros((28, 28), dtype=np.uint8)
    image[6:22, 12:16] = 255
    result = pp.preprocess(image, "bbox")
    assert result.steps["inverted"].max() == 1.0 and result.steps["inverted"][0, 0] == 0.0


def huge_with_digit():
    canvas = np.full((4000, 4000), 255, dtype=np.uint8)
    canvas[1000:3000, 1800:2200] = 0
    return canvas


VALID = {
    "one-pixel dot": lambda: np.where(np.arange(10000).reshape(100, 100) == 5050, 0, 255).astype(np.uint8),
    "4000x4000 canvas": huge_with_digit,
    "float in [0, 1]": lambda: rectangle_canvas().astype(np.float32) / 255.0,
    "float in [0, 255]": lambda: rectangle_canvas().astype(np.float64),
    "bool mask (True = ink)": lambda: rectangle_canvas() == 0,
    "RGB": lambda: np.stack([rectangle_canvas()] * 3, axis=-1),
    "gray + alpha": lambda: np.stack([rectangle_canvas(), np.full((100, 100), 255, np.uint8)], -1),
    "channels first": lambda: np.stack([rectangle_canvas()] * 3, axis=0),
    "PIL image": lambda: Image.fromarray(rectangle_canvas()),
    "nested list": lambda: rectangle_canvas().tolist(),
    "uint16": lambda: rectangle_canvas().astype(np.uint16) * 257,
}

EMPTY = {
    "None": lambda: None,
    "cleared Sketchpad": lambda: {"background": None, "layers": [], "composite": None},
    "white canvas": white_canvas,
    "all black": lambda: np.zeros((100, 100), dtype=np.uint8),
    "fully transparent RGBA": lambda: np.zeros((100, 100, 4), dtype=np.uint8),
    "1x1 image": lambda: np.zeros((1, 1), dtype=np.uint8),
    "zero-size": lambda: np.zeros((0, 10), dtype=np.uint8),
}

INVALID = {
    "NaN": lambda: np.full((10, 10), np.nan),
    "inf": lambda: np.where(rectangle_canvas() == 0, np.inf, 1.0),
    "dict with unknown keys": lambda: {"image": None, "mask": 3},
    "a string": lambda: "digit.png",
    "5 channels": lambda: np.zeros((10, 10, 5), dtype=np.uint8),
    "4-D array": lambda: np.zeros((2, 10, 10, 3), dtype=np.uint8),
    "10000 pixels wide": lambda: np.broadcast_to(np.uint8(255), (10, 10000)),
    "object array": lambda: np.array([[object()]], dtype=object),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_inputs_give_a_finite_input(name):
    result = pp.preprocess(VALID[name]())
    assert result.model_input.shape == (28, 28)
    assert np.all(np.isfinite(result.model_input)) and result.model_input.max() > 0.5


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_empty_inputs_raise_the_empty_canvas_error(name):
    with pytest.raises(pp.EmptyCanvasError, match="Draw a digit"):
        pp.preprocess(EMPTY[name]())


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_inputs_raise_a_clear_error(name):
    with pytest.raises(pp.InvalidCanvasError) as info:
        pp.preprocess(INVALID[name]())
    assert "\n" not in str(info.value) and len(str(info.value)) > 20


def test_unknown_method_and_polarity():
    with pytest.raises(ValueError, match="method"):
        pp.preprocess(rectangle_canvas(), "magic")
    with pytest.raises(ValueError, match="polarity"):
        pp.preprocess(rectangle_canvas(), polarity="sideways")


@pytest.mark.parametrize("covered", [1.0, 0.8])
def test_a_canvas_covered_in_ink_is_told_so_not_that_it_is_empty(covered):
    canvas = np.full((400, 400, 4), 255, np.uint8)
    rows = int(400 * covered)
    canvas[:rows, :, :3] = 0
    value = {"background": None, "layers": [], "composite": canvas}
    with pytest.raises(pp.TooMuchInkError, match="covered in ink"):
        pp.check_enough_ink(pp.preprocess(value, "bbox_com", polarity="dark_on_light"))
    if covered == 1.0:  # whatever the polarity
        with pytest.raises(pp.TooMuchInkError, match="covered in ink"):
            pp.check_enough_ink(pp.preprocess(value, "bbox_com"))


def test_the_original_reports_own_pipelines_as_it_wrote_them():
    from PIL import ImageOps

    canvas = np.full((100, 100, 4), 255, dtype=np.uint8)
    canvas[10:30, 50:70, :3] = 0  # a black square
    # A barely gray speck far from it: ink for the original (any pixel above 0 after inversion), not for ours.
    canvas[90, 90, :3] = 250
    naive = pp.original_input(canvas, "original_naive")
    expected = np.array(ImageOps.invert(Image.fromarray(canvas).convert("L")).resize((28, 28))) / 255.0
    assert naive.shape == (1, 28, 28, 1)
    np.testing.assert_allclose(naive[0, ..., 0], expected, atol=1e-6)
    cropped = pp.original_input(canvas, "original_bbox")[0, ..., 0]
    ours = pp.preprocess(canvas, "bbox").model_input
    # Ours crops to the square and centres it; the original's crop reaches the speck, so the square sits in a
    # corner of its input.
    rows, cols = np.nonzero(ours > 0.5)
    assert abs(rows.mean() - 13.5) < 1 and abs(cols.mean() - 13.5) < 1
    rows, cols = np.nonzero(cropped > 0.5)
    assert rows.mean() < 10 and cols.mean() < 12
    with pytest.raises(pp.EmptyCanvasError):
        pp.original_input(np.full((50, 50, 3), 255, dtype=np.uint8), "original_bbox")
    with pytest.raises(ValueError):
        pp.original_input(canvas, "bbox")
