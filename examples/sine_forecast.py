"""Forecasting a noisy sum of sines with recurrent networks: windows of past values -> the next value.

The series is x_t = sin(2 pi t / 50) + 0.5 sin(2 pi t / 17 + 1) + 0.2 sin(2 pi t / 7) + noise (sd 0.1).
The first 70% of it trains (fit holds out the last 20% of the training windows with validation_split,
and EarlyStopping on val_loss restores the best weights), the last 30% tests. Two models:

* a GRU(32) -> Dense(1);
* a deep bidirectional one: Bidirectional(LSTM(16, return_sequences=True)) -> LSTM(16) -> Dense(1).

Each is compared with the naive forecast "the next value equals the last one" (which it must beat), then
used autoregressively: from a test window it predicts one step, appends the prediction to the window and
repeats, so the error of a HORIZON-step forecast can be compared with repeating the last value.
The script exits with status 1 if a model does not beat the naive one-step forecast.
The noise alone sets the floor of any one-step forecast: MSE 0.01.

    python examples/sine_forecast.py [--epochs N] [--seed S] [--quick]
"""
import argparse
import time

import numpy as np

import fastnn
from fastnn import layers

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=40, help="maximum epochs (EarlyStopping usually ends sooner)")
parser.add_argument("--seed", type=int, default=0, help="random seed for the noise, weights and shuffling")
parser.add_argument("--quick", action="store_true", help="a smoke run: a shorter series and at most 8 epochs")
args = parser.parse_args()
if args.quick:
    args.epochs = min(args.epochs, 8)

WINDOW, HORIZON, NOISE = 32, 20, 0.1
fastnn.utils.set_random_seed(args.seed)
rng = np.random.default_rng(args.seed)

# ---- data ----
n = 2000 if args.quick else 3000
t = np.arange(n)
series = (np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 17 + 1.0) + 0.2 * np.sin(2 * np.pi * t / 7)
          + rng.normal(scale=NOISE, size=n)).astype("float32")
split = int(0.7 * n)


def windows(s):
    """(len(s) - WINDOW, WINDOW, 1) inputs and the value following each window."""
    idx = np.arange(len(s) - WINDOW)[:, None] + np.arange(WINDOW)[None, :]
    return s[idx][..., None], s[WINDOW:][:, None]


x_train, y_train = windows(series[:split])
x_test, y_test = windows(series[split:])
naive_mse = float(np.mean((x_test[:, -1] - y_test) ** 2))
print(f"series of {n} values: {len(x_train)} training windows (20% of them for validation), "
      f"{len(x_test)} test windows of {WINDOW}")
print(f"naive last-value forecast: test MSE {naive_mse:.4f} (noise floor {NOISE ** 2:.4f})")


def gru_model():
    return fastnn.Sequential([fastnn.Input((WINDOW, 1)), layers.GRU(32), layers.Dense(1)], name="gru")


def deep_bidirectional_model():
    return fastnn.Sequential([
        fastnn.Input((WINDOW, 1)),
        layers.Bidirectional(layers.LSTM(16, return_sequences=True)),   # reads the window both ways
        layers.LSTM(16),                                                 # stacked on the (batch, time, 32) output
        layers.Dense(1),
    ], name="bidirectional_lstm")


def forecast(model, x0, steps):
    """Autoregressive forecast: (batch, WINDOW, 1) windows -> (batch, steps) predicted values."""
    window, out = x0.copy(), []
    for _ in range(steps):
        nxt = model.predict(window, batch_size=256, verbose=0)          # (batch, 1)
        out.append(nxt[:, 0])
        window = np.concatenate([window[:, 1:], nxt[:, None, :]], axis=1)
    return np.stack(out, axis=1)


# Multi-step forecasts start from every 5th test window that has HORIZON true values after it.
starts = np.arange(0, len(x_test) - HORIZON, 5)
future = np.stack([y_test[s:s + HORIZON, 0] for s in starts])           # (starts, HORIZON) true values
naive_multi = np.mean((x_test[starts, -1] - future) ** 2, axis=0)       # error at each horizon

failures = []
for build in (gru_model, deep_bidirectional_model):
    fastnn.utils.set_random_seed(args.seed)
    model = build()
    model.compile(optimizer=fastnn.optimizers.Adam(learning_rate=3e-3), loss="mse")
    stop = fastnn.callbacks.EarlyStopping(monitor="val_loss", patience=6, restore_best_weights=True)
    t0 = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.2,
                        callbacks=[stop], verbose=0)
    seconds = time.perf_counter() - t0
    h = history.history
    print(f"\n{model.name}: {model.count_params()} parameters, {len(h['loss'])} epoch(s) in {seconds:.1f} s "
          f"(loss {h['loss'][0]:.4f} -> {h['loss'][-1]:.4f}, best val_loss {min(h['val_loss']):.4f})")
    mse = float(model.evaluate(x_test, y_test, verbose=0))
    if not mse < naive_mse:
        failures.append(model.name)
    print(f"  one-step test MSE {mse:.4f} vs naive {naive_mse:.4f}: "
          + (f"beats the baseline ({naive_mse / mse:.1f}x lower)" if mse < naive_mse
             else f"does NOT beat the baseline ({mse / naive_mse:.1f}x higher)"))
    multi = np.mean((forecast(model, x_test[starts], HORIZON) - future) ** 2, axis=0)
    print("  autoregressive forecast MSE by horizon (model / naive): "
          + ", ".join(f"h={k} {multi[k - 1]:.3f}/{naive_multi[k - 1]:.3f}" for k in (1, 5, 10, HORIZON)))
    print(f"  mean over {HORIZON} steps: {multi.mean():.4f} vs naive {naive_multi.mean():.4f}")

if failures:
    raise SystemExit(f"{', '.join(failures)} did not beat the naive last-value forecast")
