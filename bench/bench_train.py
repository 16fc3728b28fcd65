"""Training-step and batch-1 inference times of fastnn against PyTorch and Keras/TF (when installed).

Each framework runs in its own process (two thread pools in one process disturb each other); rounds
are interleaved (fastnn, torch, keras, fastnn, ...) and the median of each framework's per-round
medians is reported with fastnn's speed-up over the best peer.

    python bench/bench_train.py --workload mlp              # table
    python bench/bench_train.py --workload cnn --json       # one JSON object per row
    python bench/bench_train.py --workload lstm --rounds 5 --threads 2

Workloads (PERFORMANCE.md): batch 128, float32, Adam, sparse softmax cross-entropy from logits.
  mlp  784-256-128-10 relu
  cnn  Conv2D(32,3,relu)-Conv2D(64,3,relu)-MaxPool(2)-Dropout(.25)-Flatten-Dense(128,relu)-Dropout(.5)-Dense(10)
  lstm LSTM(128) over 28 steps x 28 features -> Dense(10)
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

BATCH = 128
REPS = {"mlp": 200, "cnn": 10, "lstm": 30}
# batch-1 calls are short and their first hundreds are slower (caches, thread pools settling): time many
INFER_REPS = {"mlp": 2000, "cnn": 500, "lstm": 500}
WARMUP = {"mlp": 5, "cnn": 20, "lstm": 5}


def _data(workload):
    import numpy as np

    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, BATCH)
    x = {"mlp": lambda: rng.random((BATCH, 784), dtype=np.float32),
         "cnn": lambda: rng.random((BATCH, 28, 28, 1), dtype=np.float32),
         "lstm": lambda: rng.random((BATCH, 28, 28), dtype=np.float32)}[workload]()
    return x, y


def _keras_like_model(lib, workload, shape):
    L = lib.layers
    body = {"mlp": lambda: [L.Dense(256, activation="relu"), L.Dense(128, activation="relu"), L.Dense(10)],
            "cnn": lambda: [L.Conv2D(32, 3, activation="relu"), L.Conv2D(64, 3, activation="relu"),
                            L.MaxPooling2D(2), L.Dropout(0.25), L.Flatten(), L.Dense(128, activation="relu"),
                            L.Dropout(0.5), L.Dense(10)],
            "lstm": lambda: [L.LSTM(128), L.Dense(10)]}[workload]()
    model = lib.Sequential([lib.Input(shape)] + body)
    model.compile(optimizer="adam", loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _worker(framework, workload, threads, mode, reps):
    """Runs in a child process; prints one JSON line with the median step time in ms."""
    import numpy as np

    x, y = _data(workload)
    if framework == "torch":
        import torch
        import torch.nn as nn

        torch.set_num_threads(threads)

        class LSTMNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(28, 128, batch_first=True)
                self.fc = nn.Linear(128, 10)

            def forward(self, v):
                h, _ = self.lstm(v)
                return self.fc(h[:, -1])

        model = {"mlp": lambda: nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                              nn.Linear(128, 10)),
                 "cnn": lambda: nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                                              nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128),
                                              nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10)),
                 "lstm": LSTMNet}[workload]()
        tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if workload == "cnn" else x)
        ty = torch.from_numpy(y)
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss_fn(model(tx), ty).backward()
            opt.step()

        if mode == "infer":
            model.eval()
            x1 = tx[:1]

            def step():
                with torch.no_grad():
                    model(x1)
    elif framework == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
        from tensorflow import keras

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        model = _keras_like_model(keras, workload, x.shape[1:])

        def step():
            model.train_on_batch(x, y)

        if mode == "infer":
            f = tf.function(lambda v: model(v, training=False))
            x1 = x[:1]

            def step():
                f(x1)
    else:
        import fastnn

        fastnn.set_num_threads(threads)
        fastnn.utils.set_random_seed(0)
        model = _keras_like_model(fastnn, workload, x.shape[1:])

        def step():
            model.train_on_batch(x, y)

        if mode == "infer":
            x1 = x[:1]

            def step():
                model.predict_on_batch(x1)
    # Warm-up: CNN steps get faster over their first ~15 calls (the allocator settles into reusing
    # freed activation memory instead of faulting in fresh pages), so every framework gets WARMUP calls
    # and the steady-state step is what is timed.
    for _ in range(WARMUP[workload]):
        step()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"ms": float(np.median(times) * 1e3), "peak_mb": peak_mb}))


def _available(framework):
    if framework == "fastnn":
        return True
    module = {"torch": "torch", "keras": "tensorflow"}[framework]
    probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
    return probe.returncode == 0


def _run_child(framework, workload, threads, mode, reps):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", framework, "--workload", workload,
           "--threads", str(threads), "--mode", mode, "--reps", str(reps)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} worker failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=["mlp", "cnn", "lstm"], default="mlp")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="train,infer")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=["fastnn", "torch", "keras"])
    parser.add_argument("--mode", default="train")
    parser.add_argument("--reps", type=int, default=0)
    args = parser.parse_args()
    if args.worker:
        return _worker(args.worker, args.workload, args.threads, args.mode, args.reps)

    frameworks = [f for f in ("fastnn", "torch", "keras") if _available(f)]
    skipped = [f for f in ("torch", "keras") if f not in frameworks]
    rows = []
    for mode in args.modes.split(","):
        reps = INFER_REPS[args.workload] if mode == "infer" else REPS[args.workload]
        samples = {f: [] for f in frameworks}
        peaks = {f: [] for f in frameworks}
        for _ in range(args.rounds):
            for f in frameworks:
                result = _run_child(f, args.workload, args.threads, mode, reps)
                samples[f].append(result["ms"])
                peaks[f].append(result["peak_mb"])
        med = {f: sorted(v)[len(v) // 2] for f, v in samples.items()}
        peers = {f: m for f, m in med.items() if f != "fastnn"}
        best = min(peers, key=peers.get) if peers else None
        row = {"workload": args.workload, "mode": mode, "threads": args.threads, "fastnn_ms": med["fastnn"],
               "fastnn_peak_mb": max(peaks["fastnn"])}
        for f in peers:
            row[f"{f}_ms"] = med[f]
            row[f"{f}_peak_mb"] = max(peaks[f])
        if best:
            row["best_peer"] = best
            row["speedup_vs_best_peer"] = med[best] / med["fastnn"]
        rows.append(row)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    if skipped:
        print(f"note: {', '.join(skipped)} not installed; skipped (pip install torch==2.13.0 / tensorflow-cpu)")
    print(f"{'workload':8} {'mode':6} {'thr':>3} {'fastnn ms':>10} " +
          " ".join(f"{f + ' ms':>10}" for f in frameworks if f != "fastnn") + f" {'speed-up':>9} {'peak MB':>8}")
    for row in rows:
        peers = " ".join(f"{row[f + '_ms']:10.3f}" for f in frameworks if f != "fastnn")
        speed = f"{row['speedup_vs_best_peer']:8.2f}x" if "speedup_vs_best_peer" in row else "        -"
        print(f"{row['workload']:8} {row['mode']:6} {row['threads']:3d} {row['fastnn_ms']:10.3f} {peers} {speed} "
              f"{row['fastnn_peak_mb']:8.0f}")


if __name__ == "__main__":
    main()
