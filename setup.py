"""Build fastnn: C kernels in csrc/ compiled once, linked into one Cython extension per kernel family.

Environment switches:
  FASTNN_NO_OPENMP=1  build serial kernels even when the compiler supports OpenMP.
  FASTNN_NATIVE=1     add -march=native (only for a build used on the machine that compiles it).
"""
import glob
import os
import shutil
import sys
import tempfile
import textwrap

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = "csrc"
BASE_CFLAGS = ["-O3", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wno-unused-function"]
CYTHON_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
    "embedsignature": True,
}


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _compiler_accepts_openmp(compiler):
    """Compile and link a tiny OpenMP program; True when the compiler and runtime work."""
    tmp = tempfile.mkdtemp(prefix="fastnn-omp-")
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(textwrap.dedent("""
                #include <omp.h>
                int main(void) { int n = 0;
                #pragma omp parallel reduction(+:n)
                n += 1;
                return omp_get_max_threads() > 0 && n > 0 ? 0 : 1; }
            """))
        objs = compiler.compile([src], output_dir=tmp, extra_postargs=["-fopenmp"])
        compiler.link_executable(objs, os.path.join(tmp, "probe"), extra_postargs=["-fopenmp"])
        return True
    except Exception:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildFastnn(build_ext):
    """Probe OpenMP, compile csrc/*.c once, then link those objects into every extension."""

    def build_extensions(self):
        use_openmp = not _env_flag("FASTNN_NO_OPENMP") and _compiler_accepts_openmp(self.compiler)
        if not use_openmp:
            reason = "FASTNN_NO_OPENMP is set" if _env_flag("FASTNN_NO_OPENMP") else "the compiler rejected -fopenmp"
            bar = "!" * 78
            print(f"\n{bar}\nWARNING: fastnn is being built WITHOUT OpenMP ({reason}).\n"
                  f"Every kernel will run on a single thread.\n{bar}\n", file=sys.stderr)
        omp_flags = ["-fopenmp"] if use_openmp else []
        native_flags = ["-march=native"] if _env_flag("FASTNN_NATIVE") else []
        build_flags = " ".join(BASE_CFLAGS + omp_flags + native_flags)
        macros = [("FASTNN_BUILD_FLAGS", '"%s"' % build_flags), ("FASTNN_OPENMP", "1" if use_openmp else "0")]

        sources = sorted(glob.glob(os.path.join(CSRC, "*.c")))
        objects = self.compiler.compile(
            sources, output_dir=self.build_temp, macros=macros, include_dirs=[CSRC],
            extra_postargs=BASE_CFLAGS + omp_flags + native_flags, depends=glob.glob(os.path.join(CSRC, "*.h")))
        for ext in self.extensions:
            ext.extra_objects = list(objects)
            ext.extra_compile_args = ["-O2"] + omp_flags + native_flags
            ext.extra_link_args = omp_flags
            ext.define_macros = list(ext.define_macros or []) + [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
        super().build_extensions()


def _extensions():
    exts = []
    for pyx in sorted(glob.glob(os.path.join("fastnn", "_native", "*.pyx"))):
        module = os.path.splitext(pyx)[0].replace(os.sep, ".")
        # depends: a changed C kernel or header must relink every extension (they embed the objects).
        exts.append(Extension(module, [pyx], include_dirs=[CSRC, np.get_include()],
                              depends=sorted(glob.glob(os.path.join(CSRC, "*.[ch]")))))
    return cythonize(exts, compiler_directives=CYTHON_DIRECTIVES, include_path=[CSRC, "fastnn/_native"])


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildFastnn})
