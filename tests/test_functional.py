"""Functional API: DAGs, residuals, multi-input/output training, shared layers, nested models, config."""
import json

import numpy as np
import pytest

import fastnn
from fastnn.engine.functional import Functional
from fastnn.engine.tape import Tape
from fastnn.layers import merge
from fastnn.layers.core import Dense, Flatten, Reshape
from fastnn.testing import check_gradients


def _residual_model(dtype="float64"):
    inp = fastnn.Input((4,), dtype=dtype, name="features")
    h = Dense(6, activation="tanh", dtype=dtype)(inp)
    r = Dense(6, activation="tanh", dtype=dtype)(h)
    r = Dense(6, dtype=dtype)(r)
    h = merge.Add(dtype=dtype)([h, r])  # residual connection
    h2 = Dense(6, activation="tanh", dtype=dtype)(h)
    h = merge.Add(dtype=dtype)([h, h2])
    out = Dense(2, dtype=dtype)(h)
    return fastnn.Model(inp, out, name="resnet")


def test_model_inputs_outputs_dispatches_to_functional():
    model = _residual_model()
    assert isinstance(model, Functional) and isinstance(model, fastnn.Model)
    assert model.input_names == ["features"]
    assert model.output_shape == (None, 2)
    assert [type(l).__name__ for l in model.layers][:2] == ["InputLayer", "Dense"]


def test_residual_dag_gradients():
    rng = np.random.default_rng(0)
    check_gradients(_residual_model(), rng.standard_normal((3, 4)))


def test_multi_input_multi_output_gradients():
    a = fastnn.Input((3,), dtype="float64", name="a")
    b = fastnn.Input((2,), dtype="float64", name="b")
    h = merge.Concatenate(dtype="float64")([Dense(4, activation="tanh", dtype="float64")(a),
                                            Dense(4, activation="tanh", dtype="float64")(b)])
    o1 = Dense(1, dtype="float64", name="score")(h)
    o2 = Dense(3, dtype="float64", name="klass")(merge.Multiply(dtype="float64")([h, h]))
    model = fastnn.Model([a, b], [o1, o2])
    rng = np.random.default_rng(1)
    check_gradients(model, [rng.standard_normal((4, 3)), rng.standard_normal((4, 2))])
    assert model.output_names == ["score", "klass"]


def test_shared_layer_one_record_per_call_and_gradients():
    shared = Dense(3, activation="tanh", dtype="float64", name="shared")
    a = fastnn.Input((3,), dtype="float64")
    b = fastnn.Input((3,), dtype="float64")
    out = merge.Add(dtype="float64")([shared(a), shared(shared(b))])
    model = fastnn.Model([a, b], out)
    assert sum(l is shared for l in model.layers) == 1
    assert len(model.weights) == 2
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal((2, 3)), rng.standard_normal((2, 3))]
    with Tape() as tape:
        model(xs)
    assert sum(r.layer is shared for r in tape.records) == 3
    check_gradients(model, xs)


def test_nested_models_as_layers():
    inner_seq = fastnn.Sequential([Dense(4, activation="tanh", dtype="float64")], dtype="float64")
    ii = fastnn.Input((4,), dtype="float64")
    inner_fn = fastnn.Model(ii, Dense(4, dtype="float64")(ii))
    inp = fastnn.Input((3,), dtype="float64")
    h = inner_seq(inp)
    out = merge.Add(dtype="float64")([inner_fn(h), h])
    model = fastnn.Model(inp, out)
    assert model.output_shape == (None, 4)
    assert len(model.weights) == 4
    check_gradients(model, np.random.default_rng(3).standard_normal((2, 3)))


def test_missing_input_is_named():
    a = fastnn.Input((3,), name="first")
    b = fastnn.Input((3,), name="forgotten")
    out = merge.Add()([Dense(3)(a), b])
    with pytest.raises(ValueError, match=r"depend on Input 'forgotten'.*not in inputs"):
        fastnn.Model(a, out)
    with pytest.raises(ValueError, match="must come from fastnn.Input"):
        fastnn.Model(Dense(2)(a), out)
    with pytest.raises(ValueError, match="KerasTensor"):
        fastnn.Model(a, np.zeros(3))


def test_duplicate_layer_names_rejected():
    a = fastnn.Input((3,))
    h = Dense(3, name="same")(a)
    with pytest.raises(ValueError, match="unique.*same"):
        fastnn.Model(a, Dense(3, name="same")(h))


def test_compile_fit_with_dict_and_list_losses_weights_metrics():
    rng = np.random.default_rng(4)
    x1 = rng.standard_normal((64, 3)).astype(np.float32)
    x2 = rng.standard_normal((64, 2)).astype(np.float32)
    y_reg = (x1[:, :1] + x2[:, :1]).astype(np.float32)
    y_cls = (x1[:, 0] > 0).astype(np.int64)

    def build():
        a = fastnn.Input((3,), name="a")
        b = fastnn.Input((2,), name="b")
        h = merge.concatenate([Dense(8, activation="relu")(a), Dense(8, activation="relu")(b)])
        reg = Dense(1, name="reg")(h)
        cls = Dense(2, activation="softmax", name="cls")(h)
        return fastnn.Model({"a": a, "b": b}, [reg, cls])

    for loss, weights, metrics in [
        ({"reg": "mse", "cls": "sparse_categorical_crossentropy"}, {"reg": 1.0, "cls": 0.5},
         {"cls": ["accuracy"]}),
        (["mse", "sparse_categorical_crossentropy"], [1.0, 0.5], [[], ["accuracy"]]),
    ]:
        fastnn.utils.set_random_seed(0) if hasattr(fastnn.utils, "set_random_seed") else None
        model = build()
        model.compile(optimizer="adam", loss=loss, loss_weights=weights, metrics=metrics)
        hist = model.fit({"a": x1, "b": x2}, {"reg": y_reg, "cls": y_cls}, epochs=8, batch_size=16, verbose=0)
        logs = hist.history
        assert {"loss", "reg_loss", "cls_loss", "cls_accuracy"} <= set(logs)
        assert logs["loss"][-1] < logs["loss"][0]
        np.testing.assert_allclose(logs["loss"][-1], logs["reg_loss"][-1] + 0.5 * logs["cls_loss"][-1], rtol=1e-4)
        res = model.evaluate([x1, x2], [y_reg, y_cls], verbose=0, return_dict=True)
        assert "cls_accuracy" in res
        preds = model.predict({"a": x1, "b": x2}, verbose=0)
        assert preds[0].shape == (64, 1) and preds[1].shape == (64, 2)


def test_dict_outputs_name_outputs():
    a = fastnn.Input((3,))
    model = fastnn.Model(a, {"left": Dense(1)(a), "right": Dense(2)(a)})
    assert model.output_names == ["left", "right"]
    out = model(np.zeros((2, 3), np.float32))
    assert set(out) == {"left", "right"} and out["right"].shape == (2, 2)
    model.compile("sgd", loss={"left": "mse", "right": "mse"})
    model.fit(np.ones((4, 3)), {"left": np.ones((4, 1)), "right": np.ones((4, 2))}, verbose=0)


def test_summary_shows_connections():
    lines = []
    _residual_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text
    assert "features[0][0]" in text
    add_line = next(l for l in lines if "(Add)" in l)
    assert add_line.count("[0][0]") == 2


def test_get_config_round_trip_gives_same_predictions():
    inp = fastnn.Input((2, 3), name="img")
    flat = Flatten()(inp)
    shared = Dense(6, activation="relu")
    h = merge.add([shared(flat), Reshape((6,))(flat)])
    h = shared(Dense(6)(h))
    o = [Dense(2, name="o1")(h), merge.Dot(axes=1, name="dot")([h, h])]
    model = fastnn.Model(inp, o)
    cfg = json.loads(json.dumps(model.get_config()))
    clone = Functional.from_config(cfg)
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(5).standard_normal((3, 2, 3)).astype(np.float32)
    for p, q in zip(model.predict(x, verbose=0), clone.predict(x, verbose=0)):
        np.testing.assert_array_equal(p, q)
    assert clone.get_config() == cfg
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]


def test_from_config_rejects_malformed_references():
    model = _residual_model("float32")
    cfg = json.loads(json.dumps(model.get_config()))
    bad = json.loads(json.dumps(cfg))
    bad["layers"][1]["inbound_nodes"][0]["args"] = ["nope", 0, 0]
    with pytest.raises(ValueError, match="unknown layer 'nope'"):
        Functional.from_config(bad)
    bad = json.loads(json.dumps(cfg))
    bad["output_layers"] = [["features", 5, 0]]
    with pytest.raises(ValueError, match="does not exist"):
        Functional.from_config(bad)
    bad = json.loads(json.dumps(cfg))
    bad["layers"][1]["inbound_nodes"][0]["args"] = [bad["layers"][2]["name"], 0, 0]
    bad["layers"][2]["inbound_nodes"][0]["args"] = [bad["layers"][1]["name"], 0, 0]
    with pytest.raises(ValueError, match="never created"):
        Functional.from_config(bad)


def test_input_shape_errors_and_dict_inputs():
    a = fastnn.Input((3,), name="a")
    b = fastnn.Input((2,), name="b")
    model = fastnn.Model([a, b], merge.concatenate([a, b]))
    with pytest.raises(ValueError, match=r"input 'b' expects shape \(None, 2\), received \(4, 5\)"):
        model([np.zeros((4, 3)), np.zeros((4, 5))])
    with pytest.raises(ValueError, match=r"missing inputs \['b'\]"):
        model({"a": np.zeros((4, 3))})
    out = model({"b": np.ones((1, 2)), "a": np.zeros((1, 3))})
    np.testing.assert_array_equal(out, [[0, 0, 0, 1, 1]])


def test_functional_inside_sequential_and_frozen_part():
    ii = fastnn.Input((3,))
    block = fastnn.Model(ii, Dense(3, activation="relu")(ii))
    model = fastnn.Sequential([fastnn.layers.InputLayer(shape=(3,)), block, Dense(1)])
    block.trainable = False
    model.compile("sgd", "mse")
    before = block.get_weights()
    model.fit(np.random.rand(16, 3), np.random.rand(16, 1), epochs=2, verbose=0)
    for p, q in zip(before, block.get_weights()):
        np.testing.assert_array_equal(p, q)
    assert len(model.trainable_weights) == 2


def test_operators_on_symbolic_tensors_build_layers():
    a = fastnn.Input((3,), dtype="float64")
    b = fastnn.Input((3,), dtype="float64")
    out = (a + b) * a - b / 2.0 + (-a) * 3
    model = fastnn.Model([a, b], out)
    x = [np.full((2, 3), 2.0), np.full((2, 3), 5.0)]
    np.testing.assert_allclose(model.predict(x, verbose=0), (2 + 5) * 2 - 2.5 - 6)
    check_gradients(model, [np.random.default_rng(6).standard_normal((2, 3)) for _ in range(2)])
    with pytest.raises(TypeError, match="symbolic.*no values"):
        np.concatenate([a, b])
    with pytest.raises(TypeError):
        np.add(a, b)
    with pytest.raises(TypeError, match="not supported in a Functional graph"):
        a + 1.0
