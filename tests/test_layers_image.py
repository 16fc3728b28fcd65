"""Depthwise/separable convolutions, reshaping, spatial dropout / DropBlock and augmentation layers:
gradients over drawn shapes, semantics, seeding, errors, get_config."""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastnn.layers.augmentation import (RandomContrast, RandomCrop, RandomFlip, RandomRotation, RandomTranslation,
                                        RandomZoom)
from fastnn.layers.conv import Conv2D
from fastnn.layers.depthwise import DepthwiseConv2D, SeparableConv2D
from fastnn.layers.reshaping import (Cropping1D, Cropping2D, UpSampling1D, UpSampling2D, ZeroPadding1D,
                                     ZeroPadding2D)
from fastnn.layers import DropBlock2D, SpatialDropout1D, SpatialDropout2D
from fastnn.testing import check_gradients


@st.composite
def window_cases(draw):
    n, h, w, c = draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(1, 3))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"]))
    if draw(st.booleans()):
        strides, dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3))), (1, 1)
    else:
        strides, dilation = (1, 1), (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    if padding == "valid":
        k = tuple(min(kk, (size - 1) // d + 1) for kk, size, d in zip(k, (h, w), dilation))
    return (n, h, w, c), k, strides, dilation, padding


@given(case=window_cases(), dm=st.integers(1, 3))
def test_depthwise_gradients(case, dm):
    shape, k, strides, dilation, padding = case
    layer = DepthwiseConv2D(k, strides, padding, depth_multiplier=dm, dilation_rate=dilation, dtype="float64")
    x = np.random.default_rng(0).standard_normal(shape)
    assert layer(x).shape[-1] == shape[-1] * dm and layer.kernel.shape == (*k, shape[-1], dm)
    check_gradients(layer, x)


@given(case=window_cases(), dm=st.integers(1, 2), filters=st.integers(1, 3))
def test_separable_gradients(case, dm, filters):
    shape, k, strides, dilation, padding = case
    layer = SeparableConv2D(filters, k, strides, padding, dilation_rate=dilation, depth_multiplier=dm,
                            dtype="float64")
    x = np.random.default_rng(1).standard_normal(shape)
    assert layer(x).shape[-1] == filters
    assert [w.name for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    check_gradients(layer, x)


def test_depthwise_equals_per_channel_conv2d():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 6, 3))
    d = DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, dtype="float64")
    y = d(x)
    for c in range(3):
        conv = Conv2D(2, 3, strides=2, padding="same", dtype="float64")
        conv.build((None, 7, 6, 1))
        conv.set_weights([d.kernel.value[:, :, c:c + 1, :], d.bias.value[2 * c:2 * c + 2]])
        np.testing.assert_allclose(conv(x[..., c:c + 1]), y[..., 2 * c:2 * c + 2], rtol=1e-12, atol=1e-12)


def test_separable_equals_depthwise_then_pointwise():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 6, 3))
    s = SeparableConv2D(4, 3, padding="same", depth_multiplier=2, dtype="float64")
    y = s(x)
    d = DepthwiseConv2D(3, padding="same", depth_multiplier=2, use_bias=False, dtype="float64")
    d.build((None, 6, 6, 3))
    d.set_weights([s.depthwise_kernel.value])
    p = Conv2D(4, 1, dtype="float64")
    p.build((None, 6, 6, 6))
    p.set_weights([s.pointwise_kernel.value, s.bias.value])
    np.testing.assert_allclose(p(d(x)), y, rtol=1e-12, atol=1e-12)


@given(n=st.integers(1, 2), h=st.integers(1, 5), w=st.integers(1, 5), c=st.integers(1, 3),
       size=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       pads=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)))
def test_reshaping_2d_values_and_gradients(n, h, w, c, size, pads):
    x = np.random.default_rng(4).standard_normal((n, h, w, c))
    up = UpSampling2D(size, dtype="float64")
    np.testing.assert_array_equal(up(x), x.repeat(size[0], 1).repeat(size[1], 2))
    check_gradients(up, x)
    pad = ((pads[0], pads[1]), (pads[2], pads[3]))
    zp = ZeroPadding2D(pad, dtype="float64")
    np.testing.assert_array_equal(zp(x), np.pad(x, ((0, 0),) + pad + ((0, 0),)))
    check_gradients(zp, x)
    big = np.random.default_rng(5).standard_normal((n, h + pads[0] + pads[1] + 1, w + pads[2] + pads[3] + 1, c))
    cr = Cropping2D(pad, dtype="float64")
    np.testing.assert_array_equal(cr(big), big[:, pads[0]:big.shape[1] - pads[1], pads[2]:big.shape[2] - pads[3]])
    check_gradients(cr, big)


def test_reshaping_1d():
    x = np.random.default_rng(6).standard_normal((2, 5, 3))
    for layer, want in [(UpSampling1D(3, dtype="float64"), x.repeat(3, 1)),
                        (ZeroPadding1D((1, 2), dtype="float64"), np.pad(x, ((0, 0), (1, 2), (0, 0)))),
                        (Cropping1D((2, 1), dtype="float64"), x[:, 2:4])]:
        np.testing.assert_array_equal(layer(x), want)
        check_gradients(layer, x)
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_reshaping_keras_argument_forms_and_errors():
    assert ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    assert ZeroPadding2D((1, 3)).padding == ((1, 1), (3, 3))
    assert Cropping2D(((1, 0), (2, 3))).cropping == ((1, 0), (2, 3))
    with pytest.raises(ValueError, match="non-negative"):
        ZeroPadding2D(-1)
    with pytest.raises(ValueError, match=r"leaves nothing.*\((None|1), 2, 5, 1\)"):
        Cropping2D(1)(np.zeros((1, 2, 5, 1)))
    with pytest.raises(ValueError, match=r"interpolation must be one of \['nearest'\]"):
        UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"4-D.*\((None|1), 5, 1\)"):
        UpSampling2D()(np.zeros((1, 5, 1)))


@given(rate=st.floats(0.05, 0.6), block=st.integers(1, 4), seed=st.integers(0, 100))
def test_spatial_dropout_and_dropblock_gradients(rate, block, seed):
    x = np.random.default_rng(7).standard_normal((2, 5, 6, 3))
    for layer in (SpatialDropout2D(rate, seed=seed, dtype="float64"),
                  DropBlock2D(rate, block, seed=seed, dtype="float64")):
        np.testing.assert_array_equal(layer(x), x)  # identity outside training
        check_gradients(layer, x, training=True)
    layer = SpatialDropout1D(rate, seed=seed, dtype="float64")
    check_gradients(layer, x[:, 0], training=True)


def test_spatial_dropout_drops_whole_channels_and_keeps_the_mean():
    x = np.ones((64, 4, 4, 16))
    y = SpatialDropout2D(0.25, seed=0, dtype="float64")(x, training=True)
    per_map = y.transpose(0, 3, 1, 2).reshape(64 * 16, 16)
    assert all(len(set(row)) == 1 for row in per_map)  # each feature map all-kept or all-dropped
    assert set(np.unique(y)) <= {0.0, 1 / 0.75}
    assert abs(y.mean() - 1.0) < 0.1


def test_dropblock_drops_square_blocks_at_about_the_rate():
    x = np.ones((32, 16, 16, 8))
    y = DropBlock2D(0.2, block_size=4, seed=1, dtype="float64")(x, training=True)
    dropped = np.mean(y == 0)
    assert 0.1 < dropped < 0.3
    assert abs(y.mean() - 1.0) < 1e-9  # count / count_ones normalisation keeps the mean exactly
    m = (y[0, :, :, 0] == 0)
    if m.any():  # a dropped unit's block: the dropped region is a union of 4x4 squares
        i, j = np.argwhere(m)[0]
        assert m[i:i + 4, j].sum() >= 1


def test_seeded_dropout_layers_are_reproducible():
    x = np.random.default_rng(8).standard_normal((4, 8, 8, 4))
    a = DropBlock2D(0.3, 3, seed=5)(x, training=True)
    b = DropBlock2D(0.3, 3, seed=5)(x, training=True)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"rate` must be a number in \[0, 1\)"):
        SpatialDropout2D(1.0)
    with pytest.raises(ValueError, match="block_size` must be a positive integer"):
        DropBlock2D(0.1, 0)


AUGMENTERS = [
    lambda s: RandomFlip("horizontal_and_vertical", seed=s, dtype="float64"),
    lambda s: RandomCrop(4, 3, seed=s, dtype="float64"),
    lambda s: RandomContrast((0.3, 0.6), seed=s, dtype="float64"),
    lambda s: RandomTranslation((-0.3, 0.3), 0.2, seed=s, dtype="float64"),
    lambda s: RandomTranslation(0.3, 0.3, fill_mode="constant", interpolation="nearest", seed=s, dtype="float64"),
    lambda s: RandomRotation(0.3, fill_mode="wrap", seed=s, dtype="float64"),
    lambda s: RandomZoom(0.3, (-0.2, 0.4), fill_mode="nearest", seed=s, dtype="float64"),
]


@given(which=st.integers(0, len(AUGMENTERS) - 1), seed=st.integers(0, 1000), n=st.integers(1, 3),
       h=st.integers(4, 7), w=st.integers(3, 7))
def test_augmentation_gradients_seeding_and_inference_identity(which, seed, n, h, w):
    x = np.random.default_rng(9).uniform(20, 230, (n, h, w, 2))
    layer = AUGMENTERS[which](seed)
    y1 = layer(x, training=True)
    y2 = AUGMENTERS[which](seed)(x, training=True)
    np.testing.assert_array_equal(y1, y2)  # same seed, same augmentation
    np.testing.assert_array_equal(layer(x), x)  # inference: identity (RandomCrop too, as in Keras 3)
    check_gradients(layer, x, training=True, rtol=1e-5, atol=1e-6)
    check_gradients(layer, x[0], training=True, rtol=1e-5, atol=1e-6)  # one unbatched image


def test_flip_rotation_and_translation_semantics():
    img = np.arange(12, dtype=np.float64).reshape(1, 3, 4, 1)
    flip = RandomFlip("horizontal", seed=0, dtype="float64")
    outs = {flip(img, training=True).tobytes() for _ in range(20)}
    assert outs == {img.tobytes(), img[:, :, ::-1].tobytes()}
    rot = RandomRotation((0.25, 0.25), dtype="float64")
    x = np.zeros((1, 5, 5, 1))
    x[0, 0, 2, 0] = 1.0  # top middle -> left middle after a quarter turn counter-clockwise
    assert tuple(np.argwhere(rot(x, training=True)[0, :, :, 0] > 0.5)[0]) == (2, 0)
    tr = RandomTranslation((0.2, 0.2), (0.0, 0.0), fill_mode="constant", dtype="float64")
    y = tr(np.ones((1, 5, 5, 1)), training=True)
    assert np.all(y[0, 0] == 0) and np.all(y[0, 1:] == 1)  # shifted down by one row


def test_augmentation_errors_and_config():
    with pytest.raises(ValueError, match=r"mode must be one of \['horizontal', 'vertical'"):
        RandomFlip("diagonal")
    with pytest.raises(ValueError, match=r"fill_mode must be one of"):
        RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match=r"height_factor must lie in \[-1.0, 1.0\]"):
        RandomTranslation(1.5, 0.1)
    with pytest.raises(ValueError, match=r"crops \(8, 8\).*\((None|1), 5, 5, 1\)"):
        RandomCrop(8, 8)(np.zeros((1, 5, 5, 1)))
    with pytest.raises(ValueError, match="rank 4"):
        RandomFlip()(np.zeros((5, 5)))
    for make in AUGMENTERS:
        layer = make(3)
        cfg = layer.get_config()
        json.dumps(cfg)
        assert type(layer).from_config(cfg).get_config() == cfg


@pytest.mark.parametrize("layer", [DepthwiseConv2D(3, padding="same", depth_multiplier=2),
                                   SeparableConv2D(3, 2, strides=2), DropBlock2D(0.1, 3, seed=1),
                                   SpatialDropout2D(0.2), ZeroPadding2D(((1, 0), (2, 1))),
                                   UpSampling2D((1, 2))])
def test_get_config_round_trip(layer):
    x = np.random.default_rng(10).standard_normal((2, 6, 6, 3)).astype(np.float32)
    y = layer(x)
    cfg = layer.get_config()
    json.dumps(cfg)
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    if layer.weights:
        clone.build((None, 6, 6, 3))
        clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x), y)


def test_depthwise_errors():
    with pytest.raises(ValueError, match="depth_multiplier` must be a positive integer"):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="strides > 1 cannot be combined"):
        SeparableConv2D(2, 3, strides=2, dilation_rate=2)
    layer = DepthwiseConv2D(3, name="dw")
    layer(np.zeros((1, 5, 5, 2), np.float32))
    with pytest.raises(ValueError, match=r"dw.*2 input channels.*\(1, 5, 5, 4\)"):
        layer(np.zeros((1, 5, 5, 4), np.float32))
