"""Utilities with Keras 3 names: one-hot labels, seeding, sequence padding, a progress bar, plots."""
from fastnn.utils.numerical_utils import normalize, to_categorical
from fastnn.utils.plotting import plot_history
from fastnn.utils.progbar import Progbar
from fastnn.utils.rng_utils import set_random_seed
from fastnn.utils.sequence_utils import pad_sequences

__all__ = ["Progbar", "normalize", "pad_sequences", "plot_history", "set_random_seed", "to_categorical"]
