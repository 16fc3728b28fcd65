"""Elementwise kernels against numpy: activations, softmax cross-entropy, bias gradients, dropout,
batch norm. Interleaves fastnn and numpy, reports medians.

    python bench/bench_eltwise.py [--threads 1 2] [--json]
"""
import argparse
import json
import statistics
import time

import numpy as np

import fastnn
from fastnn import activations, losses
from fastnn._native import _eltwise


def _median_us(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def _cases(rng):
    big = rng.standard_normal((128, 26, 26, 32)).astype(np.float32)
    mid = rng.standard_normal((128, 256)).astype(np.float32)
    logits = rng.standard_normal((128, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 128)
    bias = np.zeros(32, np.float32)
    flat = big.reshape(-1, 32)
    scce = losses.SparseCategoricalCrossentropy(from_logits=True)
    act = {name: activations.get(name) for name in ("relu", "sigmoid", "tanh", "gelu")}

    def np_scce():
        z = logits - logits.max(1, keepdims=True)
        e = np.exp(z)
        s = e.sum(1, keepdims=True)
        loss = np.mean(np.log(s[:, 0]) - z[np.arange(128), labels])
        g = e / s
        g[np.arange(128), labels] -= 1
        return loss, g / 128

    yield "relu 128x256", lambda: act["relu"].forward(mid), lambda: np.maximum(mid, 0)
    yield "relu 128x26x26x32", lambda: act["relu"].forward(big), lambda: np.maximum(big, 0)
    yield "sigmoid 128x26x26x32", lambda: act["sigmoid"].forward(big), lambda: 1 / (1 + np.exp(-big))
    yield "tanh 128x26x26x32", lambda: act["tanh"].forward(big), lambda: np.tanh(big)
    yield "sparse CE fwd+bwd 128x10", lambda: scce.forward_backward(labels, logits), np_scce
    yield "bias grad 86528x32", lambda: _eltwise.column_sum_accumulate(flat, bias, fastnn.get_num_threads()), \
        lambda: flat.sum(0)
    yield "dropout fwd 128x26x26x32", \
        lambda: _eltwise.dropout_forward(big, 7, 0.25, 1 / 0.75, fastnn.get_num_threads()), \
        lambda: big * (rng.random(big.shape, dtype=np.float32) >= 0.25) / 0.75
    yield "batchnorm stats 86528x32", lambda: _eltwise.bn_stats(flat, fastnn.get_num_threads()), \
        lambda: (flat.mean(0), flat.var(0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="one JSON object per row")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for threads in args.threads:
        fastnn.set_num_threads(threads)
        for name, ours, peer in _cases(rng):
            t_ours, t_peer = [], []
            for _ in range(3):  # interleave A B A B ...
                t_ours.append(_median_us(ours, args.reps))
                t_peer.append(_median_us(peer, args.reps))
            a, b = statistics.median(t_ours), statistics.median(t_peer)
            if args.json:
                print(json.dumps({"workload": name, "dtype": "float32", "threads": threads, "fastnn_us": a,
                                  "numpy_us": b, "ratio": b / a}))
            else:
                print(f"{name:28s} threads={threads}  fastnn {a:9.1f} us  numpy {b:9.1f} us  x{b / a:5.2f}")


if __name__ == "__main__":
    main()
