"""A character-level language model on fourteen of Shakespeare's sonnets (examples/data/sonnets.txt).

The text is cut into overlapping windows of SEQ_LEN characters; the model reads a window and, at every
position, predicts the next character (LSTM with return_sequences=True, so each window gives SEQ_LEN
training targets): Embedding -> LSTM -> LSTM -> Dense(softmax) over the vocabulary, trained with `fit`
and sparse categorical cross-entropy. After training it writes new text one character at a time from a
seed string, sampling from the predicted distribution sharpened or flattened by a temperature
(p_i ∝ exp(log q_i / T): T < 1 is more conservative, T > 1 more adventurous).

    python examples/char_rnn.py [--epochs N] [--seed S] [--temperature T] [--length N] [--quick]
"""
import argparse
import os
import time

import numpy as np

import fastnn
from fastnn import layers

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=12, help="training epochs (default 12)")
parser.add_argument("--seed", type=int, default=0, help="random seed for weights, shuffling and sampling")
parser.add_argument("--temperature", type=float, default=0.6, help="sampling temperature (default 0.6)")
parser.add_argument("--length", type=int, default=300, help="characters to generate (default 300)")
parser.add_argument("--quick", action="store_true", help="a smoke run: 2 epochs on a quarter of the windows")
args = parser.parse_args()
if args.quick:
    args.epochs, args.length = min(args.epochs, 2), min(args.length, 80)

SEQ_LEN, STRIDE = 40, 3
fastnn.utils.set_random_seed(args.seed)
rng = np.random.default_rng(args.seed)

# ---- data: the text without its '#' header line, a character vocabulary, next-character windows ----
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "sonnets.txt")
with open(path, encoding="utf-8") as f:
    text = "".join(line for line in f if not line.startswith("#"))
chars = sorted(set(text))
char_to_id = {c: i for i, c in enumerate(chars)}
ids = np.array([char_to_id[c] for c in text], dtype=np.int64)
starts = np.arange(0, len(ids) - SEQ_LEN - 1, STRIDE)
if args.quick:
    starts = starts[::4]
x = np.stack([ids[s:s + SEQ_LEN] for s in starts])             # (windows, SEQ_LEN) character ids
y = np.stack([ids[s + 1:s + SEQ_LEN + 1] for s in starts])     # the same windows shifted by one
print(f"text: {len(text)} characters, vocabulary {len(chars)}, {len(x)} windows of {SEQ_LEN}")

# ---- model ----
model = fastnn.Sequential([
    fastnn.Input((None,)),                          # any sequence length: training windows and generation
    layers.Embedding(len(chars), 32),
    layers.LSTM(128, return_sequences=True),
    layers.LSTM(128, return_sequences=True),        # stacked (deep) RNN
    layers.Dense(len(chars), activation="softmax"),
], name="char_rnn")
model.summary()
model.compile(optimizer=fastnn.optimizers.Adam(learning_rate=5e-3, clipnorm=1.0),
              loss="sparse_categorical_crossentropy")


def sample(probs, temperature):
    """Draw one index from `probs` re-weighted by the temperature."""
    logits = np.log(np.maximum(probs.astype(np.float64), 1e-12)) / temperature
    p = np.exp(logits - logits.max())
    return int(rng.choice(len(p), p=p / p.sum()))


def generate(seed_text, length, temperature):
    """Extend `seed_text` by `length` characters; the model reads the last SEQ_LEN characters each step."""
    out = list(seed_text)
    for _ in range(length):
        window = np.array([[char_to_id[c] for c in out[-SEQ_LEN:]]], dtype=np.int64)
        probs = model.predict_on_batch(window)[0, -1]   # the distribution of the character after the window
        out.append(chars[sample(probs, temperature)])
    return "".join(out)


# ---- training: one fit call per epoch so the loss is printed as it goes down ----
t0 = time.perf_counter()
losses = []
for epoch in range(args.epochs):
    history = model.fit(x, y, batch_size=64, epochs=epoch + 1, initial_epoch=epoch, verbose=0)
    losses.append(history.history["loss"][-1])
    print(f"epoch {epoch + 1:3d}/{args.epochs}  loss {losses[-1]:.4f}  "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
print(f"loss went from {losses[0]:.4f} to {losses[-1]:.4f} "
      f"(uniform guessing: {np.log(len(chars)):.4f})")

seed_text = "Shall I compare thee"
print(f"\n--- generated (seed {seed_text!r}, temperature {args.temperature}) ---")
print(generate(seed_text, args.length, args.temperature))
print("--- end of sample ---")
