"""Keras 3 (TensorFlow backend) as the oracle for convolution and pooling semantics: same weights, same
outputs. Skipped unless tensorflow is installed (it is never a fastnn dependency)."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from fastnn.layers.conv import Conv1D, Conv2D, Conv2DTranspose  # noqa: E402
from fastnn.layers.depthwise import DepthwiseConv2D, SeparableConv2D  # noqa: E402
from fastnn.layers.pooling import AveragePooling2D, MaxPooling2D  # noqa: E402

CASES = [
    # (fastnn class, keras class, args, kwargs, input shape): odd sizes, strides, 'same', dilation
    (Conv2D, "Conv2D", (3, 3), dict(strides=2, padding="same"), (2, 7, 8, 2)),
    (Conv2D, "Conv2D", (2, (2, 4)), dict(strides=(1, 3), padding="same"), (2, 6, 9, 3)),
    (Conv2D, "Conv2D", (2, 3), dict(dilation_rate=2, padding="same"), (1, 7, 7, 2)),
    (Conv2D, "Conv2D", (4, 3), dict(strides=2, padding="valid"), (2, 9, 8, 1)),
    (Conv1D, "Conv1D", (3, 3), dict(padding="causal", dilation_rate=2), (2, 9, 2)),
    (Conv2DTranspose, "Conv2DTranspose", (3, 3), dict(strides=2, padding="same"), (2, 3, 4, 2)),
    (Conv2DTranspose, "Conv2DTranspose", (2, 4), dict(strides=3, padding="valid"), (1, 3, 3, 2)),
    (DepthwiseConv2D, "DepthwiseConv2D", (3,), dict(strides=2, padding="same", depth_multiplier=2), (2, 7, 6, 3)),
    (SeparableConv2D, "SeparableConv2D", (4, 3), dict(padding="same", depth_multiplier=2), (2, 6, 5, 3)),
    (MaxPooling2D, "MaxPooling2D", (3,), dict(strides=2, padding="same"), (2, 7, 8, 2)),
    (AveragePooling2D, "AveragePooling2D", (3,), dict(strides=2, padding="same"), (2, 7, 8, 2)),
    (AveragePooling2D, "AveragePooling2D", ((2, 3),), dict(strides=(1, 2), padding="valid"), (2, 5, 8, 2)),
]


@pytest.mark.parametrize("ours, theirs, args, kwargs, shape", CASES)
def test_same_outputs_as_keras(ours, theirs, args, kwargs, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    k_layer = getattr(keras.layers, theirs)(*args, **kwargs)
    want = np.asarray(k_layer(x))
    f_layer = ours(*args, **kwargs)
    f_layer.build((None,) + shape[1:])
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in k_layer.get_weights()]
    if weights:
        k_layer.set_weights(weights)
        want = np.asarray(k_layer(x))
        f_layer.set_weights(weights)
    np.testing.assert_allclose(f_layer(x), want, rtol=1e-4, atol=1e-4)
