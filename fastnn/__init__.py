"""fastnn: the Keras API on fastnn's own C/Cython/OpenMP kernels for the CPU.

    import fastnn
    model = fastnn.Sequential([fastnn.layers.Input((784,)), fastnn.layers.Dense(10)])
"""
__version__ = "0.1.0"

from fastnn import config, ops
from fastnn.config import get_num_threads, set_num_threads
from fastnn import activations, constraints, initializers, regularizers
from fastnn import layers, losses, metrics, optimizers, callbacks, utils, datasets, testing, saving, models
from fastnn.engine.input import Input
from fastnn.engine.sequential import Sequential
from fastnn.engine.training import Model

__all__ = ["__version__", "get_num_threads", "set_num_threads", "info", "Input", "Model", "Sequential",
           "activations", "callbacks", "config", "constraints", "datasets", "initializers", "layers", "losses",
           "metrics", "models", "ops", "optimizers", "regularizers", "saving", "testing", "utils"]


def info():
    """Return a dict describing this build: version, flags, OpenMP, ISA path and threads."""
    from fastnn._native import _runtime

    return {
        "version": __version__,
        "build_flags": _runtime.build_flags(),
        "openmp": _runtime.openmp_enabled(),
        "isa_detected": _runtime.isa_name(_runtime.isa_detected()),
        "isa_active": _runtime.isa_name(_runtime.isa_active()),
        "num_threads": get_num_threads(),
        "omp_max_threads": _runtime.omp_max_threads(),
    }
