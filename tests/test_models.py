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
