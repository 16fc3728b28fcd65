"""Models built from the convolution, pooling, reshaping, dropout and augmentation layers save and load
with identical predictions (needs the layers exported from fastnn.layers, where saving looks names up)."""
import os

import numpy as np
import pytest

import fastnn
from fastnn import layers as L

pytestmark = pytest.mark.skipif(not hasattr(L, "SeparableConv2D") or not hasattr(L, "RandomZoom"),
                                reason="conv/pooling layers not exported from fastnn.layers yet")


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_image_model_save_load_round_trip(tmp_path, ext):
    fastnn.utils.set_random_seed(0)
    model = fastnn.Sequential([
        fastnn.Input((12, 12, 3)), L.RandomFlip(seed=1), L.RandomRotation(0.1, seed=2), L.RandomZoom(0.1),
        L.RandomTranslation(0.1, 0.1), L.RandomContrast(0.2), L.RandomCrop(12, 12),
        L.Conv2D(8, 3, padding="same", activation="relu"), L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        L.SeparableConv2D(8, 3, strides=2, padding="same"), L.SpatialDropout2D(0.1), L.DropBlock2D(0.1, 3, seed=3),
        L.Conv2DTranspose(4, 3, strides=2, padding="same"), L.ZeroPadding2D(1), L.Cropping2D(1), L.UpSampling2D(),
        L.AveragePooling2D(), L.MaxPooling2D(pool_size=3, strides=1, padding="same"), L.GlobalAveragePooling2D(),
        L.Dense(5)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((4, 12, 12, 3)).astype("float32")
    model.fit(x, np.random.default_rng(1).random((4, 5)).astype("float32"), epochs=2, verbose=0)
    path = os.path.join(tmp_path, "model" + ext)
    model.save(path)
    loaded = fastnn.saving.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_sequence_model_save_load_round_trip(tmp_path):
    model = fastnn.Sequential([
        fastnn.Input((20, 3)), L.Conv1D(4, 3, padding="causal"), L.MaxPooling1D(), L.AveragePooling1D(padding="same"),
        L.UpSampling1D(2), L.ZeroPadding1D(1), L.Cropping1D(1), L.SpatialDropout1D(0.1), L.GlobalMaxPooling1D()])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(2).random((2, 20, 3)).astype("float32")
    model.fit(x, np.random.default_rng(3).random((2, 4)).astype("float32"), verbose=0)
    path = os.path.join(tmp_path, "seq.keras")
    model.save(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), fastnn.saving.load_model(path).predict(x, verbose=0))
