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


@pytest.mark.parametrize("shape", [(4, 26, 26, 8), (4, 11, 11, 6), (2, 9, 12, 3)])
@pytest.mark.parametrize("jit_compile", [False, True])
def test_reshape_pooling_is_max_pooling_values_and_gradient_ties_included(shape, jit_compile):
    """Same values and the same gradient as MaxPooling2D, bit for bit, on maps full of tied
    maxima (values drawn from {0, 1, 2}): the first maximum of each window takes the gradient.
    On odd sizes (the improved CNN's 11x11) the last row and column are dropped and get nothing."""
    import keras
    import numpy as np
    import tensorflow as tf

    from mnist_compare.models import ReshapeMaxPooling2D

    rng = np.random.default_rng(3)
    x = tf.constant(rng.integers(0, 3, size=shape).astype(np.float32))
    out_shape = (shape[0], shape[1] // 2, shape[2] // 2, shape[3])
    weights = tf.constant(rng.normal(size=out_shape).astype(np.float32))  # each output's gradient differs

    def values_and_gradient(layer):
        @tf.function(jit_compile=jit_compile)
        def run(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x)
                loss = tf.reduce_sum(y * weights)
            return y, tape.gradient(loss, x)

        return [t.numpy() for t in run(x)]

    fast_values, fast_gradient = values_and_gradient(ReshapeMaxPooling2D(2))
    plain_values, plain_gradient = values_and_gradient(keras.layers.MaxPooling2D(2))
    assert fast_values.shape == out_shape
    np.testing.assert_array_equal(fast_values, plain_values)
    np.testing.assert_array_equal(fast_gradient, plain_gradient)
    assert np.count_nonzero(fast_gradient) == np.prod(out_shape), "one input per window takes the gradient"
    if shape[1] % 2:
        assert not fast_gradient[:, -1].any()
    if shape[2] % 2:
        assert not fast_gradient[:, :, -1].any()


@pytest.mark.parametrize("channels", [1, 4])
def test_patch_convolution_is_conv2d(channels):
    import keras
    import numpy as np

    from mnist_compare.models import PatchConv2D

    x = np.random.default_rng(4).random((3, 13, 13, channels)).astype(np.float32)
    fast, plain = PatchConv2D(5, 3), keras.layers.Conv2D(5, 3)
    fast.build(x.shape)
    plain.build(x.shape)
    plain.set_weights(fast.get_weights())
    np.testing.assert_allclose(fast(x).numpy(), plain(x).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name, parameters",
    [("mlp_deep", 235_146), ("mlp_compute", 737_770), ("cnn_gap", 5_130), ("mlp_wide", 540_610)],
)
def test_control_models_have_the_documented_sizes(name, parameters):
    model = models.build_model(name)
    assert model.count_params() == parameters
    if name == "mlp_deep":
        assert len(model.losses) == 3, "every weight matrix has its L2 penalty"


def test_compute_matched_mlp_has_the_cnns_multiply_adds():
    from mnist_compare.models import forward_macs

    cnn, mlp = forward_macs(models.build_model("cnn")), forward_macs(models.build_model("mlp_compute"))
    assert abs(mlp - cnn) / cnn < 0.01


def test_global_average_pooling_cnn_reads_a_shifted_feature_the_same():
    model = models.build_model("cnn_gap")
    image = np.zeros((1, 28, 28, 1), dtype="float32")
    image[0, 6:12, 6:9] = 1.0
    moved = np.roll(image, (8, 8), axis=(1, 2))
    a, b = np.asarray(model(image)), np.asarray(model(moved))
    np.testing.assert_allclose(
        a,
        b,
        atol=1e-5,
        err_msg="an 8-pixel move of a pattern away from the border changes nothing after the global average",
    )
