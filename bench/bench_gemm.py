#!/usr/bin/env python
"""Benchmark fastnn's GEMM against numpy's BLAS (a script, not a test).

Each library runs in its own process (two thread pools in one process disturb each other: alternating
calls of fastnn and OpenBLAS stalled both by milliseconds at 2 threads), in rounds that alternate
fastnn, numpy, fastnn, numpy ... . A process times every row after a warm-up and reports its median
per row; the table shows the median over rounds as GFLOP/s, the ratio numpy_time / fastnn_time (> 1:
fastnn faster), and the best sample of each side, which is what to read on a loaded, shared machine.
Threads: OMP_NUM_THREADS / OPENBLAS_NUM_THREADS of each process and fastnn.set_num_threads.

    python bench/bench_gemm.py                 # full table, 1 and 2 threads, float32 and float64
    python bench/bench_gemm.py --quick --json  # fewer sizes/repetitions, one JSON object per row
    python bench/bench_gemm.py --threads 2 --dtype float32 --rounds 5
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


def _time_one(f, quick):
    """(median, best) seconds per call of f, after a warm-up; samples of >= ~10 ms each."""
    budget = 0.15 if quick else 0.5  # seconds per row, roughly
    for _ in range(3):
        f()  # warm-up: page faults, thread pool, packing buffers
    t0 = time.perf_counter()
    f()
    one = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(0.01 / one))
    samples = int(min(25 if quick else 41, max(5, budget / (one * inner))))
    ts = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(inner):
            f()
        ts.append((time.perf_counter() - t0) / inner)
    return float(np.median(ts)), float(np.min(ts))


def time_rows(lib, threads, dtypes, quick):
    """Child process: time every row with one library; yields {key, median, best}."""
    if lib == "fastnn":
        import fastnn
        from fastnn.ops import matmul

        fastnn.set_num_threads(threads)
    rng = np.random.default_rng(0)
    for dtype in dtypes:
        for label, m, k, n, ta, tb in _rows(quick):
            a, b = _operands(m, k, n, ta, tb, dtype, rng)
            out = np.empty((m, n), dtype)
            if lib == "fastnn":
                f = lambda: matmul(a, b, transpose_a=ta, transpose_b=tb, out=out)  # noqa: E731
            else:
                opa, opb = (a.T if ta else a), (b.T if tb else b)
                f = lambda: np.matmul(opa, opb, out=out)  # noqa: E731
            med, best = _time_one(f, quick)
            yield {"key": [label, np.dtype(dtype).name], "median": med, "best": best}


def run_rows(threads, dtypes, quick, rounds, dtype_arg):
    """Rounds of one child process per library; yields the combined rows."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    got = {"fastnn": [], "numpy": []}
    for _ in range(rounds):
        for lib in ("fastnn", "numpy"):
            cmd = [sys.executable, os.path.abspath(__file__), "--_child", lib, "--threads", str(threads),
                   "--dtype", dtype_arg] + (["--quick"] if quick else [])
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"{lib} timing process failed:\n{out.stderr[-2000:]}")
            got[lib].append({tuple(r["key"]): r for r in map(json.loads, out.stdout.splitlines())})
    for dtype in dtypes:
        for label, m, k, n, ta, tb in _rows(quick):
            key = (label, np.dtype(dtype).name)
            tf = float(np.median([r[key]["median"] for r in got["fastnn"]]))
            tn = float(np.median([r[key]["median"] for r in got["numpy"]]))
            bf = min(r[key]["best"] for r in got["fastnn"])
            bn = min(r[key]["best"] for r in got["numpy"])
            flop = 2.0 * m * n * k
            yield {"shape": f"{m}x{k}x{n}", "label": label, "m": m, "k": k, "n": n,
                   "trans_a": bool(ta), "trans_b": bool(tb), "dtype": np.dtype(dtype).name, "threads": threads,
                   "fastnn_gflops": round(flop / tf / 1e9, 2), "numpy_gflops": round(flop / tn / 1e9, 2),
                   "fastnn_ms": round(tf * 1e3, 4), "numpy_ms": round(tn * 1e3, 4), "ratio": round(tn / tf, 3),
                   "fastnn_best_gflops": round(flop / bf / 1e9, 2), "numpy_best_gflops": round(flop / bn / 1e9, 2),
                   "best_ratio": round(bn / bf, 3), "rounds": rounds}


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
    ap.add_argument("--rounds", type=int, default=3, help="processes per library and thread count (default 3)")
    ap.add_argument("--_child", choices=["fastnn", "numpy"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    dtypes = [np.dtype(d).type for d in args.dtype.split(",")]

    if args._child:  # one library, one thread count: rows as JSON on stdout for the parent
        for row in time_rows(args._child, threads[0], dtypes, args.quick):
            print(json.dumps(row), flush=True)
        return

    if not args.json:
        import fastnn
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"# fastnn {fastnn.info()['isa_active']}, numpy {np.__version__}; ratio = numpy time / fastnn time; "
              f"each library in its own process, {args.rounds} rounds; load average {load:.2f} on "
              f"{os.cpu_count()} CPUs at start")
        print(f"{'':<22} {'':>16} {'':>2} {'':>7} {'':>2} {'--- median of rounds ---':>26} "
              f"{'--- best sample ---':>26}")
        print(f"{'row':<22} {'m x k x n':>16} {'op':>2} {'dtype':>7} {'th':>2} {'fastnn':>9} {'numpy':>9} {'ratio':>6} "
              f"{'fastnn':>9} {'numpy':>9} {'ratio':>6}")
        print(f"{'':<22} {'':>16} {'':>2} {'':>7} {'':>2} {'GFLOP/s':>9} {'GFLOP/s':>9} {'':>6} {'GFLOP/s':>9} "
              f"{'GFLOP/s':>9}")
    all_rows = []
    for t in threads:
        for row in run_rows(t, dtypes, args.quick, args.rounds, args.dtype):
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
