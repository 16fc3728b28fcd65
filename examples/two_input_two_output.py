"""A two-input / two-output Functional model: per-output losses, loss weights and metrics.

Inputs: an 8x8 digit image and a small "metadata" vector (here: the row sums, a cheap second view).
Outputs: the digit class (softmax) and whether the digit is even (sigmoid). Shows dict inputs/targets
keyed by the Input and output-layer names, compile(loss={...}, loss_weights={...}, metrics={...}),
summary() with the graph's connections, and save/load with identical predictions.

    python examples/two_input_two_output.py [--quick]
"""
import argparse
import os
import tempfile

import numpy as np

import fastnn
from fastnn import layers

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a smoke run: 2 epochs instead of 25")
args = parser.parse_args()

(x_train, y_train), (x_test, y_test) = fastnn.datasets.digits.load_data()
x_train = x_train.astype("float32") / 16.0
x_test = x_test.astype("float32") / 16.0


def views(x):
    return {"image": x.reshape(len(x), 64), "row_sums": x.sum(axis=2) / 8.0}


def targets(y):
    return {"digit": y.astype("int64"), "even": (y % 2 == 0).astype("float32").reshape(-1, 1)}


fastnn.utils.set_random_seed(0)
image = fastnn.Input(shape=(64,), name="image")
row_sums = fastnn.Input(shape=(8,), name="row_sums")
a = layers.Dense(64, activation="relu")(image)
b = layers.Dense(16, activation="relu")(row_sums)
h = layers.concatenate([a, b])
h = layers.Dense(64, activation="relu")(h)
digit = layers.Dense(10, activation="softmax", name="digit")(h)
even = layers.Dense(1, activation="sigmoid", name="even")(layers.concatenate([h, digit]))
model = fastnn.Model(inputs=[image, row_sums], outputs=[digit, even], name="two_in_two_out")
model.summary()

model.compile(optimizer="adam",
              loss={"digit": "sparse_categorical_crossentropy", "even": "binary_crossentropy"},
              loss_weights={"digit": 1.0, "even": 0.5},
              metrics={"digit": ["accuracy"], "even": ["accuracy"]})
history = model.fit(views(x_train), targets(y_train), epochs=2 if args.quick else 25, batch_size=32,
                    validation_split=0.1, verbose=0)
print("final training logs:", {k: round(v[-1], 4) for k, v in history.history.items()})
results = model.evaluate(views(x_test), targets(y_test), verbose=0, return_dict=True)
print("test:", {k: round(v, 4) for k, v in results.items()})

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "two_in_two_out.h5")
    model.save(path)
    loaded = fastnn.saving.load_model(path)
    same = all(np.array_equal(p, q) for p, q in zip(model.predict(views(x_test), verbose=0),
                                                    loaded.predict(views(x_test), verbose=0)))
    print(f"saved {os.path.getsize(path)} bytes; reloaded model predicts identically: {same}")
