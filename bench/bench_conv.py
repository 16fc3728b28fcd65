#!/usr/bin/env python
"""Per-layer convolution throughput against the GEMM it is built on (a script, not a test).

For each convolution of the cnn reference workload (batch 128: 28x28x1 -> 32 3x3, 26x26x32 -> 64 3x3,
'valid') and each pass (forward with bias; backward-data = dy @ W^T + col2im; backward-filter =
im2col + col^T @ dy + bias grad), the conv kernel is timed interleaved with fastnn's GEMM alone on the
same matrix sizes (the im2col matrix taken as given) and with numpy's BLAS on those sizes; medians
after warm-up. GFLOP/s count 2*M*K*F per pass. conv/gemm < 1 is the cost of im2col/col2im and panels.

    python bench/bench_conv.py                 # table, 1 and 2 threads, float32
    python bench/bench_conv.py --json          # one JSON object per row
    python bench/bench_conv.py --quick --dtype float64 --threads 2
"""
import argparse
import json
import os
import sys
import time

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(_ROOT, "fastnn")) and _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import fastnn  # noqa: E402
from fastnn._native import _conv, _gemm  # noqa: E402
from fastnn.layers._conv_utils import conv_geometry  # noqa: E402

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # numpy's BLAS then runs with its default thread count
    threadpool_limits = None

LAYERS = [("conv1 28x28x1->32 3x3", (128, 28, 28, 1), 32, 3), ("conv2 26x26x32->64 3x3", (128, 26, 26, 32), 64, 3)]
PASSES = ("forward", "backward_data", "backward_filter")


def _median_interleaved(funcs, reps, budget):
    """Median seconds of each callable, run round-robin (A B C A B C ...) after two warm-up rounds."""
    for _ in range(2):
        for f in funcs:
            f()
    times = [[] for _ in funcs]
    start = time.perf_counter()
    while len(times[0]) < reps or (time.perf_counter() - start < budget and len(times[0]) < 5 * reps):
        for i, f in enumerate(funcs):
            t0 = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in times]


def bench_layer(label, x_shape, filters, k, dtype, n_threads, reps, budget):
    rng = np.random.default_rng(0)
    g = conv_geometry(x_shape, (k, k), (1, 1), (1, 1), "valid", filters)
    n, h, w, c = x_shape
    m, kk, f = g[0] * g[4] * g[5], k * k * c, filters
    x = rng.standard_normal(x_shape).astype(dtype)
    wt = rng.standard_normal((k, k, c, f)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    y = np.empty((n, g[4], g[5], f), dtype)
    dy = rng.standard_normal(y.shape).astype(dtype)
    dx = np.empty(x_shape, dtype)
    dw, db = np.zeros_like(wt), np.zeros_like(b)
    col = rng.standard_normal((m, kk)).astype(dtype)
    dcol = np.empty((m, kk), dtype)
    w2 = wt.reshape(kk, f)
    dy2 = dy.reshape(m, f)
    y2 = y.reshape(m, f)
    dw2 = dw.reshape(kk, f)
    conv = {
        "forward": lambda: _conv.conv2d_forward(x, wt, b, y, g, n_threads),
        "backward_data": lambda: _conv.conv2d_backward_data(dy, wt, dx, g, n_threads),
        "backward_filter": lambda: _conv.conv2d_backward_filter(x, dy, dw, db, g, n_threads),
    }
    gemm = {  # the same GEMMs on a ready-made im2col matrix, in one call over the whole batch
        "forward": lambda: _gemm.gemm(False, False, m, f, kk, 1.0, col, kk, w2, f, 0.0, y2, f, b, n_threads),
        "backward_data": lambda: _gemm.gemm(False, True, m, kk, f, 1.0, dy2, f, w2, f, 0.0, dcol, kk, None,
                                            n_threads),
        "backward_filter": lambda: _gemm.gemm(True, False, kk, f, m, 1.0, col, kk, dy2, f, 1.0, dw2, f, None,
                                              n_threads),
    }
    numpy_ops = {
        "forward": lambda: np.matmul(col, w2, out=y2),
        "backward_data": lambda: np.matmul(dy2, w2.T, out=dcol),
        "backward_filter": lambda: np.matmul(col.T, dy2, out=dw2),
    }
    flop = 2.0 * m * kk * f
    rows = []
    for p in PASSES:
        t_conv, t_gemm, t_np = _median_interleaved([conv[p], gemm[p], numpy_ops[p]], reps, budget)
        rows.append({
            "workload": label, "pass": p, "dtype": np.dtype(dtype).name, "threads": n_threads,
            "m": m, "k": kk, "n": f,
            "conv_ms": t_conv * 1e3, "conv_gflops": flop / t_conv / 1e9,
            "gemm_ms": t_gemm * 1e3, "gemm_gflops": flop / t_gemm / 1e9,
            "numpy_ms": t_np * 1e3, "numpy_gflops": flop / t_np / 1e9,
            "conv_over_gemm": t_gemm / t_conv, "conv_over_numpy": t_np / t_conv,
        })
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per row instead of a table")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    args = ap.parse_args(argv)
    reps, budget = (3, 0.3) if args.quick else (7, 2.0)
    rows = []
    for n_threads in args.threads:
        fastnn.set_num_threads(n_threads)
        ctx = threadpool_limits(limits=n_threads) if threadpool_limits else None
        try:
            for label, x_shape, filters, k in LAYERS:
                for row in bench_layer(label, x_shape, filters, k, np.dtype(args.dtype), n_threads, reps, budget):
                    rows.append(row)
                    if args.json:
                        print(json.dumps(row), flush=True)
        finally:
            if ctx is not None:
                ctx.unregister() if hasattr(ctx, "unregister") else ctx.__exit__(None, None, None)
    if not args.json:
        note = "" if threadpool_limits else " (numpy BLAS threads not limited: threadpoolctl missing)"
        print(f"conv vs GEMM, batch 128, {args.dtype}; medians of interleaved runs{note}")
        head = (f"{'layer':24s} {'pass':16s} {'thr':>3s} {'M x K x N':>17s} {'conv ms':>8s} {'GF/s':>6s} "
                f"{'gemm ms':>8s} {'GF/s':>6s} {'numpy ms':>8s} {'GF/s':>6s} {'conv/gemm':>9s} {'conv/np':>7s}")
        print(head)
        print("-" * len(head))
        for r in rows:
            print(f"{r['workload']:24s} {r['pass']:16s} {r['threads']:3d} {r['m']:>7d}x{r['k']:>4d}x{r['n']:<4d} "
                  f"{r['conv_ms']:8.2f} {r['conv_gflops']:6.1f} {r['gemm_ms']:8.2f} {r['gemm_gflops']:6.1f} "
                  f"{r['numpy_ms']:8.2f} {r['numpy_gflops']:6.1f} {r['conv_over_gemm']:9.2f} "
                  f"{r['conv_over_numpy']:7.2f}")


if __name__ == "__main__":
    main()
