"""Reading the gzip-compressed CSV files bundled under fastnn/datasets/data/."""
import gzip
import os

import numpy as np

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def read_csv_gz(filename, feature_dtype, n_rows, n_columns):
    """(features, labels) from a bundled CSV (header row; last column = label), shape-checked."""
    path = os.path.join(DATA_DIR, filename)
    if not os.path.exists(path):
        raise FileNotFoundError(f"fastnn's bundled data file {path} is missing: the installation is "
                                "incomplete (reinstall fastnn)")
    with gzip.open(path, "rt", encoding="ascii") as handle:
        table = np.loadtxt(handle, delimiter=",", skiprows=1, dtype=np.float64)
    if table.shape != (n_rows, n_columns):
        raise ValueError(f"{path}: expected a table of shape {(n_rows, n_columns)}, read {table.shape}; "
                         "the file is damaged (reinstall fastnn)")
    return table[:, :-1].astype(feature_dtype), table[:, -1].astype(np.uint8)
