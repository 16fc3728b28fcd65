#!/usr/bin/env python
"""Benchmark fastnn's GEMM against numpy's BLAS (a script, not a test).

Each row times fastnn.ops.matmul and numpy.matmul on the same operands, interleaved (A B A B ...) after a
warm-up, and reports medians as GFLOP/s plus the ratio numpy_time / fastnn_time (> 1: fastnn faster); the
best (minimum) sample of each side is shown as well, which is what to read on a loaded, shared machine.
Thread counts: fastnn.set_num_threads and, when threadpoolctl is installed, threadpool_limits for numpy's
BLAS; without threadpoolctl every thread count runs in its own subprocess with OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS set.

    python bench/bench_gemm.py                 # full table, 1 and 2 threads, float32 and float64
    python bench/bench_gemm.py --quick --json  # fewer sizes/repetitions, one JSON object per row
    python bench/bench_gemm.py --threads 2 --dtype float32
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

# Run from a source checkout: use its in-place build (python setup.py build_ext --inplace).
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(_ROOT, "fastnn")) and _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

# (label, m, k, n, transpose_a, transpose_b): C[m, n] = op(A)[m, k] @ op(B)[k, n]
SQUARES = [64, 128, 256, 512, 1024, 2048]
MODEL = [
    ("dense1 fwd  x@W", 128, 784, 256, False, False),
    ("dense1 dW   x^T@dy", 784, 128, 256, True, False),
    ("dense1 dx   dy@W^T", 128, 256, 784, False, True),
    ("dense2 fwd  x@W", 128, 256, 128, False, False),
    ("dense2 dW   x^T@dy", 256, 128, 128, True, False),
    ("dense2 dx   dy@W^T", 128, 128, 256, False, True),
    ("conv2 fwd   col@W", 73728, 288, 64, False, False),
    ("conv2 dW    col^T@dy", 288, 73728, 64, True, False),
    ("conv2 dcol  dy@W^T", 73728, 64, 288, False, True),
    ("256x128x784", 256, 128, 784, False, False),
]


def _rows(quick):
    sq = [64, 256, 512, 1024] if quick else SQUARES
    rows = [(f"square {s}", s, s, s, False, False) for s in sq]
    return rows + MODEL


def _operands(m, k, n, ta, tb, dtype, rng):
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    return a, b


def _time_pair(f_fast, f_np, flop, quick, settle=0.0):
    """Interleaved medians (seconds) of the two callables.

    Each timed block of calls starts with one untimed call, which wakes that library's thread pool:
    after the other library ran, a pool's workers are asleep, and waking an idle core (in a VM an idle
    vCPU) can take milliseconds — a cost of alternating two libraries, not of either GEMM.
    settle: seconds to pause before each block. With several threads, the pool that just ran keeps
    spinning for a while (OpenBLAS up to ~0.1 s) and would steal a core from the other side's block.
    """
    budget = 0.15 if quick else 0.5  # seconds per side per row, roughly
    f_fast(), f_np(), f_fast(), f_np()  # warm-up: page faults, thread pools, packing buffers
    f_fast()
    t0 = time.perf_counter()
    f_fast()
    one = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(0.01 / one))          # calls per sample, so a sample is >= ~10 ms
    samples = int(min(25 if quick else 41, max(5, budget / (one * inner))))
    tf, tn = [], []
    for _ in range(samples):
        time.sleep(settle)
        f_fast()
        t0 = time.perf_counter()
        for _ in range(inner):
            f_fast()
        tf.append((time.perf_counter() - t0) / inner)
        time.sleep(settle)
        f_np()
        t0 = time.perf_counter()
        for _ in range(inner):
            f_np()
        tn.append((time.perf_counter() - t0) / inner)
    # Medians are the headline; the minima (best sample of each side) are reported too because on a
    # shared, loaded machine they approximate what each side does when it gets its cores.
    return float(np.median(tf)), float(np.median(tn)), float(np.min(tf)), float(np.min(tn))


def run_rows(threads, dtypes, quick):
    import fastnn
    from fastnn.ops import matmul

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the parent process started us with OMP/OPENBLAS_NUM_THREADS already set
        threadpool_limits = None
    fastnn.set_num_threads(threads)
    ctx = threadpool_limits(limits=threads) if threadpool_limits else None
    if ctx:
        ctx.__enter__()
    rng = np.random.default_rng(0)
    results = []
    try:
        for dtype in dtypes:
            for label, m, k, n, ta, tb in _rows(quick):
                a, b = _operands(m, k, n, ta, tb, dtype, rng)
                opa, opb = (a.T if ta else a), (b.T if tb else b)
                out_f = np.empty((m, n), dtype)
                out_n = np.empty((m, n), dtype)
                flop = 2.0 * m * n * k
                tf, tn, bf, bn = _time_pair(lambda: matmul(a, b, transpose_a=ta, transpose_b=tb, out=out_f),
                                    lambda: np.matmul(opa, opb, out=out_n), flop, quick,
                                                    settle=0.12 if threads > 1 else 0.0)
                row = {"shape": f"{m}x{k}x{n}", "label": label, "m": m, "k": k, "n": n,
                       "trans_a": bool(ta), "trans_b": bool(tb), "dtype": np.dtype(dtype).name, "threads": threads,
                       "fastnn_gflops": round(flop / tf / 1e9, 2), "numpy_gflops": round(flop / tn / 1e9, 2),
                       "fastnn_ms": round(tf * 1e3, 4), "numpy_ms": round(tn * 1e3, 4), "ratio": round(tn / tf, 3),
                       "fastnn_best_gflops": round(flop / bf / 1e9, 2), "numpy_best_gflops": round(flop / bn / 1e9, 2),
                       "best_ratio": round(bn / bf, 3)}
                results.append(row)
                yield row
    finally:
        if ctx:
            ctx.__exit__(None, None, None)


def _print_row(row, as_json):
    if as_json:
        print(json.dumps(row), flush=True)
        return
    t = ("T" if row["trans_a"] else "N") + ("T" if row["trans_b"] else "N")
    print(f"{row['label']:<22} {row['shape']:>16} {t:>2} {row['dtype']:>7} {row['threads']:>2} "
          f"{row['fastnn_gflops']:>9.1f} {row['numpy_gflops']:>9.1f} {row['ratio']:>6.2f} "
          f"{row['fastnn_best_gflops']:>9.1f} {row['numpy_best_gflops']:>9.1f} {row['best_ratio']:>6.2f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer sizes and repetitions")
    ap.add_argument("--json", action="store_true", help="one JSON object per row instead of a table")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--dtype", default="float32,float64", help="float32, float64 or both (comma-separated)")
    ap.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    dtypes = [np.dtype(d).type for d in args.dtype.split(",")]

    try:
        import threadpoolctl  # noqa: F401
        have_tpc = True
    except ImportError:
        have_tpc = False

    if args._child:  # one thread count, rows as JSON on stdout for the parent
        for row in run_rows(threads[0], dtypes, args.quick):
            print(json.dumps(row), flush=True)
        return

    if not args.json:
        import fastnn
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"# fastnn {fastnn.info()['isa_active']}, numpy {np.__version__}; ratio = numpy time / fastnn time; "
              f"{'threadpoolctl' if have_tpc else 'subprocess per thread count (no threadpoolctl)'}; "
              f"load average {load:.2f} on {os.cpu_count()} CPUs at start")
        print(f"{'':<22} {'':>16} {'':>2} {'':>7} {'':>2} {'--- median of samples ---':>26} "
              f"{'--- best sample ---':>26}")
        print(f"{'row':<22} {'m x k x n':>16} {'op':>2} {'dtype':>7} {'th':>2} {'fastnn':>9} {'numpy':>9} {'ratio':>6} "
              f"{'fastnn':>9} {'numpy':>9} {'ratio':>6}")
        print(f"{'':<22} {'':>16} {'':>2} {'':>7} {'':>2} {'GFLOP/s':>9} {'GFLOP/s':>9} {'':>6} {'GFLOP/s':>9} "
              f"{'GFLOP/s':>9}")
    all_rows = []
    for t in threads:
        if have_tpc:
            rows = run_rows(t, dtypes, args.quick)
        else:
            env = dict(os.environ, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t), MKL_NUM_THREADS=str(t))
            cmd = [sys.executable, os.path.abspath(__file__), "--_child", "--threads", str(t), "--dtype", args.dtype]
            if args.quick:
                cmd.append("--quick")
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
            rows = (json.loads(line) for line in proc.stdout)
        for row in rows:
            all_rows.append(row)
            _print_row(row, args.json)

    # 1 -> 2 (or lowest -> highest) thread speedup of fastnn on the large squares.
    if len(threads) > 1:
        lo, hi = min(threads), max(threads)
        for row in all_rows:
            if row["threads"] != hi or not row["label"].startswith("square") or row["m"] < 1024:
                continue
            base = next((r for r in all_rows if r["threads"] == lo and r["shape"] == row["shape"]
                         and r["dtype"] == row["dtype"] and r["label"] == row["label"]), None)
            if base:
                sp = {"speedup": f"{lo}->{hi} threads", "shape": row["shape"], "dtype": row["dtype"],
                      "fastnn": round(row["fastnn_gflops"] / base["fastnn_gflops"], 2),
                      "numpy": round(row["numpy_gflops"] / base["numpy_gflops"], 2),
                      "fastnn_best": round(row["fastnn_best_gflops"] / base["fastnn_best_gflops"], 2),
                      "numpy_best": round(row["numpy_best_gflops"] / base["numpy_best_gflops"], 2)}
                if args.json:
                    print(json.dumps(sp))
                else:
                    print(f"speedup {lo}->{hi} threads {row['shape']:>16} {row['dtype']:>7}: fastnn {sp['fastnn']:.2f}x"
                          f"  numpy {sp['numpy']:.2f}x   (best samples: fastnn {sp['fastnn_best']:.2f}x"
                          f"  numpy {sp['numpy_best']:.2f}x)")


if __name__ == "__main__":
    main()
