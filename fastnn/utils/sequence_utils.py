"""Padding variable-length sequences to one length (Keras `pad_sequences`), for text and RNN models."""
import numpy as np

_PAD_CHOICES = ("pre", "post")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (or truncate) a list of sequences into one array of shape (num_samples, maxlen, ...).

    Sequences shorter than `maxlen` are filled with `value` at the start ('pre') or the end ('post');
    longer ones lose values at the start ('pre') or the end ('post'). Elements may themselves be arrays
    (all of one shape), giving an output of shape (num_samples, maxlen) + element_shape.

    Args:
        sequences: a list (or other sized iterable) of sequences.
        maxlen: the output length; the longest sequence's length when None.
        dtype: the output dtype ('int32' by default; use object for variable-length strings).
        padding: 'pre' or 'post'.
        truncating: 'pre' or 'post'.
        value: the padding value.

    Returns:
        A numpy array of shape (len(sequences), maxlen) + element_shape.
    """
    if padding not in _PAD_CHOICES:
        raise ValueError(f"pad_sequences: padding must be one of {list(_PAD_CHOICES)}, received {padding!r}")
    if truncating not in _PAD_CHOICES:
        raise ValueError(f"pad_sequences: truncating must be one of {list(_PAD_CHOICES)}, "
                         f"received {truncating!r}")
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: `sequences` must be a list of sequences, received "
                         f"{type(sequences).__name__}")
    lengths = []
    element_shape = None
    for position, seq in enumerate(sequences):
        try:
            lengths.append(len(seq))
        except TypeError:
            raise ValueError(f"pad_sequences: `sequences` must be a list of iterables; the item at "
                             f"position {position} is not: {seq!r}") from None
        if element_shape is None and len(seq):
            element_shape = np.asarray(seq).shape[1:]
    element_shape = element_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be None or a non-negative integer, received {maxlen!r}")
    maxlen = int(maxlen)
    is_string_dtype = np.issubdtype(np.dtype(dtype), np.str_) if dtype is not object else True
    if isinstance(value, str) and not is_string_dtype:
        raise ValueError(f"pad_sequences: dtype {dtype} cannot hold the string padding value {value!r}; "
                         "use dtype=object for variable-length strings")
    out = np.full((len(lengths), maxlen) + element_shape, value, dtype=dtype)
    if maxlen == 0:
        return out
    for position, seq in enumerate(sequences):
        if not lengths[position]:
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != element_shape:
            raise ValueError(f"pad_sequences: the sequence at position {position} has elements of shape "
                             f"{kept.shape[1:]}, expected {element_shape} like the first non-empty one")
        if padding == "post":
            out[position, :len(kept)] = kept
        else:
            out[position, maxlen - len(kept):] = kept
    return out
