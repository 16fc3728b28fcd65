"""Seeding every random generator fastnn and a typical script use."""
import random

import numpy as np

from fastnn import config


def set_random_seed(seed):
    """Make a run reproducible: seed Python's `random`, numpy's legacy global RNG and fastnn's generator.

    Like `keras.utils.set_random_seed`. Layers and initializers created afterwards without an explicit
    seed draw from fastnn's global generator, so the same seed gives the same weights and dropout masks.

    Args:
        seed: a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed: expected `seed` to be an integer, received {seed!r} "
                         f"(of type {type(seed).__name__})")
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"set_random_seed: expected a non-negative integer, received {seed}")
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))  # the legacy global RNG only accepts 32-bit seeds
    config.seed_global_rng(seed)
