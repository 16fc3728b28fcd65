"""Freezing and models sharing layers: the classic Keras GAN recipe and fine-tuning."""
import numpy as np
import pytest

import fastnn
from fastnn.layers.core import Dense


def _same(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a, b))


def _gan(functional_combined):
    generator = fastnn.Sequential([Dense(16, activation="relu", input_shape=(2,)), Dense(2)], name="generator")
    discriminator = fastnn.Sequential([Dense(16, activation="relu", input_shape=(2,)),
                                       Dense(1, activation="sigmoid")], name="discriminator")
    discriminator.compile(optimizer=fastnn.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy")
    discriminator.trainable = False  # BEFORE compiling the combined model: frozen there only
    if functional_combined:
        z = fastnn.Input((2,))
        combined = fastnn.Model(z, discriminator(generator(z)))
    else:
        combined = fastnn.Sequential([generator, discriminator])
    combined.compile(optimizer=fastnn.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy")
    return generator, discriminator, combined


@pytest.mark.parametrize("functional_combined", [True, False])
def test_gan_recipe_freezes_discriminator_only_in_combined_model(functional_combined):
    fastnn.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    generator, discriminator, combined = _gan(functional_combined)
    assert combined.trainable_weights == generator.trainable_weights
    real_loss = []
    for step in range(40):
        real = rng.normal(size=(32, 2)) * 0.3 + np.array([2.0, -1.0])
        noise = rng.normal(size=(32, 2))
        fake = generator.predict(noise, verbose=0)
        d_before = discriminator.get_weights()
        x = np.concatenate([real, fake])
        y = np.concatenate([np.ones((32, 1)), np.zeros((32, 1))])
        real_loss.append(discriminator.train_on_batch(x, y))
        assert not _same(d_before, discriminator.get_weights()), "the discriminator must train on its own"
        d_before = discriminator.get_weights()
        g_before = generator.get_weights()
        combined.train_on_batch(noise, np.ones((32, 1)))
        assert _same(d_before, discriminator.get_weights()), "the discriminator must stay frozen in the combined model"
        assert not _same(g_before, generator.get_weights()), "the generator must train through the combined model"
    # The flag the user set stays as set.
    assert discriminator.trainable is False
    # The generator moved its samples towards the real data.
    fake = generator.predict(rng.normal(size=(256, 2)), verbose=0)
    assert np.linalg.norm(fake.mean(axis=0) - np.array([2.0, -1.0])) < 1.5


def test_trainable_flag_change_needs_recompile():
    model = fastnn.Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 2)), np.zeros((4, 1))
    model.layers[0].trainable = False  # after compile: takes effect on the next compile (Keras 3 semantics)
    before = model.layers[0].get_weights()
    model.train_on_batch(x, y)
    assert not _same(before, model.layers[0].get_weights())
    model.compile("sgd", "mse")
    before = model.layers[0].get_weights()
    head_before = model.layers[1].get_weights()
    model.train_on_batch(x, y)
    assert _same(before, model.layers[0].get_weights())
    assert not _same(head_before, model.layers[1].get_weights())
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2


def test_fine_tuning_frozen_base_in_functional_model():
    inp = fastnn.Input((4,))
    base = Dense(8, activation="relu", name="base")
    head = Dense(1, name="head")
    model = fastnn.Model(inp, head(base(inp)))
    base.trainable = False
    model.compile("adam", "mse")
    before = base.get_weights()
    model.fit(np.random.rand(32, 4), np.random.rand(32, 1), epochs=2, verbose=0)
    assert _same(before, base.get_weights())
    lines = []
    model.summary(print_fn=lines.append)
    assert any("Non-trainable params: 40" in l for l in lines)


def test_shared_layer_between_two_compiled_models():
    shared = Dense(4, activation="tanh")
    a_in, b_in = fastnn.Input((3,)), fastnn.Input((3,))
    model_a = fastnn.Model(a_in, Dense(1)(shared(a_in)))
    model_b = fastnn.Model(b_in, Dense(2)(shared(b_in)))
    model_a.compile("sgd", "mse")
    model_b.compile("sgd", "mse")
    x = np.random.rand(8, 3)
    w0 = shared.get_weights()
    model_a.train_on_batch(x, np.zeros((8, 1)))
    w1 = shared.get_weights()
    model_b.train_on_batch(x, np.zeros((8, 2)))
    assert not _same(w0, w1) and not _same(w1, shared.get_weights())
