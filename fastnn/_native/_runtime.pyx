"""Build and runtime facts of the C kernels: OpenMP, build flags, ISA path; the allocator setting."""
from libc.stdint cimport int64_t
from fastnn._native.cfastnn cimport (fnn_isa_detected, fnn_isa_active, fnn_isa_force, fnn_isa_name,
                                     fnn_build_flags, fnn_openmp_enabled, fnn_omp_max_threads,
                                     fnn_malloc_keep_freed)

ISA_LEVELS = {0: "generic", 1: "avx2+fma", 2: "avx512"}


def openmp_enabled():
    return bool(fnn_openmp_enabled())


def omp_max_threads():
    return fnn_omp_max_threads()


def malloc_keep_freed(int64_t mmap_threshold, int64_t trim_threshold):
    """glibc mallopt: arrays below mmap_threshold come from the heap, and up to trim_threshold bytes of
    freed heap stay mapped. False where the C library has no mallopt (nothing changed)."""
    return bool(fnn_malloc_keep_freed(mmap_threshold, trim_threshold))


def build_flags():
    return fnn_build_flags().decode()


def isa_detected():
    """Best ISA level the CPU supports: 0 generic, 1 AVX2+FMA, 2 AVX-512."""
    return fnn_isa_detected()


def isa_active():
    return fnn_isa_active()


def isa_name(int level):
    return fnn_isa_name(level).decode()


def isa_force(int level):
    """Use ISA `level` (clamped to what the CPU has) in every kernel module of the process; a negative
    level restores the best. Returns the level now active.

    Each extension module links its own copy of the dispatch state, so the level is pushed to every
    module of fastnn._native (through the `_isa_force` hook each one includes).
    """
    import importlib
    import pkgutil

    import fastnn._native as package

    active = fnn_isa_force(level)
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        hook = getattr(module, "_isa_force", None)
        if hook is not None:
            hook(level)
    return active
