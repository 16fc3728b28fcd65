"""The UCI 8x8 handwritten digits (bundled): 1797 grey images with values 0..16, labels 0..9.

Attribution: UCI Machine Learning Repository, CC BY 4.0 (see fastnn/datasets/data/README.md).
"""
from fastnn.datasets._bundled import read_csv_gz
from fastnn.datasets._split import stratified_split

CLASS_NAMES = tuple(str(d) for d in range(10))


def load_data(test_split=0.2, seed=113):
    """Load the 8x8 digits, split into train and test sets.

    The split is stratified and fixed by `seed` (each digit keeps its proportion; the same seed gives
    the same split). Scale with `x / 16.0` before training.

    Args:
        test_split: fraction of each class in the test set, in [0, 1).
        seed: seed of the shuffle.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x uint8 images of shape (n, 8, 8) with values 0..16,
        y uint8 labels 0..9. With the defaults, 1438 training and 359 test images.
    """
    x, y = read_csv_gz("digits.csv.gz", "uint8", 1797, 65)
    x = x.reshape(-1, 8, 8)
    train, test = stratified_split(y, test_split, seed, "digits.load_data")
    return (x[train], y[train]), (x[test], y[test])
