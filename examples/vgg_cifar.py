"""A VGG-style CNN on CIFAR-shaped images (32x32x3, 10 classes), with data augmentation.

The data are synthetic so the example runs anywhere: each class is a coloured square at its own position
on noise, which the network learns in a few epochs. Swap in real CIFAR-10 arrays of the same shapes
(uint8 images / 255, integer labels) to train on them unchanged.

Blocks of two 3x3 convolutions (same padding) with BatchNormalization and ReLU, then 2x2 max pooling and
dropout, doubling the filters at each block — the VGG recipe — and augmentation layers that are active
only while training.

    python examples/vgg_cifar.py [--quick]
"""
import argparse

import numpy as np

import fastnn
from fastnn import layers

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a smoke run: 1 epoch on 256 training images")
args = parser.parse_args()

fastnn.utils.set_random_seed(0)


rng = np.random.default_rng(0)
CLASS_COLOURS = rng.uniform(0.5, 1.0, (10, 3)).astype("float32")


def synthetic_cifar(n, rng):
    """(n, 32, 32, 3) float32 images in [0, 1] and labels 0..9."""
    y = rng.integers(0, 10, n)
    x = rng.uniform(0.0, 0.4, (n, 32, 32, 3)).astype("float32")
    colours = CLASS_COLOURS
    for i, label in enumerate(y):
        top, left = 4 + 6 * (label // 5), 2 + 6 * (label % 5)
        x[i, top:top + 8, left:left + 8] = colours[label]
    return x, y


x_train, y_train = synthetic_cifar(256 if args.quick else 2000, rng)
x_test, y_test = synthetic_cifar(64 if args.quick else 500, rng)


def vgg_block(filters, dropout):
    return [
        layers.Conv2D(filters, 3, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=0.9),
        layers.Activation("relu"),
        layers.Conv2D(filters, 3, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=0.9),
        layers.Activation("relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(dropout),
    ]


model = fastnn.Sequential(
    [fastnn.Input(shape=(32, 32, 3)),
     layers.RandomTranslation(0.05, 0.05, fill_mode="nearest"),   # training only
     layers.RandomContrast(0.1, value_range=(0, 1))]
    + vgg_block(32, 0.2) + vgg_block(64, 0.3) + vgg_block(128, 0.4)
    + [layers.GlobalAveragePooling2D(), layers.Dense(128, activation="relu"), layers.Dropout(0.5), layers.Dense(10)],
    name="vgg_cifar")
model.summary()
model.compile(optimizer="adam", loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1 if args.quick else 4, batch_size=64, validation_split=0.1, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {acc:.3f} (loss {loss:.3f})")
