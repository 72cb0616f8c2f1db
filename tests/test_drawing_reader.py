"""The demo's reader trained for drawings: its augmentation, its registry entry and run, the handwriting sets
it is measured on (small data, no training here: the shipped run is read)."""

from dataclasses import replace

import numpy as np
import pytest

from mnist_compare import augmentation, drawings, registry, strokes, training
from mnist_compare.preprocessing import preprocess


def digit_images(count=64):
    """Thick bars and rings on 28x28, in [0, 1]: shapes with known ink."""
    rng = np.random.default_rng(0)
    images = np.zeros((count, 28, 28, 1), np.float32)
    for index in range(count):
        top, left = rng.integers(6, 10, size=2)
        images[index, top : top + 12, left : left + 3, 0] = 1.0
        images[index, top : top + 3, left : left + 9, 0] = 1.0
    return images


def test_handwriting_augmentation_is_seeded_keeps_a_share_and_changes_the_rest():
    images = digit_images(400)
    first = augmentation.handwriting_augment(images, np.random.default_rng(1))
    again = augmentation.handwriting_augment(images, np.random.default_rng(1))
    other = augmentation.handwriting_augment(images, np.random.default_rng(2))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.shape == images.shape and first.dtype == np.float32
    assert first.min() >= 0.0 and first.max() <= 1.0
    same = np.all(first == images, axis=(1, 2, 3))
    share = augmentation.HANDWRITING.unchanged
    assert abs(same.mean() - share) < 0.08, same.mean()
    ink = first.reshape(len(first), -1).sum(axis=1) / images.reshape(len(images), -1).sum(axis=1)
    assert ink.min() > 0.2 and ink.max() > 1.3, "strokes thinner and thicker, never wiped out"


def test_no_distortion_but_a_shift_moves_the_ink_by_that_shift():
    images = digit_images(8)
    settings = augmentation.HandwritingAugmentation(
        rotation=0.0,
        shear=0.0,
        scale=(1.0, 1.0),
        shift=0.0,
        elastic_alpha=0.0,
        unchanged=0.0,
        thinner=0.0,
        thicker=0.0,
    )
    out = augmentation.handwriting_augment(images, np.random.default_rng(0), settings)
    np.testing.assert_allclose(out, images, atol=1e-5)


def test_the_reader_is_a_demo_model_with_its_own_run_and_the_registry_refuses_one_nothing_trains():
    readers = registry.reader_models()
    assert readers and set(readers) <= set(registry.demo_models())
    for name in readers:
        assert not registry.entry(name).in_grid and registry.entry(name).epochs
        assert training.model_snapshots(name, False) == (registry.entry(name).epochs,)
        assert training.model_snapshots(name, True) == (registry.FAST_READER_EPOCHS,)
        assert training.shown_snapshot(name, False, epochs=5) == registry.entry(name).epochs
    untrained = dict(registry.MODELS, extra=replace(registry.MODELS[readers[0]], name="extra", epochs=None))
    with pytest.raises(ValueError, match="not trained"):
        registry.check(untrained)


def test_a_run_made_with_another_recipe_is_trained_again(tmp_path, monkeypatch):
    name = registry.reader_models()[0]
    recipe = training.recipe(name)
    assert recipe["augment"] == "handwriting" and recipe["handwriting"]["rotation"] > 0
    spec = training.RunSpec(name, 0, (2,), 32, "x", 10, True)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    record = {"spec": spec.as_dict(), "recipe": {**recipe, "augment": "none"}, "artefacts": {}}
    (run_dir / training.RUN_RECORD).write_text(__import__("json").dumps(record))
    finished, why = training.check_run(run_dir, spec)
    assert finished is None and "recipe" in why


def test_stroke_digits_are_seeded_labelled_and_read_as_drawings():
    canvases, labels = strokes.stroke_digits(30, seed=4)
    again, _ = strokes.stroke_digits(30, seed=4)
    assert labels.tolist() == [i % 10 for i in range(30)]
    assert all(np.array_equal(a, b) for a, b in zip(canvases, again))
    for canvas in canvases:
        assert canvas.shape == (400, 400) and canvas.dtype == np.uint8
        assert 0.003 < (canvas < 128).mean() < 0.3, "ink on the canvas, inside it"
        assert preprocess(canvas, "bbox_com").model_input.shape == (28, 28)


def test_font_digits_draw_every_digit_in_every_font():
    from matplotlib import font_manager

    font = font_manager.findfont("DejaVu Sans")
    canvases, labels, fonts = drawings.font_digits([font], 2, seed=0)
    assert labels.tolist() == sorted(list(range(10)) * 2) and set(fonts.tolist()) == {0}
    for canvas in canvases:
        assert canvas.shape == (400, 400) and (canvas < 128).any()
