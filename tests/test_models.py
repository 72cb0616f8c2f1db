import numpy as np
import pytest

from mnist_compare import models


def test_mlp_matches_the_original_report():
    model = models.build_mlp()
    assert model.count_params() == 101_770
    assert [layer.count_params() for layer in model.layers] == [0, 100_480, 1_290]


def test_cnn_matches_the_original_report():
    model = models.build_cnn()
    assert model.count_params() == 542_230
    assert [layer.count_params() for layer in model.layers] == [320, 0, 0, 540_900, 1_010]
    assert model.get_layer("conv").output.shape[1:] == (26, 26, 32)
    assert model.get_layer("flatten").output.shape[1:] == (5408,)


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_outputs_are_probabilities(name):
    model = models.compile_model(models.build_model(name))
    batch = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    probabilities = np.asarray(model(batch))
    assert probabilities.shape == (4, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert model.loss == "sparse_categorical_crossentropy"


def test_unknown_model_name():
    with pytest.raises(ValueError, match="Unknown model"):
        models.build_model("resnet")


def test_reshape_pooling_drops_the_leftover_row_and_column_like_max_pooling():
    """On an odd 11x11 map (the improved CNN's second block) both give the same 5x5 values and
    the same gradient: nothing flows to the dropped last row and column."""
    import keras
    import numpy as np
    import tensorflow as tf

    from mnist_compare.models import ReshapeMaxPooling2D

    x = tf.constant(np.random.default_rng(3).normal(size=(4, 11, 11, 6)).astype(np.float32))
    outputs, gradients = [], []
    for layer in (ReshapeMaxPooling2D(2), keras.layers.MaxPooling2D(2)):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            weights = tf.reshape(tf.range(1.0, 1.0 + tf.cast(tf.size(y), tf.float32)), tf.shape(y))
            loss = tf.reduce_sum(y * weights)  # a different weight per output, so each gradient is distinct
        outputs.append(y.numpy())
        gradients.append(tape.gradient(loss, x).numpy())
    assert outputs[0].shape == (4, 5, 5, 6)
    np.testing.assert_array_equal(outputs[0], outputs[1])
    np.testing.assert_array_equal(gradients[0], gradients[1])
    assert not gradients[0][:, 10, :, :].any() and not gradients[0][:, :, 10, :].any()
