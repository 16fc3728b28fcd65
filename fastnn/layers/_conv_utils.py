"""Shared argument handling and geometry for the convolution, pooling and reshaping layers.

Keras/TF size rules (per spatial axis, input length n, kernel k, stride s, dilation d, k_eff = (k-1)*d + 1):
  'valid': out = floor((n - k_eff) / s) + 1, no padding;
  'same':  out = ceil(n / s), total padding max((out - 1)*s + k_eff - n, 0), of which the top/left side
           gets floor(total / 2) and the bottom/right side the rest.
"""
import numpy as np

PADDINGS = ("valid", "same")


def normalize_tuple(value, n, layer, arg, allow_zero=False):
    """An int or an n-sequence of ints -> an n-tuple of ints, each >= 1 (>= 0 with allow_zero)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value),) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            raise ValueError(f"{layer}: {arg} must be an int or a tuple of {n} ints, received {value!r}") from None
        if len(out) != n or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in out):
            raise ValueError(f"{layer}: {arg} must be an int or a tuple of {n} ints, received {value!r}")
        out = tuple(int(v) for v in out)
    low = 0 if allow_zero else 1
    if any(v < low for v in out):
        what = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{layer}: {arg} must be {what}, received {value!r}")
    return out


def normalize_padding(value, layer, choices=PADDINGS):
    if not isinstance(value, str) or value.lower() not in choices:
        raise ValueError(f"{layer}: padding must be one of {list(choices)}, received {value!r}")
    return value.lower()


def normalize_data_format(value, layer):
    if value not in (None, "channels_last"):
        raise ValueError(f"{layer}: only data_format='channels_last' is supported (N, H, W, C), received {value!r}")
    return "channels_last"


def conv_output_length(n, k, s, d, padding):
    """Output length along one axis (may be <= 0 for a 'valid' kernel larger than the input)."""
    if n is None:
        return None
    k_eff = (k - 1) * d + 1
    if padding == "same":
        return -(-n // s)
    return (n - k_eff) // s + 1


def same_padding(n, k, s, d):
    """(before, after) padding of the 'same' rule for input length n."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def conv_pads(in_hw, kernel, strides, dilation, padding):
    """(pad_top, pad_left) and (out_h, out_w) for a 2-D convolution or pooling window."""
    pads, outs = [], []
    for n, k, s, d in zip(in_hw, kernel, strides, dilation):
        outs.append(conv_output_length(n, k, s, d, padding))
        pads.append(same_padding(n, k, s, d)[0] if padding == "same" else 0)
    return tuple(pads), tuple(outs)


def conv_geometry(x_shape, kernel, strides, dilation, padding, out_c):
    """The 15-int geometry tuple of fastnn._native._conv for input x_shape (N, H, W, C)."""
    n, h, w, c = x_shape
    (pt, pl), (oh, ow) = conv_pads((h, w), kernel, strides, dilation, padding)
    return (n, h, w, c, oh, ow, out_c, kernel[0], kernel[1], strides[0], strides[1],
            dilation[0], dilation[1], pt, pl)


def pool_geometry(x_shape, pool, strides, padding):
    """The 12-int geometry tuple of fastnn._native._pool for input x_shape (N, H, W, C)."""
    n, h, w, c = x_shape
    (pt, pl), (oh, ow) = conv_pads((h, w), pool, strides, (1, 1), padding)
    return (n, h, w, c, oh, ow, pool[0], pool[1], strides[0], strides[1], pt, pl)


def check_rank(layer, x_shape, rank, what):
    if len(x_shape) != rank:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) expects {rank}-D input {what}, "
                         f"received an input of shape {tuple(x_shape)}")


def check_positive_output(layer, in_shape, out_spatial, kernel_desc):
    if any(o is not None and o <= 0 for o in out_spatial):
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): {kernel_desc} does not fit the input "
                         f"of shape {tuple(in_shape)} with padding='valid' (output size {tuple(out_spatial)})")


def default_name(kwargs, base):
    """Give the layer Keras's automatic name (e.g. 'conv2d', 'max_pooling2d_1') unless one was passed."""
    from fastnn.engine.layer import unique_name

    if kwargs.get("name") is None:
        kwargs["name"] = unique_name(base)
    return kwargs


def conv_window_args(who, rank, kernel_size, strides, padding, data_format, dilation_rate, paddings=PADDINGS):
    """Validated (kernel_size, strides, padding, data_format, dilation_rate) of a convolution layer."""
    kernel_size = normalize_tuple(kernel_size, rank, who, "kernel_size")
    strides = normalize_tuple(strides, rank, who, "strides")
    dilation_rate = normalize_tuple(dilation_rate, rank, who, "dilation_rate")
    padding = normalize_padding(padding, who, paddings)
    data_format = normalize_data_format(data_format, who)
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(f"{who}: strides > 1 cannot be combined with dilation_rate > 1 (as in Keras), "
                         f"received strides={strides}, dilation_rate={dilation_rate}")
    return kernel_size, strides, padding, data_format, dilation_rate



