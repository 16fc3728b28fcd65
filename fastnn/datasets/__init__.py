"""Datasets with the keras.datasets interface: `load_data()` -> (x_train, y_train), (x_test, y_test).

iris and digits are bundled (no network needed); mnist reads local IDX files or a Keras mnist.npz.
"""
from fastnn.datasets import digits, iris, mnist
from fastnn.datasets.idx import read_idx, write_idx

__all__ = ["digits", "iris", "mnist", "read_idx", "write_idx"]
