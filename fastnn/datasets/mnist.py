"""MNIST from local files (no download): the four IDX files or Keras's mnist.npz.

fastnn never downloads anything. Put the files in a directory and pass it to `load_data`, or place them
in the default directory `$FASTNN_DATA/mnist` (FASTNN_DATA defaults to ~/.fastnn/datasets).
"""
import math
import os
import zipfile

import numpy as np

from fastnn.datasets.idx import DEFAULT_MAX_BYTES, read_idx

# Accepted spellings of each file ("-idx3-" as on LeCun's page, ".idx3-" as in common mirrors).
FILES = {
    "x_train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "y_train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "x_test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "y_test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


def default_directory():
    """`$FASTNN_DATA/mnist`, FASTNN_DATA defaulting to ~/.fastnn/datasets."""
    root = os.environ.get("FASTNN_DATA") or os.path.join(os.path.expanduser("~"), ".fastnn", "datasets")
    return os.path.join(root, "mnist")


def _help(where):
    names = ", ".join(f"{names[0]}[.gz]" for names in FILES.values())
    return (f"MNIST files not found in {where}. fastnn does not download data: put the four MNIST IDX files "
            f"({names}) in that directory, or pass their directory (or a Keras 'mnist.npz' file) as "
            f"mnist.load_data(path). The default directory is {default_directory()} "
            "(set FASTNN_DATA to change it). Copies are distributed by, e.g., the Keras project "
            "(https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz) and PyTorch's mirror "
            "(https://ossci-datasets.s3.amazonaws.com/mnist/).")


def _find(directory, names):
    for name in names:
        for candidate in (name, name + ".gz"):
            full = os.path.join(directory, candidate)
            if os.path.isfile(full):
                return full
    return None


def _load_npz(path, max_bytes):
    """The four arrays of a Keras-format mnist.npz, checking each member's header before reading it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {name[:-4] if name.endswith(".npy") else name: name for name in archive.namelist()}
            missing = [key for key in FILES if key not in members]
            if missing:
                raise ValueError(f"{path}: not a Keras mnist.npz file: missing arrays {missing} "
                                 f"(found {sorted(members)})")
            arrays = {}
            for key in FILES:
                info = archive.getinfo(members[key])
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                        np.lib.format.read_array_header_2_0
                    shape, _, dtype = read_header(member)
                declared = dtype.itemsize * math.prod(shape)
                if dtype.hasobject or declared > min(max_bytes, info.file_size):
                    raise ValueError(f"{path}: array {key!r} declares {dtype} {shape} ({declared} bytes), which "
                                     f"its archive entry of {info.file_size} bytes cannot hold (or above "
                                     f"max_bytes={max_bytes})")
                with archive.open(info) as member:
                    arrays[key] = np.lib.format.read_array(member, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"{path}: not a readable .npz archive: {error}") from None
    except ValueError as error:
        if str(error).startswith(str(path)):
            raise
        raise ValueError(f"{path}: malformed array in the .npz archive: {error}") from None
    return arrays


def _check(arrays, where):
    for split in ("train", "test"):
        images, labels = arrays["x_" + split], arrays["y_" + split]
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{where}: {split} images must be uint8 of shape (n, rows, cols), read "
                             f"{images.dtype} {images.shape}")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(f"{where}: {split} labels must be uint8 of shape (n,), read {labels.dtype} "
                             f"{labels.shape}")
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{where}: {images.shape[0]} {split} images but {labels.shape[0]} labels")


def load_data(path=None, max_bytes=DEFAULT_MAX_BYTES):
    """Load MNIST (or any MNIST-format data, e.g. Fashion-MNIST) from local files.

    Args:
        path: a directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte,
            t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each optionally gzip-compressed, '.gz'),
            or a Keras-format 'mnist.npz'; None for the default directory (see `default_directory`).
        max_bytes: per-file size limit passed to the IDX reader.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape (n, 28, 28), uint8 labels.

    Raises:
        FileNotFoundError: the files are not there (the message says where to put them).
        ValueError: a malformed file.
    """
    path = default_directory() if path is None else os.fspath(path)
    if os.path.isfile(path):
        arrays = _load_npz(path, max_bytes)
    elif os.path.isdir(path):
        found = {key: _find(path, names) for key, names in FILES.items()}
        if all(found.values()):
            arrays = {key: read_idx(file, max_bytes=max_bytes) for key, file in found.items()}
        elif os.path.isfile(os.path.join(path, "mnist.npz")):
            arrays = _load_npz(os.path.join(path, "mnist.npz"), max_bytes)
        else:
            missing = [FILES[key][0] for key, file in found.items() if file is None]
            raise FileNotFoundError(_help(path) + f" Missing: {missing}.")
    else:
        raise FileNotFoundError(_help(path))
    _check(arrays, path)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
