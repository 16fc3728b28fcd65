#!/usr/bin/env python
"""Benchmark fastnn's LSTM layer (a script, not a test): forward+backward per batch and batch-1 inference.

Rows: the reference lstm workload (LSTM(128), batch 128 x 28 steps x 28 features, float32) and a sweep
over hidden sizes (32, 128, 512) x sequence lengths (8, 28, 100) at batch 128. "train" times one forward
(training=True, every buffer backward needs kept) plus one backward (weight and input gradients);
"infer b1" times a batch-1 forward of the reference shape.

If PyTorch is importable (in this interpreter, or in the one given by --torch-python), torch.nn.LSTM is
timed on the same shapes and thread count in a subprocess (two thread pools in one process disturb
each other), rounds interleaved: fastnn, torch, fastnn, torch ... Ratio = torch time / fastnn time
(> 1: fastnn faster), from medians; the "min" ratio compares the best runs, which is the steadier
figure on a busy shared machine. Without torch the peer columns are skipped with a note.

    python bench/bench_rnn.py                      # table, 2 threads
    python bench/bench_rnn.py --quick --json       # one JSON object per row
    python bench/bench_rnn.py --torch-python /path/to/venv/bin/python --threads 1
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(_ROOT, "fastnn")) and _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

REFERENCE = ("lstm ref train", 128, 28, 28, 128, "train")
INFER = ("lstm ref infer b1", 1, 28, 28, 128, "infer")


def _shapes(quick):
    rows = [REFERENCE, INFER]
    units = [32, 128] if quick else [32, 128, 512]
    steps = [8, 28] if quick else [8, 28, 100]
    for u in units:
        for t in steps:
            if (u, t) != (128, 28):
                rows.append((f"sweep u={u} T={t}", 128, t, 28, u, "train"))
    return rows


def _median_time(fn, budget):
    fn()
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-6)
    reps = int(min(50, max(5, budget / one)))
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return [float(np.median(ts)), float(np.min(ts))]


def time_fastnn(rows, threads, budget):
    import fastnn
    from fastnn.layers.recurrent import LSTM

    fastnn.set_num_threads(threads)
    out = {}
    for label, n, t, d, u, mode in rows:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n, t, d)).astype(np.float32)
        layer = LSTM(u, dtype="float32")
        layer(x)
        if mode == "infer":
            out[label] = _median_time(lambda: layer(x), budget)
            continue
        dy = rng.standard_normal((n, u)).astype(np.float32)

        def step():
            y, ctx = layer.forward(x, training=True)
            layer.backward(ctx, dy, need_input_grad=False)

        out[label] = _median_time(step, budget)
    return out


_TORCH_SCRIPT = r"""
import json, sys, time
import numpy as np
import torch
rows, threads, budget = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
torch.set_num_threads(threads)
def med(fn):
    fn(); fn()
    t0 = time.perf_counter(); fn(); one = max(time.perf_counter() - t0, 1e-6)
    reps = int(min(50, max(5, budget / one))); ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return [float(np.median(ts)), float(np.min(ts))]
out = {}
for label, n, t, d, u, mode in rows:
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(d, u, batch_first=True)
    x = torch.randn(n, t, d)
    if mode == "infer":
        with torch.inference_mode():
            out[label] = med(lambda: lstm(x))
        continue
    dy = torch.randn(n, u)
    def step():
        lstm.zero_grad(set_to_none=True)
        y, (h, c) = lstm(x)
        (y[:, -1] * dy).sum().backward()
    out[label] = med(step)
print(json.dumps(out))
"""


def _torch_python(explicit):
    candidates = [explicit] if explicit else [sys.executable]
    for py in candidates:
        if not py:
            continue
        r = subprocess.run([py, "-c", "import torch"], capture_output=True)
        if r.returncode == 0:
            return py
    return None


def time_torch(py, rows, threads, budget):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    r = subprocess.run([py, "-c", _TORCH_SCRIPT, json.dumps(rows), str(threads), str(budget)],
                       capture_output=True, text=True, env=env, cwd="/tmp", timeout=1800)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if r.returncode != 0 or not lines:
        raise RuntimeError(f"torch subprocess failed: {r.stderr[-500:]}")
    return json.loads(lines[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved fastnn/torch rounds (median taken)")
    ap.add_argument("--quick", action="store_true", help="fewer shapes, shorter timing")
    ap.add_argument("--json", action="store_true", help="one JSON object per row instead of a table")
    ap.add_argument("--torch-python", default=None, help="interpreter with torch installed (default: this one)")
    args = ap.parse_args()
    rows = _shapes(args.quick)
    budget = 0.3 if args.quick else 1.0
    py = _torch_python(args.torch_python)
    fast_runs, torch_runs = [], []
    for _ in range(args.rounds):
        fast_runs.append(time_fastnn(rows, args.threads, budget))
        if py:
            torch_runs.append(time_torch(py, rows, args.threads, budget))
    if not py and not args.json:
        print("note: torch is not importable here (pass --torch-python); peer columns skipped")
    if not args.json:
        print(f"{'workload':24s} {'fastnn ms':>10s} {'torch ms':>10s} {'ratio':>7s} {'min ratio':>9s}"
              f"   (threads={args.threads}, medians; min ratio = best torch run / best fastnn run)")
    for label, n, t, d, u, mode in rows:
        f = float(np.median([r[label][0] for r in fast_runs])) * 1e3
        fmin = float(np.min([r[label][1] for r in fast_runs])) * 1e3
        p = pmin = None
        if torch_runs:
            p = float(np.median([r[label][0] for r in torch_runs])) * 1e3
            pmin = float(np.min([r[label][1] for r in torch_runs])) * 1e3
        ratio = p / f if p else None
        ratio_min = pmin / fmin if pmin else None
        if args.json:
            print(json.dumps(dict(workload=label, batch=n, steps=t, features=d, units=u, mode=mode, dtype="float32",
                                  threads=args.threads, fastnn_ms=round(f, 4), fastnn_min_ms=round(fmin, 4),
                                  torch_ms=None if p is None else round(p, 4),
                                  torch_min_ms=None if pmin is None else round(pmin, 4),
                                  ratio=None if ratio is None else round(ratio, 3),
                                  ratio_min=None if ratio_min is None else round(ratio_min, 3))))
        else:
            ps = f"{p:10.3f}" if p else f"{'-':>10s}"
            rs = f"{ratio:7.2f}" if ratio else f"{'-':>7s}"
            rm = f"{ratio_min:9.2f}" if ratio_min else f"{'-':>9s}"
            print(f"{label:24s} {f:10.3f} {ps} {rs} {rm}")

if __name__ == "__main__":
    main()
