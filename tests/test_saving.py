"""Saving: the three Keras model styles, every layer type, exact resume, atomic writes, hostile files."""
import contextlib
import hashlib
import inspect
import io
import json
import os
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastnn
from fastnn import saving
from fastnn.engine.layer import Layer
from fastnn.layers import merge
from fastnn.layers import reduce as reduce_layers
from fastnn.layers.core import Dense
from fastnn.saving import FileFormatError


def _predict_equal(a, b, x):
    pa, pb = a.predict(x, verbose=0), b.predict(x, verbose=0)
    for p, q in zip(pa if isinstance(pa, list) else [pa], pb if isinstance(pb, list) else [pb]):
        np.testing.assert_array_equal(p, q)


# ---------------------------------------------------------------- the three Keras styles
@saving.register_fastnn_serializable(package="tests")
class CustomModel(fastnn.Model):
    def __init__(self, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.d1 = Dense(hidden, activation="relu")
        self.d2 = Dense(hidden, activation="relu")
        self.out = Dense(3, activation="softmax")

    def call(self, x, training=None):
        h = self.d1(x)
        return self.out(fastnn.ops.add(h, self.d2(h)))

    def get_config(self):
        cfg = super().get_config()
        cfg["hidden"] = self.hidden
        return cfg


def _styles():
    seq_list = fastnn.Sequential([fastnn.layers.InputLayer(shape=(4,)), Dense(8, activation="relu"),
                                  Dense(3, activation="softmax")])
    seq_add = fastnn.Sequential()
    seq_add.add(fastnn.Input(shape=(4,)))
    seq_add.add(Dense(8, activation="relu"))
    seq_add.add(Dense(3, activation="softmax"))
    inputs = fastnn.Input(shape=(4,))
    x = Dense(8, activation="relu")(inputs)
    outputs = Dense(3, activation="softmax")(x)
    functional = fastnn.Model(inputs=inputs, outputs=outputs)
    return {"sequential_list": seq_list, "sequential_add": seq_add, "functional": functional,
            "subclass": CustomModel(hidden=8)}


@pytest.mark.parametrize("style", ["sequential_list", "sequential_add", "functional", "subclass"])
def test_keras_styles_compile_fit_evaluate_save_load(style, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((90, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)
    model = _styles()[style]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=5, batch_size=16, validation_split=0.2, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    path = tmp_path / "best_model.h5"  # a lecture's file name: the content decides the format
    model.save(path)
    loaded = fastnn.saving.load_model(path)
    assert type(loaded) is type(model)
    _predict_equal(model, loaded, x)
    loss2, acc2 = loaded.evaluate(x, y, verbose=0)
    assert loss2 == pytest.approx(loss, rel=1e-6) and acc2 == acc
    # weights-only files
    model.save_weights(tmp_path / "w.weights")
    fresh = _styles()[style]
    fresh.load_weights(tmp_path / "w.weights")
    _predict_equal(model, fresh, x)


def test_custom_objects_and_unknown_classes(tmp_path):
    class Unregistered(Dense):
        pass

    model = fastnn.Sequential([fastnn.layers.InputLayer(shape=(2,)), Unregistered(2)])
    model.save(tmp_path / "m")
    with pytest.raises(ValueError, match=r"Unknown layer class 'Unregistered'.*custom_objects"):
        saving.load_model(tmp_path / "m")
    loaded = saving.load_model(tmp_path / "m", custom_objects={"Unregistered": Unregistered})
    _predict_equal(model, loaded, np.ones((2, 2), np.float32))


# ---------------------------------------------------------------- every layer type
# class name -> (constructor kwargs, one sample's shape, input kind)
LAYER_TABLE = {
    "Dense": ({"units": 3}, (4,)), "Flatten": ({}, (2, 3)), "Reshape": ({"target_shape": (3, 2)}, (6,)),
    "Permute": ({"dims": (2, 1)}, (2, 3)), "RepeatVector": ({"n": 2}, (3,)), "Identity": ({}, (3,)),
    "Activation": ({"activation": "tanh"}, (3,)), "ReLU": ({}, (3,)), "LeakyReLU": ({}, (3,)), "ELU": ({}, (3,)),
    "Softmax": ({}, (3,)), "PReLU": ({}, (3,)), "Maxout": ({"num_units": 2}, (4,)),
    "BatchNormalization": ({}, (3,)), "LayerNormalization": ({}, (3,)),
    "Dropout": ({"rate": 0.5}, (3,)), "GaussianDropout": ({"rate": 0.3}, (3,)),
    "GaussianNoise": ({"stddev": 0.1}, (3,)), "AlphaDropout": ({"rate": 0.2}, (3,)),
    "ActivityRegularization": ({}, (3,)), "Masking": ({}, (3, 2)),
    "Conv1D": ({"filters": 2, "kernel_size": 2}, (5, 3)), "Conv2D": ({"filters": 2, "kernel_size": 2}, (5, 5, 2)),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": 2}, (4, 4, 2)),
    "DepthwiseConv2D": ({"kernel_size": 2}, (4, 4, 2)), "SeparableConv2D": ({"filters": 2, "kernel_size": 2}, (4, 4, 2)),
    "MaxPooling1D": ({}, (4, 2)), "AveragePooling1D": ({}, (4, 2)), "MaxPooling2D": ({}, (4, 4, 2)),
    "AveragePooling2D": ({}, (4, 4, 2)), "GlobalMaxPooling1D": ({}, (4, 2)), "GlobalAveragePooling1D": ({}, (4, 2)),
    "GlobalMaxPooling2D": ({}, (4, 4, 2)), "GlobalAveragePooling2D": ({}, (4, 4, 2)),
    "UpSampling1D": ({}, (3, 2)), "UpSampling2D": ({}, (3, 3, 2)), "ZeroPadding1D": ({}, (3, 2)),
    "ZeroPadding2D": ({}, (3, 3, 2)), "Cropping1D": ({}, (4, 2)), "Cropping2D": ({"cropping": 1}, (4, 4, 2)),
    "SpatialDropout1D": ({"rate": 0.5}, (4, 2)), "SpatialDropout2D": ({"rate": 0.5}, (4, 4, 2)),
    "SpatialDropout3D": ({"rate": 0.5}, (2, 3, 3, 2)),
    "DropBlock2D": ({"rate": 0.1, "block_size": 2}, (4, 4, 2)),
    "RandomFlip": ({}, (4, 4, 2)), "RandomCrop": ({"height": 2, "width": 2}, (4, 4, 2)),
    "RandomContrast": ({"factor": 0.2}, (4, 4, 2)), "RandomTranslation": ({"height_factor": 0.1, "width_factor": 0.1},
                                                                          (4, 4, 2)),
    "RandomRotation": ({"factor": 0.1}, (4, 4, 2)), "RandomZoom": ({"height_factor": 0.1}, (4, 4, 2)),
    "SimpleRNN": ({"units": 3}, (4, 2)), "LSTM": ({"units": 3}, (4, 2)), "GRU": ({"units": 3}, (4, 2)),
    "Embedding": ({"input_dim": 5, "output_dim": 3}, (4,), "int"),
    "Reduce": ({"op": "mean", "axis": -1}, (3, 2)), "Scale": ({"factor": 2.0}, (3,)),
    "Add": ({}, (3,), "two"), "Subtract": ({}, (3,), "two"), "Multiply": ({}, (3,), "two"),
    "Average": ({}, (3,), "two"), "Maximum": ({}, (3,), "two"), "Minimum": ({}, (3,), "two"),
    "Concatenate": ({}, (3,), "two"), "Dot": ({"axes": 1}, (3,), "two"),
}
SKIP = {"Layer", "InputLayer", "RNN", "Bidirectional", "TimeDistributed", "Wrapper", "Lambda"}


def _layer_classes():
    found = {}
    for module in (fastnn.layers, merge, reduce_layers):
        for name, obj in vars(module).items():
            if isinstance(obj, type) and issubclass(obj, Layer) and not name.startswith("_") and name not in SKIP \
                    and not inspect.isabstract(obj):
                found[obj.__name__] = obj
    return sorted(found.items())


def _model_for(cls):
    entry = LAYER_TABLE.get(cls.__name__)
    if entry is None:
        raise AssertionError(f"{cls.__name__} is not in LAYER_TABLE of tests/test_saving.py: add its constructor "
                             f"arguments and a sample input shape so its save/load round trip is tested")
    kwargs, shape = entry[0], entry[1]
    kind = entry[2] if len(entry) > 2 else "float"
    if kind == "two":
        a, b = fastnn.Input(shape), fastnn.Input(shape)
        return fastnn.Model([a, b], cls(**kwargs)([a, b])), [np.random.default_rng(1).standard_normal((3,) + shape)
                                                               for _ in range(2)]
    inp = fastnn.Input(shape)
    model = fastnn.Model(inp, cls(**kwargs)(inp))
    rng = np.random.default_rng(2)
    x = rng.integers(0, 5, size=(3,) + shape) if kind == "int" else rng.standard_normal((3,) + shape) + 0.5
    return model, x


@pytest.mark.parametrize("name,cls", _layer_classes())
def test_every_layer_round_trips(name, cls, tmp_path):
    model, x = _model_for(cls)
    rng = np.random.default_rng(3)
    model.set_weights([np.abs(rng.standard_normal(w.shape)) + 0.1 for w in model.weights])
    model.save(tmp_path / "layer.fastnn")
    loaded = saving.load_model(tmp_path / "layer.fastnn")
    _predict_equal(model, loaded, x)
    assert loaded.get_config() == model.get_config()


# ---------------------------------------------------------------- exact resume
def _resume_model():
    inp = fastnn.Input((5,))
    h = Dense(16, activation="tanh", kernel_initializer=fastnn.initializers.GlorotUniform(seed=1))(inp)
    h = merge.add([h, Dense(16, activation="tanh", kernel_initializer=fastnn.initializers.GlorotUniform(seed=2))(h)])
    out = Dense(2, kernel_initializer=fastnn.initializers.GlorotUniform(seed=3))(h)
    model = fastnn.Model(inp, out)
    model.compile(optimizer=fastnn.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model


def test_resume_from_checkpoint_is_bit_identical(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = np.stack([x[:, 0] * x[:, 1], x[:, 2] - x[:, 3]], axis=1).astype(np.float32)
    straight = _resume_model()
    straight.fit(x, y, epochs=6, batch_size=16, shuffle=False, verbose=0)

    first = _resume_model()
    first.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    first.save(tmp_path / "ckpt.keras")
    del first
    resumed = saving.load_model(tmp_path / "ckpt.keras")
    resumed.fit(x, y, epochs=6, initial_epoch=3, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert resumed.optimizer.iterations == straight.optimizer.iterations


def test_model_checkpoint_callback_writes_loadable_files(tmp_path):
    model = _resume_model()
    x = np.random.default_rng(5).standard_normal((32, 5)).astype(np.float32)
    cb = fastnn.callbacks.ModelCheckpoint(str(tmp_path / "best_model.h5"), monitor="loss", save_best_only=True)
    model.fit(x, x[:, :2], epochs=2, verbose=0, callbacks=[cb])
    loaded = saving.load_model(tmp_path / "best_model.h5")
    assert len(loaded.weights) == len(model.weights)


# ---------------------------------------------------------------- atomic writes
def test_interrupted_save_leaves_previous_file_intact(tmp_path, monkeypatch):
    model = _resume_model()
    model(np.zeros((1, 5), np.float32))
    path = tmp_path / "model.h5"
    model.save(path)
    good = path.read_bytes()
    calls = {"n": 0}
    original = zipfile.ZipFile.writestr

    def crash(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("simulated Ctrl-C in the middle of a save")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash)
    model.layers[1].kernel.value[...] += 1.0
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["model.h5"]  # no temporary file left behind
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)


# ---------------------------------------------------------------- hostile files
def _small_model_file(tmp_path):
    model = fastnn.Sequential([fastnn.layers.InputLayer(shape=(3,)), Dense(4), Dense(2)])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    path = tmp_path / "small.fastnn"
    model.save(path)
    return model, path


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {i.filename: (zf.read(i.filename), i.compress_type) for i in zf.infolist()}


def _write_members(path, members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, (data, method) in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    path.write_bytes(buf.getvalue())


def _edit_json(path, member, edit):
    members = _members(path)
    doc = json.loads(members[member][0])
    edit(doc)
    members[member] = (json.dumps(doc).encode(), members[member][1])
    _write_members(path, members)


def test_hdf5_and_wrong_magic_and_empty(tmp_path):
    h5 = tmp_path / "keras_model.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(FileFormatError, match=r"HDF5.*cannot read Keras HDF5.*set_weights"):
        saving.load_model(h5)
    other = tmp_path / "other.bin"
    other.write_bytes(b"GIF89a....")
    with pytest.raises(FileFormatError, match="wrong magic"):
        saving.load_model(other)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty"):
        saving.load_model(empty)
    with pytest.raises(FileNotFoundError):
        saving.load_model(tmp_path / "missing")


def test_unknown_class_name_in_config(tmp_path):
    _, path = _small_model_file(tmp_path)
    _edit_json(path, "config.json", lambda d: d["model"]["config"]["layers"][1].update(class_name="os.system"))
    with pytest.raises(ValueError, match=r"Unknown layer class 'os\.system'"):
        saving.load_model(path)


def test_bit_flip_in_tensors_detected(tmp_path):
    _, path = _small_model_file(tmp_path)
    members = _members(path)
    blob = bytearray(members["tensors.bin"][0])
    blob[5] ^= 0x10
    members["tensors.bin"] = (bytes(blob), zipfile.ZIP_STORED)
    _write_members(path, members)  # a consistent zip (fresh CRC) whose payload no longer matches the sha256
    with pytest.raises(FileFormatError, match="checksum mismatch"):
        saving.load_model(path)


@pytest.mark.parametrize("mutate,pattern", [
    (lambda t: t["tensors"][0].update(shape=[2**40, 2**40]), "needs .* bytes but nbytes"),
    (lambda t: t["tensors"][0].update(shape=[2**31, 2**31], nbytes=2**64), "outside tensors.bin"),
    (lambda t: t["tensors"][0].update(dtype="object"), "dtype 'object' is not allowed"),
    (lambda t: t["tensors"][0].update(dtype="<f4"), "is not allowed"),
    (lambda t: t["tensors"][1].update(offset=t["tensors"][0]["offset"]), "overlap"),
    (lambda t: t["tensors"][0].update(offset=-1), "non-negative integer"),
    (lambda t: t["tensors"][0].update(shape="12"), "shape must be a list"),
    (lambda t: t.update(total_bytes=10**12), "total_bytes"),
    (lambda t: t.update(sha256="00"), "sha256"),
])
def test_malformed_tensor_tables(tmp_path, mutate, pattern):
    _, path = _small_model_file(tmp_path)
    _edit_json(path, "tensors.json", mutate)
    with pytest.raises(FileFormatError, match=pattern):
        saving.load_model(path)


@contextlib.contextmanager
def _peak_memory_below(limit_bytes):
    """Fail unless the peak of the allocations traced inside the block stays below limit_bytes."""
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit_bytes


def test_config_asking_for_huge_weights_is_refused_before_allocating(tmp_path):
    _, path = _small_model_file(tmp_path)
    _edit_json(path, "config.json", lambda d: d["model"]["config"]["layers"][1]["config"].update(units=10**9))
    with _peak_memory_below(20 * 2**20):
        with pytest.raises(FileFormatError, match="more than the weights stored in the file"):
            saving.load_model(path)


@pytest.mark.parametrize("name", ["../evil.json", "/etc/passwd", "a/../../b", "..\\x"])
def test_path_traversal_member_names(tmp_path, name):
    _, path = _small_model_file(tmp_path)
    members = _members(path)
    members[name] = (b"{}", zipfile.ZIP_STORED)
    _write_members(path, members)
    with pytest.raises(FileFormatError, match="unsafe name"):
        saving.load_model(path)


def test_extra_or_missing_members(tmp_path):
    _, path = _small_model_file(tmp_path)
    members = _members(path)
    members["payload.py"] = (b"print('hi')", zipfile.ZIP_STORED)
    _write_members(path, members)
    with pytest.raises(FileFormatError, match=r"unexpected members \['payload.py'\]"):
        saving.load_model(path)
    del members["payload.py"], members["tensors.json"]
    _write_members(path, members)
    with pytest.raises(FileFormatError, match=r"missing members \['tensors.json'\]"):
        saving.load_model(path)


def test_zip_bombs_are_refused_with_bounded_memory(tmp_path):
    _, path = _small_model_file(tmp_path)
    members = _members(path)
    # 1) a deflated member expanding 1000x
    bomb = dict(members)
    bomb["config.json"] = (b" " * (60 * 2**20), zipfile.ZIP_DEFLATED)
    _write_members(path, bomb)
    with _peak_memory_below(20 * 2**20):
        with pytest.raises(FileFormatError, match="zip bomb|more than the limit"):
            saving.load_model(path)
    # 2) a member whose central directory entry declares a huge uncompressed size
    _write_members(path, members)
    raw = bytearray(path.read_bytes())
    cd = raw.rfind(b"PK\x01\x02", 0, raw.rfind(b"tensors.bin") + 1)
    raw[cd + 24:cd + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with _peak_memory_below(20 * 2**20):
        with pytest.raises(FileFormatError, match="more than the limit"):
            saving.load_model(path, max_bytes=2**20)
        with pytest.raises(FileFormatError, match="sizes disagree|more compressed data|total_bytes"):
            saving.load_model(path)


def test_newer_format_version_and_weights_only_file(tmp_path):
    model, path = _small_model_file(tmp_path)
    _edit_json(path, "metadata.json", lambda d: d.update(format_version=99))
    with pytest.raises(FileFormatError, match="newer fastnn"):
        saving.load_model(path)
    model.save_weights(tmp_path / "w")
    with pytest.raises(FileFormatError, match="only weights"):
        saving.load_model(tmp_path / "w")


def test_load_weights_mismatch_changes_nothing(tmp_path):
    model, path = _small_model_file(tmp_path)
    other = fastnn.Sequential([fastnn.layers.InputLayer(shape=(3,)), Dense(5), Dense(2)])
    before = other.get_weights()
    with pytest.raises(FileFormatError, match=r"shape \(3, 4\) but the model's .* has shape \(3, 5\)"):
        other.load_weights(path)
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)


_VALID_CACHE = {}


def _valid_bytes(tmp_path_factory):
    if "bytes" not in _VALID_CACHE:
        d = tmp_path_factory.mktemp("valid")
        model, path = _small_model_file(d)
        _VALID_CACHE["bytes"] = path.read_bytes()
        _VALID_CACHE["pred"] = model.predict(np.ones((2, 3)), verbose=0)
    return _VALID_CACHE["bytes"]


@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzzed_files_load_identically_or_fail_cleanly(tmp_path_factory, data):
    blob = bytearray(_valid_bytes(tmp_path_factory))
    kind = data.draw(st.sampled_from(["flip", "truncate", "overwrite"]))
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 3))):
            i = data.draw(st.integers(0, len(blob) - 1))
            blob[i] ^= 1 << data.draw(st.integers(0, 7))
    elif kind == "truncate":
        blob = blob[:data.draw(st.integers(0, len(blob) - 1))]
    else:
        i = data.draw(st.integers(0, len(blob) - 1))
        chunk = data.draw(st.binary(min_size=1, max_size=16))
        blob[i:i + len(chunk)] = chunk
    path = tmp_path_factory.mktemp("fuzz") / "m.h5"
    path.write_bytes(bytes(blob))
    try:
        loaded = saving.load_model(path)
    except FileFormatError:
        return
    # A mutation that left the file valid (e.g. a timestamp byte) must not change the model.
    np.testing.assert_array_equal(loaded.predict(np.ones((2, 3)), verbose=0), _VALID_CACHE["pred"])


def test_file_layout_is_documented_format(tmp_path):
    _, path = _small_model_file(tmp_path)
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "tensors.json", "tensors.bin"]
        meta = json.loads(zf.read("metadata.json"))
        table = json.loads(zf.read("tensors.json"))
        blob = zf.read("tensors.bin")
    assert meta["format"] == "fastnn" and meta["format_version"] == 1 and meta["kind"] == "model"
    assert table["sha256"] == hashlib.sha256(blob).hexdigest()
    names = [t["name"] for t in table["tensors"]]
    assert [n.split("/")[0] + "/" + n.split("/")[-1] for n in names[:4]] == \
        ["weights/kernel", "weights/bias", "weights/kernel", "weights/bias"]
    assert names[0].startswith("weights/000000/dense")
    assert names[4] == "optimizer/000000"  # iterations first
    assert table["tensors"][4]["dtype"] == "int64" and table["tensors"][4]["shape"] == []
    assert all(t["offset"] % 64 == 0 for t in table["tensors"])
    first = table["tensors"][0]
    arr = np.frombuffer(blob, dtype="<" + {"float32": "f4"}[first["dtype"]], count=int(np.prod(first["shape"])),
                        offset=first["offset"])
    assert arr.size == 12


def test_save_compiled_but_untrained_model_then_train(tmp_path):
    model = fastnn.Sequential([fastnn.layers.InputLayer(shape=(3,)), Dense(2)])
    model.compile("adam", "mse")
    model.save(tmp_path / "fresh")
    loaded = saving.load_model(tmp_path / "fresh")
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    model.fit(x, y, epochs=2, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_corrupt_optimizer_state_is_a_clear_error(tmp_path):
    _, path = _small_model_file(tmp_path)
    _edit_json(path, "tensors.json", lambda t: t["tensors"].pop())  # drop one slot entry
    with pytest.raises(FileFormatError, match="optimizer state does not fit"):
        saving.load_model(path)
    assert saving.load_model(path, compile=False).optimizer is None
