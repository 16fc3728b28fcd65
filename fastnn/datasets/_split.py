"""The fixed, stratified train/test split shared by the bundled datasets."""
import numpy as np


def stratified_split(y, test_split, seed, who):
    """Indices (train, test) of a seeded split that keeps each class's proportion.

    For each class (in increasing label order), its sample indices are shuffled with
    `numpy.random.default_rng(seed)` and the first `round(n_class * test_split)` go to the test set;
    both sets are then shuffled with the same generator. The same seed always gives the same split.
    """
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float, np.floating)) \
            or not 0.0 <= float(test_split) < 1.0:
        raise ValueError(f"{who}: test_split must be a fraction in [0, 1), received {test_split!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{who}: seed must be a non-negative integer, received {seed!r}")
    rng = np.random.default_rng(int(seed))
    train, test = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(len(members) * float(test_split)))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
