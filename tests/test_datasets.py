"""Bundled datasets (shapes, ranges, determinism) and the IDX/MNIST readers on good and hostile files."""
import gzip
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fastnn import datasets
from fastnn.datasets import digits, iris, mnist, read_idx, write_idx


def _rows(x):
    return sorted(map(tuple, x.reshape(len(x), -1).tolist()))


def test_iris_split_shapes_balance_and_determinism():
    (x_train, y_train), (x_test, y_test) = iris.load_data()
    assert x_train.shape == (120, 4) and x_test.shape == (30, 4)
    assert x_train.dtype == np.float32 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [40, 40, 40] and np.bincount(y_test).tolist() == [10, 10, 10]
    assert 0.1 <= x_train.min() and x_train.max() <= 7.9
    # Known facts of Fisher's data: the first flower, and the class means of petal length.
    full_x = np.concatenate([x_train, x_test])
    full_y = np.concatenate([y_train, y_test])
    assert (5.1, 3.5, 1.4, 0.2) in {tuple(np.round(r, 1)) for r in full_x[full_y == 0].tolist()}
    np.testing.assert_allclose([full_x[full_y == c, 2].mean() for c in range(3)], [1.462, 4.26, 5.552], atol=1e-4)
    (x2, y2), (x2_test, _) = iris.load_data()
    np.testing.assert_array_equal(x_train, x2)
    np.testing.assert_array_equal(y_train, y2)
    (x3, _), (x3_test, _) = iris.load_data(seed=7)
    assert not np.array_equal(x_train, x3)
    assert _rows(np.concatenate([x3, x3_test])) == _rows(full_x)  # a split, nothing lost or repeated
    (x_all, _), (x_none, y_none) = iris.load_data(test_split=0.0)
    assert x_all.shape == (150, 4) and x_none.shape == (0, 4) and y_none.shape == (0,)
    assert iris.CLASS_NAMES == ("setosa", "versicolor", "virginica")
    with pytest.raises(ValueError, match="test_split"):
        iris.load_data(test_split=1.0)
    with pytest.raises(ValueError, match="seed"):
        iris.load_data(seed=-3)


def test_digits_split():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_train.min() == 0 and x_train.max() == 16
    assert set(y_train.tolist()) == set(range(10)) and set(y_test.tolist()) == set(range(10))
    counts = np.bincount(np.concatenate([y_train, y_test]))
    assert counts.sum() == 1797 and counts.min() >= 170
    # stratified: each class's test share is within one sample of 20 %
    assert np.all(np.abs(np.bincount(y_test) - 0.2 * counts) <= 0.5 + 1e-9)
    (x2, _), (x2_test, _) = digits.load_data()
    np.testing.assert_array_equal(x_train, x2)
    assert _rows(np.concatenate([x_train, x_test])) == _rows(np.concatenate([x2, x2_test]))


# ---------------------------------------------------------------- IDX reader


idx_arrays = st.sampled_from(["u1", "i1", "i2", "i4", "f4", "f8"]).flatmap(
    lambda dt: arrays(np.dtype(dt), st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple)))


@given(idx_arrays, st.booleans())
def test_idx_round_trip(tmp_path_factory, array, compressed):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compressed else "a.idx")
    write_idx(path, array)
    back = read_idx(path)
    assert back.shape == array.shape and back.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(back, array)
    back.flat[:1] = 0  # writable


def _write_raw(path, data, compressed=False):
    with (gzip.open if compressed else open)(path, "wb") as handle:
        handle.write(data)
    return path


def _header(code, dims):
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("data, message", [
    (b"\x12\x34\x08\x01" + b"\x00" * 8, "not an IDX file"),
    (_header(0x07, [2]) + b"\x00\x00", "unknown IDX type code 0x07"),
    (bytes([0, 0, 8, 0]), "0 dimensions"),
    (b"\x00\x00", "header needs 4 bytes"),
    (bytes([0, 0, 8, 3]) + b"\x00\x00\x00\x02", "dimension sizes needs 12 bytes"),
    (_header(0x08, [10, 10]) + b"\x01" * 99, "truncated IDX file: shape \\(10, 10\\) needs 100"),
    (_header(0x08, [4]) + b"\x01" * 5, "beyond the declared shape"),
    (_header(0x0D, [3]) + b"\x00" * 8, "needs 12 data bytes"),
])
def test_idx_rejects_malformed_files(tmp_path, data, message, compressed):
    path = _write_raw(tmp_path / "bad", data, compressed)
    with pytest.raises(ValueError, match=message):
        read_idx(path)


@pytest.mark.parametrize("compressed", [False, True])
def test_idx_huge_declared_shape_fails_without_allocating(tmp_path, compressed):
    huge = _write_raw(tmp_path / "huge", _header(0x0E, [0xFFFFFFFF] * 4) + b"\x00" * 64, compressed)
    # A 1.5 GB declaration under the limit, with 64 bytes present: must fail on the byte count alone.
    big = _write_raw(tmp_path / "big", _header(0x08, [60000, 25000]) + b"\x00" * 64, compressed)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="max_bytes"):
            read_idx(huge)
        with pytest.raises(ValueError, match="truncated"):
            read_idx(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2 ** 20


def test_idx_corrupted_gzip(tmp_path):
    good = gzip.compress(_header(0x08, [1000]) + bytes(range(256)) * 4)
    path = tmp_path / "broken.gz"
    path.write_bytes(good[:len(good) // 2])
    with pytest.raises(ValueError, match="corrupted|truncated"):
        read_idx(path)
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing")


# ---------------------------------------------------------------- MNIST loader


def _fake_mnist(directory, compressed, n_train=6, n_test=4, dotted=False):
    rng = np.random.default_rng(0)
    arrays_ = {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
               "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
               "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
               "y_test": rng.integers(0, 10, n_test).astype(np.uint8)}
    for key, names in mnist.FILES.items():
        write_idx(directory / (names[1 if dotted else 0] + (".gz" if compressed else "")), arrays_[key])
    return arrays_


@pytest.mark.parametrize("compressed, dotted", [(False, False), (True, False), (False, True)])
def test_mnist_from_idx_files(tmp_path, compressed, dotted):
    expected = _fake_mnist(tmp_path, compressed, dotted=dotted)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(tmp_path)
    np.testing.assert_array_equal(x_train, expected["x_train"])
    np.testing.assert_array_equal(y_train, expected["y_train"])
    np.testing.assert_array_equal(x_test, expected["x_test"])
    np.testing.assert_array_equal(y_test, expected["y_test"])


def test_mnist_from_keras_npz_and_default_directory(tmp_path, monkeypatch):
    (tmp_path / "idx").mkdir()
    expected = _fake_mnist(tmp_path / "idx", False)
    npz = tmp_path / "mnist.npz"
    np.savez(npz, **expected)
    (x_train, _), (_, y_test) = mnist.load_data(npz)
    np.testing.assert_array_equal(x_train, expected["x_train"])
    np.testing.assert_array_equal(y_test, expected["y_test"])
    monkeypatch.setenv("FASTNN_DATA", str(tmp_path / "data"))
    (tmp_path / "data" / "mnist").mkdir(parents=True)
    _fake_mnist(tmp_path / "data" / "mnist", True)
    (x_default, _), _ = mnist.load_data()
    assert x_default.shape == (6, 28, 28)


def test_mnist_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTNN_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="does not download.*train-images-idx3-ubyte"):
        mnist.load_data()
    (tmp_path / "partial").mkdir()
    write_idx(tmp_path / "partial" / "train-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(FileNotFoundError, match="Missing: .*t10k-labels-idx1-ubyte"):
        mnist.load_data(tmp_path / "partial")
    (tmp_path / "mismatch").mkdir()
    _fake_mnist(tmp_path / "mismatch", False)
    write_idx(tmp_path / "mismatch" / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="4 test images but 3 labels"):
        mnist.load_data(tmp_path / "mismatch")
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="missing arrays"):
        mnist.load_data(tmp_path / "other.npz")
    (tmp_path / "not.npz").write_bytes(b"\x00\x00\x08\x01garbage")
    with pytest.raises(ValueError, match="not a readable .npz"):
        mnist.load_data(tmp_path / "not.npz")


def test_mnist_npz_with_lying_header_is_refused(tmp_path):
    import io
    import zipfile

    good = {"x_train": np.zeros((2, 28, 28), np.uint8), "y_train": np.zeros(2, np.uint8),
            "x_test": np.zeros((1, 28, 28), np.uint8), "y_test": np.zeros(1, np.uint8)}
    path = tmp_path / "hostile.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in good.items():
            buffer = io.BytesIO()
            np.save(buffer, value)
            data = buffer.getvalue()
            if key == "x_train":  # claim 10^12 images in the header, keep the small payload
                data = data.replace(b"(2, 28, 28)", b"(1000000000000, 28, 28)")
            archive.writestr(key + ".npy", data)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="cannot hold"):
            mnist.load_data(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2 ** 20


def test_package_exports():
    assert datasets.iris is iris and datasets.digits is digits and datasets.mnist is mnist
