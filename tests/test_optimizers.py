"""Optimizers: Keras 3 formulas (independent numpy transcription), kernels vs references, threads,
clipping, weight decay, schedules, state round trips, configs and errors."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import fastnn
from fastnn import optimizers
from fastnn._native import _optim, _runtime
from fastnn.engine.variable import Variable
from fastnn.optimizers import schedules


# ---- float64 transcription of the Keras 3 update rules (written from the formulas, not from fastnn) ----
class KerasReference:
    """One optimizer's state and update in float64 numpy, following keras/src/optimizers/*.py."""

    def __init__(self, kind, cfg, shapes):
        self.kind, self.cfg, self.t = kind, dict(cfg), 0
        self.u_product = 1.0
        zeros = lambda: [np.zeros(s) for s in shapes]  # noqa: E731
        if kind == "adagrad":
            self.acc = [np.full(s, cfg.get("initial_accumulator_value", 0.1)) for s in shapes]
        self.m, self.v, self.vhat, self.a = zeros(), zeros(), zeros(), zeros()

    def lr(self):
        lr = self.cfg.get("learning_rate", 0.01 if self.kind == "sgd" else 0.001)
        return lr(self.t) if callable(lr) else lr

    def clip(self, grads):
        c = self.cfg
        if c.get("clipnorm"):
            out = []
            for g in grads:
                norm = np.sqrt(np.sum(g * g))
                out.append(g * c["clipnorm"] / max(norm, c["clipnorm"]))
            return out
        if c.get("global_clipnorm"):
            norm = np.sqrt(sum(np.sum(g * g) for g in grads))
            return [g * c["global_clipnorm"] * min(1.0 / norm, 1.0 / c["global_clipnorm"]) for g in grads]
        if c.get("clipvalue"):
            return [np.clip(g, -c["clipvalue"], c["clipvalue"]) for g in grads]
        return grads

    def step(self, ws, grads):
        c, lr = self.cfg, self.lr()
        grads = self.clip([np.asarray(g, np.float64) for g in grads])
        wd = c.get("weight_decay", 0.004 if self.kind == "adamw" else None)
        ws = [w.astype(np.float64) for w in ws]
        if wd:
            ws = [w - w * wd * lr for w in ws]
        t = self.t + 1
        if self.kind == "nadam":
            b1 = c.get("beta_1", 0.9)
            self.u_product = self.u_product * b1 * (1.0 - 0.5 * 0.96 ** t)
        out = []
        for i, (w, g) in enumerate(zip(ws, grads)):
            out.append(getattr(self, "_" + self.kind.replace("adamw", "adam"))(i, w, g, lr, t))
        self.t += 1
        return out

    def _sgd(self, i, w, g, lr, t):
        mom = self.cfg.get("momentum", 0.0)
        if mom == 0:
            return w - g * lr
        self.m[i] = self.m[i] * mom - g * lr
        if self.cfg.get("nesterov"):
            return w + (self.m[i] * mom - g * lr)
        return w + self.m[i]

    def _adagrad(self, i, w, g, lr, t):
        self.acc[i] = self.acc[i] + g * g
        return w - lr * g / np.sqrt(self.acc[i] + self.cfg.get("epsilon", 1e-7))

    def _adadelta(self, i, w, g, lr, t):
        rho, eps = self.cfg.get("rho", 0.95), self.cfg.get("epsilon", 1e-7)
        self.m[i] = rho * self.m[i] + (1 - rho) * g * g
        delta = -np.sqrt(self.v[i] + eps) * g / np.sqrt(self.m[i] + eps)
        self.v[i] = rho * self.v[i] + (1 - rho) * delta * delta
        return w + lr * delta

    def _rmsprop(self, i, w, g, lr, t):
        rho, mom = self.cfg.get("rho", 0.9), self.cfg.get("momentum", 0.0)
        eps = self.cfg.get("epsilon", 1e-7)
        self.v[i] = rho * self.v[i] + (1 - rho) * g * g
        if self.cfg.get("centered"):
            self.a[i] = rho * self.a[i] + (1 - rho) * g
            den = self.v[i] - self.a[i] ** 2 + eps
        else:
            den = self.v[i] + eps
        inc = lr * g / np.sqrt(den)
        if mom > 0:
            self.m[i] = mom * self.m[i] + inc
            return w - self.m[i]
        return w - inc

    def _adam(self, i, w, g, lr, t):
        b1, b2 = self.cfg.get("beta_1", 0.9), self.cfg.get("beta_2", 0.999)
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        self.m[i] += (g - self.m[i]) * (1 - b1)
        self.v[i] += (g * g - self.v[i]) * (1 - b2)
        v = self.v[i]
        if self.cfg.get("amsgrad"):
            self.vhat[i] = np.maximum(self.vhat[i], self.v[i])
            v = self.vhat[i]
        return w - alpha * self.m[i] / (np.sqrt(v) + self.cfg.get("epsilon", 1e-7))

    def _nadam(self, i, w, g, lr, t):
        b1, b2 = self.cfg.get("beta_1", 0.9), self.cfg.get("beta_2", 0.999)
        u_t = b1 * (1 - 0.5 * 0.96 ** t)
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_prod_t1 = self.u_product * u_t1
        self.m[i] += (g - self.m[i]) * (1 - b1)
        self.v[i] += (g * g - self.v[i]) * (1 - b2)
        m_hat = u_t1 * self.m[i] / (1 - u_prod_t1) + (1 - u_t) * g / (1 - self.u_product)
        v_hat = self.v[i] / (1 - b2 ** t)
        return w - m_hat * lr / (np.sqrt(v_hat) + self.cfg.get("epsilon", 1e-7))


CASES = [
    ("sgd", {}), ("sgd", {"momentum": 0.9}), ("sgd", {"momentum": 0.8, "nesterov": True, "learning_rate": 0.05}),
    ("adagrad", {}), ("adagrad", {"initial_accumulator_value": 0.5, "learning_rate": 0.1}),
    ("adadelta", {}), ("adadelta", {"rho": 0.8, "learning_rate": 1.0}),
    ("rmsprop", {}), ("rmsprop", {"momentum": 0.5, "centered": True}), ("rmsprop", {"centered": True}),
    ("rmsprop", {"momentum": 0.3}),
    ("adam", {}), ("adam", {"amsgrad": True, "beta_1": 0.5, "learning_rate": 0.01}),
    ("adamw", {}), ("adamw", {"weight_decay": 0.1, "learning_rate": 0.01}),
    ("nadam", {}), ("nadam", {"beta_1": 0.8, "beta_2": 0.99}),
    ("adam", {"clipnorm": 0.5}), ("sgd", {"momentum": 0.9, "global_clipnorm": 0.7}),
    ("rmsprop", {"clipvalue": 0.2}), ("sgd", {"weight_decay": 0.01, "learning_rate": 0.1}),
    ("nadam", {"clipvalue": 0.5, "weight_decay": 0.05}),
]
CLASSES = {"sgd": optimizers.SGD, "adagrad": optimizers.Adagrad, "adadelta": optimizers.Adadelta,
           "rmsprop": optimizers.RMSprop, "adam": optimizers.Adam, "adamw": optimizers.AdamW,
           "nadam": optimizers.Nadam}
SHAPES = [(3, 4), (5,), (2, 3, 2)]


def _variables(rng, dtype):
    return [Variable(rng.standard_normal(s).astype(dtype), f"w{i}") for i, s in enumerate(SHAPES)]


def _run(kind, cfg, dtype, n_steps=6, seed=0):
    rng = np.random.default_rng(seed)
    variables = _variables(rng, dtype)
    opt = CLASSES[kind](**cfg)
    ref = KerasReference(kind, cfg, SHAPES)
    ref_ws = [v.value.astype(np.float64) for v in variables]
    for _ in range(n_steps):
        for v in variables:
            v.grad[...] = rng.standard_normal(v.shape).astype(dtype)
        ref_ws = ref.step(ref_ws, [v.grad for v in variables])
        opt.apply(variables)
    return variables, ref_ws, opt


@pytest.mark.parametrize("kind,cfg", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_keras_formula(kind, cfg, dtype):
    variables, ref_ws, opt = _run(kind, cfg, dtype)
    assert opt.iterations == 6
    tol = dict(rtol=1e-11, atol=1e-13) if dtype == "float64" else dict(rtol=2e-5, atol=2e-6)
    for v, r in zip(variables, ref_ws):
        assert v.value.dtype == np.dtype(dtype)
        np.testing.assert_allclose(v.value, r, **tol)


@given(kind=st.sampled_from(sorted(CLASSES)), lr=st.floats(1e-4, 0.5), beta_1=st.floats(0.0, 0.99),
       beta_2=st.floats(0.5, 0.9999), rho=st.floats(0.0, 0.99), momentum=st.floats(0.0, 0.95),
       flag=st.booleans(), seed=st.integers(0, 2**16))
def test_random_hyper_parameters_match_keras_formula(kind, lr, beta_1, beta_2, rho, momentum, flag, seed):
    cfg = {"learning_rate": lr}
    if kind in ("adam", "adamw", "nadam"):
        cfg.update(beta_1=beta_1, beta_2=beta_2)
        if kind != "nadam":
            cfg["amsgrad"] = flag
    elif kind == "sgd":
        cfg.update(momentum=momentum, nesterov=flag)
    elif kind == "rmsprop":
        # Centered RMSprop divides by sqrt(v - m^2); with rho -> 0 that difference cancels to ~rho*g^2, so
        # any two correct float64 evaluations differ far above rtol 1e-9 (found by hypothesis: rho=1.2e-7).
        # The formula is compared where it is well-conditioned.
        assume(not flag or rho >= 0.1)
        cfg.update(rho=rho, momentum=momentum, centered=flag)
    elif kind == "adadelta":
        cfg["rho"] = rho
    variables, ref_ws, _ = _run(kind, cfg, "float64", n_steps=4, seed=seed)
    for v, r in zip(variables, ref_ws):
        np.testing.assert_allclose(v.value, r, rtol=1e-9, atol=1e-11)


def _kernel_calls(dtype, n, rng):
    """(name, callable(reference) -> tuple of arrays after the update) for every kernel and option."""
    w0 = rng.standard_normal(n).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    s = [np.abs(rng.standard_normal(n)).astype(dtype) for _ in range(3)]

    def make(fn, n_states, nulls=(), **kw):
        def call(reference, n_threads=1):
            w = w0.copy()
            states = [s[i].copy() if i not in nulls else None for i in range(n_states)]
            fn(w, g, *states, **kw, n_threads=n_threads, reference=reference)
            return [w] + [x for x in states if x is not None]
        return call

    prep = dict(grad_scale=0.7, clip_value=0.9, decay=0.01)
    return [
        ("sgd", make(_optim.sgd, 1, nulls=(0,), lr=0.1, momentum=0.0, nesterov=False)),
        ("sgd-m", make(_optim.sgd, 1, lr=0.1, momentum=0.9, nesterov=False, **prep)),
        ("sgd-n", make(_optim.sgd, 1, lr=0.1, momentum=0.9, nesterov=True)),
        ("adagrad", make(_optim.adagrad, 1, lr=0.1, epsilon=1e-7, **prep)),
        ("adadelta", make(_optim.adadelta, 2, lr=1.0, rho=0.95, epsilon=1e-7, **prep)),
        ("rmsprop", make(_optim.rmsprop, 3, nulls=(1, 2), lr=0.01, rho=0.9, momentum=0.0, epsilon=1e-7)),
        ("rmsprop-mc", make(_optim.rmsprop, 3, lr=0.01, rho=0.9, momentum=0.5, epsilon=1e-7, **prep)),
        ("adam", make(_optim.adam, 3, nulls=(2,), alpha=0.003, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
        ("adam-ams", make(_optim.adam, 3, alpha=0.003, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **prep)),
        ("nadam", make(_optim.nadam, 2, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, u_t=0.468,
                       u_next=0.485, u_prod=0.42, u_prod_next=0.2, beta_2_power=0.998, **prep)),
    ]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [0, 1, 7, 33, _optim.CHUNK + 5])
def test_kernels_match_reference_twins_on_every_isa(dtype, n):
    rng = np.random.default_rng(n)
    try:
        for level in sorted({0, _runtime.isa_detected()}):
            _runtime.isa_force(level)
            for name, call in _kernel_calls(dtype, n, rng):
                for fast, ref in zip(call(False), call(True)):
                    np.testing.assert_array_equal(fast, ref, err_msg=f"{name} isa={level}")
    finally:
        _runtime.isa_force(-1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernels_bit_identical_for_any_thread_count(dtype):
    n = 5 * _optim.CHUNK + 123  # above the parallel threshold, not a multiple of the chunk
    rng = np.random.default_rng(1)
    for name, call in _kernel_calls(dtype, n, rng):
        one = call(False, n_threads=1)
        for threads in (2, 3):
            for a, b in zip(one, call(False, n_threads=threads)):
                np.testing.assert_array_equal(a, b, err_msg=f"{name} threads={threads}")
    x = rng.standard_normal(n).astype(dtype)
    sums = {_optim.sum_of_squares(x, t) for t in (1, 2, 3)}
    assert len(sums) == 1
    assert sums.pop() == pytest.approx(_optim.sum_of_squares(x, reference=True), rel=1e-12)


@pytest.mark.parametrize("kind,cfg", [("adam", {"global_clipnorm": 1.0}), ("nadam", {"clipnorm": 1.0}),
                                      ("rmsprop", {"momentum": 0.5, "centered": True})])
def test_optimizer_bit_identical_for_any_thread_count(kind, cfg):
    results = []
    old = fastnn.get_num_threads()
    try:
        for threads in (1, 2, 3):
            fastnn.set_num_threads(threads)
            rng = np.random.default_rng(3)
            v = Variable(rng.standard_normal(5 * _optim.CHUNK + 9).astype(np.float32), "big")
            opt = CLASSES[kind](**cfg)
            for _ in range(3):
                v.grad[...] = rng.standard_normal(v.shape).astype(np.float32)
                opt.apply([v])
            results.append(v.value.copy())
    finally:
        fastnn.set_num_threads(old)
    assert all(np.array_equal(results[0], r) for r in results[1:])


def test_clipping_semantics():
    w = Variable(np.zeros(4), "w")
    w.grad[...] = [3.0, 4.0, 0.0, 0.0]  # norm 5
    optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply([w])
    np.testing.assert_allclose(w.value, [-0.6, -0.8, 0, 0])
    w.value[...] = 0
    optimizers.SGD(learning_rate=1.0, clipnorm=10.0).apply([w])  # below the norm: unchanged gradient
    np.testing.assert_allclose(w.value, [-3.0, -4.0, 0, 0])
    w.value[...] = 0
    optimizers.SGD(learning_rate=1.0, clipvalue=3.5).apply([w])
    np.testing.assert_allclose(w.value, [-3.0, -3.5, 0, 0])
    a, b = Variable(np.zeros(1), "a"), Variable(np.zeros(1), "b")
    a.grad[...], b.grad[...] = 6.0, 8.0  # global norm 10
    optimizers.SGD(learning_rate=1.0, global_clipnorm=5.0).apply([a, b])
    np.testing.assert_allclose([a.value[0], b.value[0]], [-3.0, -4.0])
    z = Variable(np.ones(3), "z")  # zero gradients: clipping leaves them zero, no NaN
    optimizers.Adam(global_clipnorm=1.0).apply([z])
    optimizers.Adam(clipnorm=1.0).apply([z])
    np.testing.assert_array_equal(z.value, np.ones(3))


def test_weight_decay_exclusion_and_constraints():
    w, b = Variable(np.ones(3), "dense/kernel"), Variable(np.ones(3), "dense/bias")
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply([w, b])  # zero gradients: only the decay moves the weights
    np.testing.assert_allclose(w.value, 1 - 0.05)
    np.testing.assert_array_equal(b.value, 1.0)
    c = Variable(np.zeros(2), "c", constraint=lambda x: np.clip(x, -0.01, 0.01))
    c.grad[...] = [1.0, -1.0]
    optimizers.SGD(learning_rate=1.0).apply([c])
    np.testing.assert_array_equal(c.value, [-0.01, 0.01])


def test_ema_and_overwrite_follow_keras():
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal(4)
    grads = [rng.standard_normal(4) for _ in range(5)]
    v = Variable(w0.copy(), "v")
    opt = optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.6, ema_overwrite_frequency=3)
    w, average = w0.copy(), np.zeros(4)
    for t, g in enumerate(grads):
        w = w - 0.1 * g
        m = 0.6 if t > 0 else 0.0  # Keras: the first step copies the weights
        average = m * average + (1 - m) * w
        if (t + 1) % 3 == 0:
            w = average.copy()
        v.grad[...] = g
        opt.apply([v])
        np.testing.assert_allclose(v.value, w, rtol=1e-14)
    assert opt.get_state()[1].shape == (4,)  # slots: average (SGD without momentum has none of its own)
    v.value[...] = 7.0
    opt.finalize_variable_values([v])
    np.testing.assert_allclose(v.value, average, rtol=1e-14)


def test_gradient_accumulation_follows_keras():
    rng = np.random.default_rng(4)
    w0 = rng.standard_normal(3)
    grads = [rng.standard_normal(3) for _ in range(6)]
    v = Variable(w0.copy(), "v")
    opt = optimizers.Adam(learning_rate=0.01, gradient_accumulation_steps=3)
    ref = KerasReference("adam", {"learning_rate": 0.01}, [(3,)])
    w = w0.copy()
    for t, g in enumerate(grads):
        v.grad[...] = g
        opt.apply([v])
        if (t + 1) % 3 == 0:
            mean = (grads[t - 2] + grads[t - 1] + grads[t]) / 3
            w = ref.step([w], [mean])[0]  # bias correction counts updates (Keras: iterations = calls // k)
        np.testing.assert_allclose(v.value, w, rtol=1e-12)
    assert opt.iterations == 2 and opt.get_state()[0] == 6


def test_apply_gradients_and_non_trainable():
    v, frozen = Variable(np.ones(2, np.float32), "v"), Variable(np.ones(2, np.float32), "f", trainable=False)
    frozen.grad[...] = 1.0
    opt = optimizers.SGD(learning_rate=0.5)
    opt.apply([v, frozen])
    np.testing.assert_array_equal(frozen.value, 1.0)
    opt.apply_gradients([(np.array([1.0, 2.0]), v), (None, frozen)])
    np.testing.assert_allclose(v.value, [0.5, 0.0])
    assert opt.iterations == 2
    with pytest.raises(ValueError, match="shape"):
        opt.apply_gradients([(np.ones(3), v)])
    assert opt.iterations == 2 and np.allclose(v.value, [0.5, 0.0])


@given(step=st.integers(0, 300))
def test_schedule_values(step):
    e = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert e(step) == pytest.approx(0.1 * 0.5 ** (step / 10))
    es = schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert es(step) == pytest.approx(0.1 * 0.5 ** (step // 10))
    it = schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True)
    assert it(step) == pytest.approx(0.1 / (1 + 0.5 * (step // 10)))
    p = schedules.PiecewiseConstantDecay([10, 100], [1.0, 0.5, 0.1])
    assert p(step) == (1.0 if step <= 10 else 0.5 if step <= 100 else 0.1)
    c = schedules.CosineDecay(0.2, 100, alpha=0.1)
    s = min(step, 100)
    assert c(step) == pytest.approx(0.2 * (0.9 * 0.5 * (1 + math.cos(math.pi * s / 100)) + 0.1))
    w = schedules.CosineDecay(0.0, 100, warmup_target=0.5, warmup_steps=20)
    if step < 20:
        assert w(step) == pytest.approx(0.5 * step / 20)
    else:
        s = min(step, 120) - 20
        assert w(step) == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * s / 100)))


def test_schedule_drives_optimizer_and_learning_rate_is_settable():
    sched = schedules.PiecewiseConstantDecay([0], [1.0, 0.1])  # step 0: 1.0, later 0.1
    v = Variable(np.zeros(1), "v")
    opt = optimizers.SGD(learning_rate=sched)
    assert opt.learning_rate == 1.0
    for expected in (-1.0, -1.1, -1.2):
        v.grad[...] = 1.0
        opt.apply([v])
        assert v.value[0] == pytest.approx(expected)
    assert opt.learning_rate == 0.1
    opt.learning_rate = 0.5  # e.g. a LearningRateScheduler callback between epochs
    opt.apply([v])
    assert v.value[0] == pytest.approx(-1.7) and opt.learning_rate == 0.5
    cfg = opt.get_config()
    assert cfg["learning_rate"] == 0.5
    cfg2 = optimizers.SGD(learning_rate=sched).get_config()
    clone = optimizers.SGD.from_config(cfg2)
    assert isinstance(clone._learning_rate, schedules.PiecewiseConstantDecay)
    for s in [sched, schedules.ExponentialDecay(0.1, 5, 0.9, True), schedules.CosineDecay(0.1, 10, 0.0, "c", 0.2, 3),
              schedules.InverseTimeDecay(1.0, 2, 0.5)]:
        again = schedules.deserialize(schedules.serialize(s))
        assert again.get_config() == s.get_config() and again(7) == s(7)


@pytest.mark.parametrize("kind,cfg", [("adam", {"amsgrad": True}), ("nadam", {}), ("sgd", {"momentum": 0.9}),
                                      ("sgd", {"use_ema": True, "gradient_accumulation_steps": 2}),
                                      ("rmsprop", {"momentum": 0.2, "centered": True}), ("adagrad", {}),
                                      ("adadelta", {}), ("adamw", {"learning_rate": schedules.ExponentialDecay(0.01, 2, 0.5)})])
def test_state_round_trip_resumes_bit_identically(kind, cfg):
    rng = np.random.default_rng(5)
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(6)]
    variables = _variables(np.random.default_rng(6), np.float32)
    opt = CLASSES[kind](**cfg)

    def run(o, vs, steps):
        for gs in steps:
            for v, g in zip(vs, gs):
                v.grad[...] = g
            o.apply(vs)

    run(opt, variables, grads[:3])
    saved_state, saved_weights = opt.get_state(), [v.value.copy() for v in variables]
    saved_iterations = opt.iterations
    assert saved_state[0] == 3 and saved_state[0].dtype == np.int64
    run(opt, variables, grads[3:])
    expected = [v.value.copy() for v in variables]

    fresh_vars = [Variable(w.copy(), f"w{i}") for i, w in enumerate(saved_weights)]
    fresh = CLASSES[kind].from_config(optimizers.serialize(opt)["config"])
    fresh.build(fresh_vars)
    fresh.set_state(saved_state)
    assert fresh.iterations == saved_iterations
    run(fresh, fresh_vars, grads[3:])
    for a, b in zip(expected, fresh_vars):
        np.testing.assert_array_equal(a, b.value)


def test_set_state_validation_changes_nothing():
    v = Variable(np.ones((2, 2), np.float32), "v")
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="build"):
        opt.set_state([np.array(1), np.zeros((2, 2)), np.zeros((2, 2))])
    opt.build([v])
    before = opt.get_state()
    with pytest.raises(ValueError, match="shape"):
        opt.set_state([np.array(4), np.ones((2, 2)), np.ones((3, 2))])
    with pytest.raises(ValueError, match="iteration"):
        opt.set_state([np.array(1.5), np.ones((2, 2)), np.ones((2, 2))])
    after = opt.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_get_names_instances_dicts_and_configs():
    for name, cls in [("sgd", optimizers.SGD), ("adam", optimizers.Adam), ("adamw", optimizers.AdamW),
                      ("rmsprop", optimizers.RMSprop), ("adagrad", optimizers.Adagrad),
                      ("adadelta", optimizers.Adadelta), ("nadam", optimizers.Nadam), ("Adam", optimizers.Adam)]:
        opt = optimizers.get(name)
        assert type(opt) is cls
        cfg = optimizers.serialize(opt)
        clone = optimizers.get(cfg)
        assert type(clone) is cls and clone.get_config() == opt.get_config()
    inst = optimizers.Adam(learning_rate=0.01)
    assert optimizers.get(inst) is inst
    assert optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.3, "momentum": 0.5}}).momentum == 0.5
    assert optimizers.SGD().learning_rate == 0.01 and optimizers.Adam().epsilon == 1e-7
    assert optimizers.AdamW().weight_decay == 0.004 and optimizers.Adagrad().initial_accumulator_value == 0.1
    assert optimizers.Adadelta().rho == 0.95 and optimizers.RMSprop().rho == 0.9


@pytest.mark.parametrize("make,match", [
    (lambda: optimizers.get("adamm"), "Unknown optimizer.*adam"),
    (lambda: optimizers.get(3), "Could not interpret"),
    (lambda: optimizers.SGD(learning_rate=-0.1), "`learning_rate`"),
    (lambda: optimizers.SGD(momentum=1.5), "`momentum`"),
    (lambda: optimizers.Adam(beta_1=1.0), "`beta_1`"),
    (lambda: optimizers.Adam(beta_2=-0.1), "`beta_2`"),
    (lambda: optimizers.Adam(epsilon=-1e-7), "`epsilon`"),
    (lambda: optimizers.RMSprop(rho=1.0), "`rho`"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=-1), "`initial_accumulator_value`"),
    (lambda: optimizers.Adam(clipnorm=0), "`clipnorm`"),
    (lambda: optimizers.Adam(clipnorm=1.0, clipvalue=1.0), "only one of"),
    (lambda: optimizers.SGD(weight_decay=-1.0), "`weight_decay`"),
    (lambda: optimizers.AdamW(weight_decay=None), "`weight_decay`"),
    (lambda: optimizers.Adam(use_ema=True, ema_momentum=1.5), "`ema_momentum`"),
    (lambda: optimizers.Adam(use_ema=True, ema_overwrite_frequency=0), "`ema_overwrite_frequency`"),
    (lambda: optimizers.SGD(gradient_accumulation_steps=1), "`gradient_accumulation_steps`"),
    (lambda: optimizers.Adam(learning_rate="fast"), "`learning_rate`"),
])
def test_bad_hyper_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_unknown_argument_and_bad_kernel_inputs():
    with pytest.raises(TypeError, match="unknown"):
        optimizers.Adam(betta=0.9)
    w = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="dtype"):
        _optim.adagrad(w, np.zeros(4), np.zeros(4, np.float32), 0.1, 1e-7)
    with pytest.raises(ValueError, match="elements"):
        _optim.adagrad(w, np.zeros(3, np.float32), np.zeros(4, np.float32), 0.1, 1e-7)
    ro = np.zeros(4, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        _optim.adagrad(ro, np.zeros(4, np.float32), np.zeros(4, np.float32), 0.1, 1e-7)
    g = np.ones(4, np.float32)
    g.flags.writeable = False  # read-only gradients are accepted
    _optim.adagrad(w, g, np.zeros(4, np.float32), 0.1, 1e-7)
    assert np.all(w < 0)


KERAS_CASES = [("SGD", {"momentum": 0.9, "nesterov": True}), ("Adagrad", {}), ("Adadelta", {"learning_rate": 1.0}),
               ("RMSprop", {"momentum": 0.5, "centered": True}), ("Adam", {"amsgrad": True}), ("AdamW", {}),
               ("Nadam", {"clipvalue": 0.5}), ("Adam", {"global_clipnorm": 0.7}), ("SGD", {"clipnorm": 0.5}),
               ("Adam", {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 3}),
               ("RMSprop", {"gradient_accumulation_steps": 2, "momentum": 0.5}),
               ("Nadam", {"gradient_accumulation_steps": 3, "use_ema": True}), ("Nadam", {"use_ema": True}),
               ("Nadam", {"gradient_accumulation_steps": 2}), ("Adam", {"gradient_accumulation_steps": 3})]


@pytest.mark.parametrize("name,cfg", KERAS_CASES)
def test_matches_keras_when_installed(name, cfg):
    """Where Keras 3 is importable (any backend), its optimizer and ours agree after several steps."""
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(11)
    ws = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(5)]
    kvars = [keras.Variable(w.copy(), dtype="float32") for w in ws]
    kopt = getattr(keras.optimizers, name)(**cfg)
    ours = [Variable(w.copy(), f"w{i}") for i, w in enumerate(ws)]
    opt = getattr(optimizers, name)(**cfg)
    for gs in grads:
        kopt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in gs], kvars))
        opt.apply_gradients(list(zip(gs, ours)))
    for kv, v in zip(kvars, ours):
        np.testing.assert_allclose(v.value, keras.ops.convert_to_numpy(kv), rtol=2e-5, atol=2e-6)
