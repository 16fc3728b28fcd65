"""A small ResNet-style CNN with residual blocks on the bundled 8x8 digits.

Each residual block is conv 3x3 -> BatchNorm -> ReLU -> conv 3x3 -> BatchNorm, added to its input
(a 1x1 convolution projects the shortcut when the number of channels or the stride changes), then ReLU:
the Functional API with `layers.add([...])` shortcuts, as in Keras. BatchNormalization uses momentum=0.9:
with only ~40 steps per epoch, Keras's default 0.99 leaves the moving statistics (used at evaluation)
lagging far behind the batch statistics for the first epochs.

    python examples/resnet_cnn.py [--quick]
"""
import argparse
import os
import tempfile

import numpy as np

import fastnn
from fastnn import layers

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a smoke run: 1 epoch on 320 training images")
args = parser.parse_args()

fastnn.utils.set_random_seed(0)
(x_train, y_train), (x_test, y_test) = fastnn.datasets.digits.load_data()
x_train = (x_train.astype("float32") / 16.0)[..., None]  # (n, 8, 8, 1), channels last
x_test = (x_test.astype("float32") / 16.0)[..., None]
if args.quick:
    x_train, y_train = x_train[:320], y_train[:320]


def residual_block(x, filters, stride=1):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization(momentum=0.9)(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization(momentum=0.9)(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization(momentum=0.9)(shortcut)
    return layers.Activation("relu")(layers.add([y, shortcut]))


inputs = fastnn.Input(shape=(8, 8, 1))
x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
x = layers.BatchNormalization(momentum=0.9)(x)
x = layers.Activation("relu")(x)
x = residual_block(x, 16)
x = residual_block(x, 32, stride=2)   # 8x8 -> 4x4
x = residual_block(x, 32)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = fastnn.Model(inputs, outputs, name="tiny_resnet")
model.summary()

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=1 if args.quick else 8, batch_size=32, validation_split=0.1, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {acc:.3f} (loss {loss:.3f})")

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "best_model.h5")
    model.save(path)
    loaded = fastnn.saving.load_model(path)
    print("reloaded model predicts identically:",
          np.array_equal(model.predict(x_test, verbose=0), loaded.predict(x_test, verbose=0)))
