"""Process-wide settings: thread count, default float type and the global random generator.

Mirrors ``keras.config``: ``floatx()`` / ``set_floatx()``; plus fastnn's thread control.
"""
import os

import numpy as np

_num_threads = None
_floatx = "float32"
_FLOATX_CHOICES = ("float32", "float64")
_rng = np.random.default_rng()
# GNU OpenMP (libgomp) cannot start a thread team in a process forked after the parent ran one: the
# child would hang. A fork()ed child therefore runs fastnn's kernels on one thread (same results, as
# results never depend on the thread count). multiprocessing's 'spawn'/'forkserver' children are
# fresh processes and use every thread.
_forked_child = False


def _after_fork_in_child():
    global _forked_child, _num_threads
    _forked_child = True
    _num_threads = 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


_freed_memory_kept = False


def keep_freed_memory():
    """Ask the C library to keep freed activation memory for the next training step (called by
    ``Model.compile``; once per process; glibc only; ``FASTNN_KEEP_FREED_MEMORY=0`` opts out).

    glibc hands the top of the heap back to the kernel as soon as about twice the largest recent array
    is free, so each step of a CNN faulted its ~100 MB of activations back in (about 2400 page faults and
    ~15 ms of a 75 ms step on the cnn workload). Like the caching allocators of other frameworks, this
    keeps up to 256 MiB of freed heap mapped and serves arrays below 64 MiB from the heap. Peak memory
    is unchanged; memory freed after training is returned to the system later (or at exit).
    """
    global _freed_memory_kept
    if _freed_memory_kept:
        return
    _freed_memory_kept = True
    if os.environ.get("FASTNN_KEEP_FREED_MEMORY", "1").strip() == "0":
        return
    from fastnn._native import _runtime

    _runtime.malloc_keep_freed(64 << 20, 256 << 20)


def _default_num_threads():
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def set_num_threads(n):
    """Set the number of threads fastnn's kernels use.

    Args:
        n: a positive integer. Results are bit-identical for any value; only speed changes.
            In a fork()ed child process fastnn stays on one thread (see the note above).
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or int(n) < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, received {n!r}")
    if _forked_child and int(n) > 1:
        import warnings

        warnings.warn("fastnn runs single-threaded in a fork()ed child process (GNU OpenMP cannot start "
                      "threads after fork); use multiprocessing.get_context('spawn') or 'forkserver' "
                      "for multi-threaded kernels in workers", RuntimeWarning, stacklevel=2)
        return
    _num_threads = int(n)


def get_num_threads():
    """Threads fastnn's kernels use: set_num_threads(), else OMP_NUM_THREADS, else the usable cores."""
    global _num_threads
    if _num_threads is None:
        _num_threads = _default_num_threads()
    return _num_threads


def floatx():
    """The default float type of new layers and weights: 'float32' unless set_floatx changed it."""
    return _floatx


def set_floatx(value):
    """Set the default float type of layers built from now on.

    Args:
        value: 'float32' (default; fastest) or 'float64' (for gradient checks).
    """
    global _floatx
    _floatx = standardize_dtype(value).name


def standardize_dtype(dtype):
    """Return the numpy float dtype named by `dtype` (None means floatx()); ValueError otherwise."""
    if dtype is None:
        return np.dtype(_floatx)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in _FLOATX_CHOICES:
        raise ValueError(f"dtype must be one of {list(_FLOATX_CHOICES)}, received {dtype!r}")
    return dt


def rng():
    """fastnn's global random generator (reseeded by fastnn.utils.set_random_seed)."""
    return _rng


def seed_global_rng(seed):
    """Reseed the global generator; used by fastnn.utils.set_random_seed."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng
