"""A denoising AutoEncoder on the bundled 8x8 digits.

Noisy images in, clean images out: Dense encoder to a 16-D code, Dense decoder back to 64 pixels.
Prints the reconstruction error of the noisy input versus the denoised output, a few digits as
ASCII art, and checks that the encoder (a sub-model sharing the layers) gives usable codes: a small
classifier on the frozen encoder reaches good accuracy.

    python examples/denoising_autoencoder.py [--quick]
"""
import argparse

import numpy as np

import fastnn
from fastnn import layers

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round of 3 epochs, 3 classifier epochs")
args = parser.parse_args()
ROUNDS, EPOCHS_PER_ROUND, CLF_EPOCHS = (1, 3, 3) if args.quick else (4, 15, 30)

fastnn.utils.set_random_seed(0)
rng = np.random.default_rng(0)
(x_train, y_train), (x_test, y_test) = fastnn.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16.0
x_test = x_test.reshape(-1, 64).astype("float32") / 16.0


def add_noise(x):
    return np.clip(x + rng.normal(scale=0.35, size=x.shape), 0.0, 1.0).astype("float32")


inputs = fastnn.Input((64,), name="pixels")
h = layers.Dense(128, activation="relu")(inputs)
code = layers.Dense(16, activation="relu", name="code")(h)
h = layers.Dense(128, activation="relu")(code)
outputs = layers.Dense(64, activation="sigmoid", name="reconstruction")(h)
autoencoder = fastnn.Model(inputs, outputs, name="denoising_autoencoder")
encoder = fastnn.Model(inputs, code, name="encoder")  # shares the encoder layers
autoencoder.summary()
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")

noisy_test = add_noise(x_test)
for epoch in range(ROUNDS):
    autoencoder.fit(add_noise(x_train), x_train, epochs=(epoch + 1) * EPOCHS_PER_ROUND,
                    initial_epoch=epoch * EPOCHS_PER_ROUND, batch_size=32, verbose=0)  # fresh noise every round
    denoised = autoencoder.predict(noisy_test, verbose=0)
    print(f"epoch {(epoch + 1) * EPOCHS_PER_ROUND:3d}: MSE noisy vs clean {np.mean((noisy_test - x_test) ** 2):.4f}, "
          f"denoised vs clean {np.mean((denoised - x_test) ** 2):.4f}")


def ascii(img):
    return ["".join(" .:-=+*#%@"[min(9, int(v * 10))] for v in row) for row in img.reshape(8, 8)]


print("\n  clean      noisy      denoised")
for i in range(3):
    for a, b, c in zip(ascii(x_test[i]), ascii(noisy_test[i]), ascii(denoised[i])):
        print(f"  {a}   {b}   {c}")
    print()

encoder.trainable = False
clf_in = fastnn.Input((64,))
clf = fastnn.Model(clf_in, layers.Dense(10, activation="softmax")(encoder(clf_in)), name="classifier_on_codes")
clf.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
clf.fit(x_train, y_train, epochs=CLF_EPOCHS, batch_size=32, verbose=0)
print(f"linear classifier on the frozen 16-D codes: test accuracy {clf.evaluate(x_test, y_test, verbose=0)[1]:.3f}")
