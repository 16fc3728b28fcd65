"""A small GAN on 2-D data (a ring of 8 Gaussians), with the classic Keras recipe.

The discriminator is compiled on its own; then `discriminator.trainable = False` and the combined model
generator -> discriminator is compiled. Each model trains the layers that were trainable when IT was
compiled, so `discriminator.train_on_batch` updates the discriminator while `combined.train_on_batch`
updates only the generator.

    python examples/gan_2d.py [--quick]
"""
import argparse

import numpy as np

import fastnn
from fastnn import layers

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a smoke run: 200 steps instead of 3000")
args = parser.parse_args()
STEPS, REPORT_EVERY = (200, 100) if args.quick else (3000, 500)

fastnn.utils.set_random_seed(1)
rng = np.random.default_rng(1)
LATENT = 4
angles = np.arange(8) * (2 * np.pi / 8)
centers = np.stack([np.cos(angles), np.sin(angles)], axis=1) * 2.0


def real_samples(n):
    return (centers[rng.integers(0, 8, n)] + rng.normal(scale=0.05, size=(n, 2))).astype("float32")


generator = fastnn.Sequential([fastnn.Input((LATENT,)), layers.Dense(64, activation="relu"),
                               layers.Dense(64, activation="relu"), layers.Dense(2)], name="generator")
discriminator = fastnn.Sequential([fastnn.Input((2,)), layers.Dense(64, activation="relu"),
                                   layers.Dense(64, activation="relu"), layers.Dense(1, activation="sigmoid")],
                                  name="discriminator")
discriminator.compile(optimizer=fastnn.optimizers.Adam(learning_rate=1e-3, beta_1=0.5), loss="binary_crossentropy",
                      metrics=["accuracy"])
discriminator.trainable = False
z = fastnn.Input((LATENT,), name="z")
combined = fastnn.Model(z, discriminator(generator(z)), name="combined")
combined.compile(optimizer=fastnn.optimizers.Adam(learning_rate=1e-3, beta_1=0.5), loss="binary_crossentropy")
combined.summary()


def coverage(samples):
    """How many of the 8 modes receive at least 2% of the samples, and the mean distance to a mode."""
    d = np.linalg.norm(samples[:, None, :] - centers[None], axis=2)
    nearest = d.argmin(axis=1)
    modes = sum(np.mean(nearest == k) > 0.02 for k in range(8))
    return modes, float(d.min(axis=1).mean())


batch = 64
for step in range(1, STEPS + 1):
    noise = rng.normal(size=(batch, LATENT)).astype("float32")
    fake = generator.predict(noise, batch_size=batch, verbose=0)
    x = np.concatenate([real_samples(batch), fake])
    y = np.concatenate([np.full((batch, 1), 0.9), np.zeros((batch, 1))]).astype("float32")  # one-sided smoothing
    d_loss, d_acc = discriminator.train_on_batch(x, y)
    g_loss = combined.train_on_batch(rng.normal(size=(batch, LATENT)).astype("float32"), np.ones((batch, 1)))
    if step % REPORT_EVERY == 0:
        modes, dist = coverage(generator.predict(rng.normal(size=(2000, LATENT)).astype("float32"), verbose=0))
        print(f"step {step:5d}  d_loss {d_loss:.3f}  d_acc {d_acc:.2f}  g_loss {g_loss:.3f}  "
              f"modes covered {modes}/8  mean distance to nearest mode {dist:.3f}")
