"""fastnn: the Keras API on fastnn's own C/Cython/OpenMP kernels for the CPU."""
__version__ = "0.1.0"

from fastnn.config import get_num_threads, set_num_threads
from fastnn import ops

__all__ = ["__version__", "get_num_threads", "set_num_threads", "ops", "info"]


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
