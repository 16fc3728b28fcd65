"""Keras 3 (TensorFlow backend) as the oracle for convolution and pooling semantics: same weights, same
outputs. Skipped unless tensorflow is installed (it is never a fastnn dependency)."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from fastnn.layers.conv import Conv1D, Conv2D, Conv2DTranspose  # noqa: E402
from fastnn.layers.depthwise import DepthwiseConv2D, SeparableConv2D  # noqa: E402
from fastnn.layers.pooling import (AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,  # noqa: E402
                                   MaxPooling1D, MaxPooling2D)
from fastnn.layers.reshaping import Cropping2D, UpSampling2D, ZeroPadding2D  # noqa: E402

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
    (MaxPooling1D, "MaxPooling1D", (3,), dict(strides=2, padding="same"), (2, 8, 3)),
    (GlobalAveragePooling2D, "GlobalAveragePooling2D", (), dict(keepdims=True), (2, 5, 4, 3)),
    (GlobalMaxPooling2D, "GlobalMaxPooling2D", (), {}, (2, 5, 4, 3)),
    (UpSampling2D, "UpSampling2D", ((2, 3),), {}, (2, 3, 4, 2)),
    (ZeroPadding2D, "ZeroPadding2D", (((1, 2), (0, 3)),), {}, (2, 3, 4, 2)),
    (Cropping2D, "Cropping2D", (((1, 0), (2, 1)),), {}, (2, 5, 6, 2)),
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


@pytest.mark.parametrize("ours, theirs, args, kwargs, shape", [c for c in CASES if c[0] in (
    Conv2D, Conv1D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D)])
def test_same_gradients_as_keras(ours, theirs, args, kwargs, shape):
    """d(sum(r * y))/dx and /dweights from TF's autodiff against fastnn's backward (float64)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    k_layer = getattr(keras.layers, theirs)(*args, dtype="float64", **kwargs)
    k_layer.build(shape)
    weights = [rng.standard_normal(w.shape) for w in k_layer.get_weights()]
    k_layer.set_weights(weights)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = k_layer(xt)
        r = tf.constant(rng.standard_normal(y.shape))
        loss = tf.reduce_sum(y * r)
    grads = tape.gradient(loss, [xt] + k_layer.trainable_weights)
    f_layer = ours(*args, dtype="float64", **kwargs)
    f_layer.build((None,) + shape[1:])
    f_layer.set_weights(weights)
    y_f, ctx = f_layer.forward(x)
    np.testing.assert_allclose(y_f, np.asarray(y), rtol=1e-10, atol=1e-10)
    dx = f_layer.backward(ctx, np.asarray(r))
    np.testing.assert_allclose(dx, np.asarray(grads[0]), rtol=1e-10, atol=1e-10)
    for var, g in zip(f_layer.trainable_weights, grads[1:]):
        np.testing.assert_allclose(var.grad, np.asarray(g), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("fill_mode", ["reflect", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_fixed_affine_augmentations_match_keras(fill_mode, interpolation):
    """With lower == upper the random warps are deterministic: compare them with Keras's."""
    from fastnn.layers.augmentation import RandomRotation, RandomTranslation, RandomZoom

    x = np.random.default_rng(2).uniform(0, 255, (2, 7, 6, 2)).astype(np.float32)
    for name, ours, args in [("RandomRotation", RandomRotation, ((0.1, 0.1),)),
                             ("RandomTranslation", RandomTranslation, ((0.23, 0.23), (-0.31, -0.31))),
                             ("RandomZoom", RandomZoom, ((0.3, 0.3), (-0.2, -0.2)))]:
        kw = dict(fill_mode=fill_mode, interpolation=interpolation, seed=1)
        want = np.asarray(getattr(keras.layers, name)(*args, **kw)(x, training=True))
        np.testing.assert_allclose(ours(*args, **kw)(x, training=True), want, rtol=1e-4, atol=1e-3)


def test_random_crop_inference_and_training_shapes_match_keras():
    from fastnn.layers.augmentation import RandomCrop

    x = np.random.default_rng(3).uniform(0, 255, (2, 7, 6, 2)).astype(np.float32)
    k = keras.layers.RandomCrop(4, 3, seed=0)
    f = RandomCrop(4, 3, seed=0)
    np.testing.assert_array_equal(f(x, training=False), np.asarray(k(x, training=False)))
    assert f(x, training=True).shape == np.asarray(k(x, training=True)).shape == (2, 4, 3, 2)
