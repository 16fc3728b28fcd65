"""Process-wide settings: the thread count every kernel call receives."""
import os

_num_threads = None


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
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int) or int(n) < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, received {n!r}")
    _num_threads = int(n)


def get_num_threads():
    """Threads fastnn's kernels use: set_num_threads(), else OMP_NUM_THREADS, else the usable cores."""
    global _num_threads
    if _num_threads is None:
        _num_threads = _default_num_threads()
    return _num_threads
