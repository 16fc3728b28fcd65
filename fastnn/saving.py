"""Saving and loading models and weights in fastnn's safe zip format (see docs/SAVING.md).

    model.save("best_model.h5")                 # any file name; the format is recognised by content
    model = fastnn.models.load_model("best_model.h5")
    model.save_weights("w.bin"); model.load_weights("w.bin")

A file is a zip archive of exactly four members:

* ``metadata.json``: ``{"format": "fastnn", "format_version": 1, "kind": "model" | "weights",
  "fastnn_version": ...}``;
* ``config.json``: the architecture (``serialize_layer(model)``), the compile configuration and the
  input shapes the model was built for;
* ``tensors.json``: a table of the stored tensors, each ``{"name", "dtype", "shape", "offset",
  "nbytes"}``, plus ``"total_bytes"`` and the ``"sha256"`` of ``tensors.bin``;
* ``tensors.bin``: the raw little-endian tensor bytes (weights in ``model.weights`` order, then the
  optimizer state in ``optimizer.get_state()`` order, iterations first).

Loading executes nothing from the file: no pickle, classes only from fastnn's registry, ``custom_objects``
or ``register_fastnn_serializable``; every table entry and size is validated before any allocation,
and memory stays bounded by the sizes the archive really holds. Writes are atomic (temporary file in the
target directory, fsync, ``os.replace``).
"""
import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from contextlib import contextmanager

import numpy as np

FORMAT_NAME = "fastnn"
FORMAT_VERSION = 1
MEMBERS = ("metadata.json", "config.json", "tensors.json", "tensors.bin")
ALLOWED_DTYPES = ("float32", "float64", "int32", "int64", "uint8", "bool")
MAX_JSON_BYTES = 64 * 1024 * 1024          # each JSON member
MAX_TENSOR_ENTRIES = 1_000_000
MAX_RANK = 32
MAX_TENSOR_BYTES = 64 * 1024 ** 3           # tensors.bin (override with the max_bytes argument)
MAX_COMPRESSION_RATIO = 200                 # a deflated member may not claim more than this expansion
ALIGN = 64

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"


class FileFormatError(ValueError):
    """The file is not a valid fastnn model/weights file (corrupted, truncated, hostile or foreign)."""


def register_fastnn_serializable(package="Custom", name=None):
    """Class decorator: make a custom layer/model loadable by name without ``custom_objects``.

    Args:
        package: a namespace for your classes (recorded as ``package>name`` too, like Keras).
        name: the registered name (default: the class name).
    """
    from fastnn.engine import serialization

    def decorator(cls):
        serialization.register(cls, cls.__name__)
        serialization.register(cls, f"{package}>{name or cls.__name__}")
        if name:
            serialization.register(cls, name)
        return cls

    return decorator


# ---------------------------------------------------------------- writing
def _le_bytes(array):
    arr = np.asarray(array)
    dtype = arr.dtype
    if dtype.name not in ALLOWED_DTYPES:
        if np.issubdtype(dtype, np.integer) and arr.size and -2**63 <= arr.min() and arr.max() < 2**63:
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"Cannot save a tensor of dtype {dtype}; supported: {list(ALLOWED_DTYPES)}")
    return np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes(), arr.dtype.name, arr.shape


def _build_tensor_blob(named_arrays):
    table, chunks, offset = [], [], 0
    for name, array in named_arrays:
        data, dtype, shape = _le_bytes(array)
        pad = (-offset) % ALIGN
        if pad:
            chunks.append(b"\0" * pad)
            offset += pad
        table.append({"name": name, "dtype": dtype, "shape": [int(d) for d in shape], "offset": offset,
                      "nbytes": len(data)})
        chunks.append(data)
        offset += len(data)
    blob = b"".join(chunks)
    return table, blob


def _atomic_write(path, write):
    """Call write(fileobj) on a temporary file next to `path`, fsync it and rename it over `path`."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot save to {path!r}: the directory {directory!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (best effort: not every platform can open directories)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _write_archive(path, kind, config, named_arrays):
    import fastnn

    table, blob = _build_tensor_blob(named_arrays)
    metadata = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "kind": kind,
                "fastnn_version": fastnn.__version__}
    tensors = {"byteorder": "little", "alignment": ALIGN, "total_bytes": len(blob),
               "sha256": hashlib.sha256(blob).hexdigest(), "tensors": table}

    def write(f):
        with zipfile.ZipFile(f, "w") as zf:
            for name, payload, method in (("metadata.json", metadata, zipfile.ZIP_DEFLATED),
                                          ("config.json", config, zipfile.ZIP_DEFLATED),
                                          ("tensors.json", tensors, zipfile.ZIP_DEFLATED)):
                zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)),
                            json.dumps(payload, indent=1, sort_keys=True, allow_nan=False).encode("utf-8"),
                            compress_type=method)
            zf.writestr(zipfile.ZipInfo("tensors.bin", date_time=(1980, 1, 1, 0, 0, 0)), blob,
                        compress_type=zipfile.ZIP_STORED)

    _atomic_write(path, write)


def _weight_entries(model):
    return [(f"weights/{i:06d}/{w.path}", w.value) for i, w in enumerate(model.weights)]


def _optimizer_entries(model):
    opt = getattr(model, "optimizer", None)
    if opt is None or not hasattr(opt, "get_state"):
        return []
    return [(f"optimizer/{i:06d}", np.asarray(s)) for i, s in enumerate(opt.get_state())]


def _build_config(model):
    shapes = getattr(model, "_saved_input_shapes", None)
    if shapes is None and getattr(model, "input_shape_built", None) is not None:
        shapes = model.input_shape_built
        shapes = shapes if isinstance(shapes, list) else [shapes]
    if shapes is not None:
        shapes = [[None if d is None else int(d) for d in s] for s in shapes]
    return shapes


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write `model` (architecture, weights, compile config, optimizer state) to `filepath` atomically.

    Args:
        model: a fastnn Model (Sequential, Functional or a subclass with get_config).
        filepath: any file name (``model.fastnn``, ``best_model.h5``, ...).
        overwrite: replace an existing file (False raises FileExistsError).
        include_optimizer: also store the optimizer configuration and state, so training resumes exactly.
    """
    from fastnn.engine.serialization import serialize_layer

    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False")
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: call it on data (or fit it) before saving")
    config = {"model": serialize_layer(model),
              "compile_config": model.get_compile_config() if include_optimizer and getattr(model, "compiled", False)
              else None,
              "build_input_shapes": _build_config(model),
              "weight_count": len(model.weights)}
    entries = _weight_entries(model)
    if include_optimizer:
        entries += _optimizer_entries(model)
    try:
        json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"Model '{model.name}': its configuration is not plain JSON ({e}); implement get_config() "
                         f"returning numbers, strings, lists and dicts") from None
    _write_archive(filepath, "model", config, entries)


def save_weights(model, filepath, overwrite=True):
    """Write only the weights of `model` (in ``model.weights`` order) to `filepath` atomically."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False")
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: call it on data before saving weights")
    config = {"weight_count": len(model.weights), "weight_paths": [w.path for w in model.weights],
              "build_input_shapes": _build_config(model)}
    _write_archive(filepath, "weights", config, _weight_entries(model))


# ---------------------------------------------------------------- reading
def _fail(path, message):
    raise FileFormatError(f"{path}: {message}")


def _check_magic(path):
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise FileNotFoundError(f"No such file: {path!r}") from None
    if head.startswith(_HDF5_MAGIC):
        _fail(path, "this is an HDF5 file (Keras's legacy .h5 format); fastnn cannot read Keras HDF5 files. Rebuild "
                    "the model in fastnn with the same layers, then copy the weights: in Keras, "
                    "weights = keras_model.get_weights() (save them with numpy.savez), and in fastnn "
                    "model.set_weights([...]) in the same order.")
    if len(head) == 0:
        _fail(path, "the file is empty")
    if not head.startswith(_ZIP_MAGIC):
        _fail(path, f"not a fastnn model file (wrong magic bytes {head[:4]!r}; expected a zip archive)")


def _safe_member_name(name):
    return not (name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or "\\" in name
                or ":" in name or "\0" in name)


def _read_member(zf, info, limit, path):
    if info.file_size > limit:
        _fail(path, f"member {info.filename!r} declares {info.file_size} bytes, more than the limit of {limit}")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        _fail(path, f"member {info.filename!r} uses an unsupported compression method {info.compress_type}")
    if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1) \
            and info.file_size > 1 << 20:
        _fail(path, f"member {info.filename!r} claims {info.file_size} bytes from {info.compress_size} compressed bytes "
                    f"(a zip bomb?)")
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        _fail(path, f"member {info.filename!r} is stored uncompressed but its sizes disagree")
    buf = bytearray(info.file_size)
    view = memoryview(buf)
    got = 0
    try:
        with zf.open(info) as f:
            while got < info.file_size:
                n = f.readinto(view[got:got + (1 << 24)])
                if not n:
                    break
                got += n
            if f.read(1):
                _fail(path, f"member {info.filename!r} holds more data than it declares")
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as e:
        if isinstance(e, FileFormatError):
            raise
        _fail(path, f"member {info.filename!r} is corrupted or truncated ({e})")
    if got != info.file_size:
        _fail(path, f"member {info.filename!r} is truncated ({got} of {info.file_size} bytes)")
    return bytes(buf) if info.file_size < (1 << 20) else buf


def _parse_json(raw, name, path):
    try:
        return json.loads(bytes(raw).decode("utf-8"), parse_constant=lambda c: _fail(path, f"{name}: {c} is not allowed"))
    except FileFormatError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        _fail(path, f"{name} is not valid JSON ({type(e).__name__}: {str(e)[:200]})")


def _validate_table(table, blob_size, path):
    if not isinstance(table, dict):
        _fail(path, "tensors.json must hold an object")
    entries = table.get("tensors")
    if not isinstance(entries, list) or len(entries) > MAX_TENSOR_ENTRIES:
        _fail(path, "tensors.json: 'tensors' must be a list (of at most a million entries)")
    total = table.get("total_bytes")
    if not isinstance(total, int) or isinstance(total, bool) or total != blob_size:
        _fail(path, f"tensors.json declares total_bytes={total!r:.40} but tensors.bin holds {blob_size} bytes")
    if table.get("byteorder", "little") != "little":
        _fail(path, "tensors.json: only little-endian tensors are supported")
    digest = table.get("sha256")
    if not isinstance(digest, str) or len(digest) != 64:
        _fail(path, "tensors.json: missing or malformed sha256 checksum")
    out, names = [], set()
    for i, e in enumerate(entries):
        where = f"tensors.json entry {i}"
        if not isinstance(e, dict):
            _fail(path, f"{where} must be an object")
        name, dtype, shape, offset, nbytes = (e.get(k) for k in ("name", "dtype", "shape", "offset", "nbytes"))
        if not isinstance(name, str) or not name or len(name) > 4096 or name in names:
            _fail(path, f"{where}: missing, overlong or duplicate name")
        names.add(name)
        if dtype not in ALLOWED_DTYPES:
            _fail(path, f"{where} ({name}): dtype {dtype!r:.40} is not allowed; allowed: {list(ALLOWED_DTYPES)}")
        if not isinstance(shape, list) or len(shape) > MAX_RANK or \
                not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**62 for d in shape):
            _fail(path, f"{where} ({name}): shape must be a list of at most {MAX_RANK} non-negative integers, "
                        f"received {shape!r:.100}")
        for label, v in (("offset", offset), ("nbytes", nbytes)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                _fail(path, f"{where} ({name}): {label} must be a non-negative integer, received {v!r:.40}")
        count = 1
        for d in shape:
            count *= d  # Python ints: no overflow
        if count * np.dtype(dtype).itemsize != nbytes:
            _fail(path, f"{where} ({name}): shape {shape} of {dtype} needs {count * np.dtype(dtype).itemsize} bytes "
                        f"but nbytes is {nbytes}")
        if offset + nbytes > blob_size:
            _fail(path, f"{where} ({name}): bytes [{offset}, {offset + nbytes}) lie outside tensors.bin "
                        f"({blob_size} bytes)")
        out.append((name, dtype, tuple(shape), offset, nbytes))
    spans = sorted((o, o + n, nm) for nm, _, _, o, n in out if n)
    for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
        if b0 < a1:
            _fail(path, f"tensors.json: tensors {an!r} and {bn!r} overlap in tensors.bin")
    return out, digest


class _Archive:
    """A validated fastnn archive: metadata, config, and a lazily checked tensor table."""

    def __init__(self, path, max_bytes=MAX_TENSOR_BYTES):
        self.path = path = os.fspath(path)
        _check_magic(path)
        file_size = os.path.getsize(path)
        try:
            zf = zipfile.ZipFile(path, "r")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
            _fail(path, f"not a readable zip archive (truncated or corrupted?): {e}")
        with zf:
            infos = zf.infolist()
            if len(infos) > 64:
                _fail(path, f"the archive has {len(infos)} members; a fastnn file has {len(MEMBERS)}")
            names = [i.filename for i in infos]
            for n in names:
                if not _safe_member_name(n):
                    _fail(path, f"the archive holds a member with an unsafe name {n!r:.200} (absolute path or '..'); "
                                f"refusing to read it")
            if len(set(names)) != len(names):
                _fail(path, "the archive holds duplicate member names")
            unknown = sorted(set(names) - set(MEMBERS))
            missing = [m for m in MEMBERS if m not in names]
            if unknown or missing:
                _fail(path, f"not a fastnn file: unexpected members {unknown[:5]} / missing members {missing}")
            by_name = {i.filename: i for i in infos}
            declared = sum(i.compress_size for i in infos)
            if declared > file_size:
                _fail(path, "the archive declares more compressed data than the file holds (truncated?)")
            self.metadata = _parse_json(_read_member(zf, by_name["metadata.json"], 1 << 20, path),
                                        "metadata.json", path)
            self._check_metadata()
            self.config = _parse_json(_read_member(zf, by_name["config.json"], MAX_JSON_BYTES, path),
                                      "config.json", path)
            table = _parse_json(_read_member(zf, by_name["tensors.json"], MAX_JSON_BYTES, path),
                                "tensors.json", path)
            blob_info = by_name["tensors.bin"]
            if blob_info.file_size > max_bytes:
                _fail(path, f"tensors.bin declares {blob_info.file_size} bytes, more than the limit of {max_bytes} "
                            f"(pass max_bytes= to load larger files you trust)")
            self.entries, digest = _validate_table(table, blob_info.file_size, path)
            blob = _read_member(zf, blob_info, max_bytes, path)
        if hashlib.sha256(blob).hexdigest() != digest:
            _fail(path, "checksum mismatch: tensors.bin is corrupted (sha256 differs from tensors.json)")
        self._blob = blob
        if not isinstance(self.config, dict):
            _fail(path, "config.json must hold an object")

    def _check_metadata(self):
        m = self.metadata
        if not isinstance(m, dict) or m.get("format") != FORMAT_NAME:
            _fail(self.path, "not a fastnn file (metadata.json does not name the fastnn format)")
        version = m.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            _fail(self.path, f"malformed format_version {version!r:.40}")
        if version > FORMAT_VERSION:
            _fail(self.path, f"written by a newer fastnn (format version {version}, fastnn "
                             f"{str(m.get('fastnn_version'))[:40]}); this fastnn reads version {FORMAT_VERSION}: "
                             f"upgrade fastnn")
        if m.get("kind") not in ("model", "weights"):
            _fail(self.path, f"unknown file kind {m.get('kind')!r:.40}")

    def tensors(self, prefix):
        """The arrays whose names start with `prefix`, in table order (each a fresh, writable copy)."""
        out = []
        for name, dtype, shape, offset, nbytes in self.entries:
            if name.startswith(prefix):
                arr = np.frombuffer(self._blob, dtype=np.dtype(dtype).newbyteorder("<"), count=nbytes //
                                    np.dtype(dtype).itemsize, offset=offset)
                out.append((name, arr.astype(np.dtype(dtype), copy=True).reshape(shape)))
        return out


@contextmanager
def _weight_budget(budget, path):
    """While a model is rebuilt from a file, refuse any weight the file's stored tensors cannot fill.

    `budget` is the number of weight elements the file holds; a hostile config (Dense(units=10**12))
    would otherwise allocate before the tensors are compared with the model.
    """
    from fastnn.engine.layer import Layer

    original = Layer.add_weight
    remaining = [budget]

    def guarded(self, name, shape, *args, **kwargs):
        count = 1
        dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
        try:
            for d in dims:
                count *= max(int(d), 0)
        except (TypeError, ValueError):
            count = 0  # add_weight itself reports a malformed shape
        if count > remaining[0]:
            _fail(path, f"the architecture asks layer '{self.name}' for a weight '{name}' of shape {tuple(dims)}, "
                        f"more than the weights stored in the file")
        remaining[0] -= count
        return original(self, name, shape, *args, **kwargs)

    Layer.add_weight = guarded
    try:
        yield
    finally:
        Layer.add_weight = original


def _assign_weights(model, arrays, path, skip_mismatch=False):
    weights = model.weights
    if len(arrays) != len(weights):
        _fail(path, f"the file holds {len(arrays)} weight tensors but model '{model.name}' has {len(weights)} "
                    f"({[w.path for w in weights][:8]}...)")
    checked = []
    for var, (name, arr) in zip(weights, arrays):
        if arr.shape != var.shape:
            if skip_mismatch:
                continue
            _fail(path, f"weight {name!r} has shape {arr.shape} but the model's '{var.path}' has shape {var.shape}")
        if arr.dtype.kind not in "fiub":
            _fail(path, f"weight {name!r} has non-numeric dtype {arr.dtype}")
        checked.append((var, arr))
    for var, arr in checked:
        var.assign(arr)


def _build_from_shapes(model, shapes, path):
    if not isinstance(shapes, list) or not shapes or len(shapes) > 64:
        return
    arrays = []
    for s in shapes:
        if not isinstance(s, list) or not 1 <= len(s) <= MAX_RANK or \
                not all(d is None or (isinstance(d, int) and not isinstance(d, bool) and 0 < d < 2**31) for d in s[1:]):
            _fail(path, f"config.json: malformed build_input_shapes {shapes!r:.200}")
        size = 1
        for d in s[1:]:
            size *= d
        if size > 1 << 28:
            _fail(path, "config.json: build_input_shapes are unreasonably large")
        arrays.append(np.zeros((1,) + tuple(s[1:]), dtype=model.dtype))
    model(arrays[0] if len(arrays) == 1 else arrays)


def _compile_from_config(model, compile_config, path):
    from fastnn import optimizers

    if not isinstance(compile_config, dict):
        _fail(path, "config.json: malformed compile_config")
    opt = compile_config.get("optimizer")
    try:
        if isinstance(opt, dict):
            opt = optimizers.deserialize(opt) if hasattr(optimizers, "deserialize") else optimizers.get(opt)
        model.compile(optimizer=opt, loss=compile_config.get("loss"), loss_weights=compile_config.get("loss_weights"),
                      metrics=compile_config.get("metrics"), weighted_metrics=compile_config.get("weighted_metrics"))
    except FileFormatError:
        raise
    except Exception as e:
        raise FileFormatError(f"{path}: the model loaded, but its compile configuration could not be restored "
                              f"({type(e).__name__}: {e}); load with compile=False and compile it yourself") from e


def _restore_optimizer(model, state, path):
    if not state:
        return
    opt = model.optimizer
    arrays = [a for _, a in state]
    try:
        try:  # saved before any training step: the state holds no per-variable slots yet
            opt.set_state(arrays)
            return
        except ValueError:
            pass
        if hasattr(opt, "build"):
            opt.build(model.trainable_weights)
        opt.set_state(arrays)
    except Exception as e:
        raise FileFormatError(f"{path}: the optimizer state does not fit the model's optimizer "
                              f"({type(e).__name__}: {e})") from e


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, max_bytes=MAX_TENSOR_BYTES):
    """Load a model written by ``model.save`` (any file name; the format is recognised by content).

    Args:
        filepath: path of the file.
        custom_objects: ``{"ClassName": cls}`` for custom layers/models not registered with
            ``register_fastnn_serializable``.
        compile: restore the compile configuration and the optimizer state (training resumes exactly).
        safe_mode: accepted for Keras compatibility; fastnn loading never executes code from the file.
        max_bytes: largest tensor payload accepted (default 64 GiB).

    Raises:
        FileFormatError (a ValueError): the file is not a valid fastnn model file, naming what is wrong.
    """
    from fastnn.engine.serialization import deserialize_layer
    from fastnn.engine.training import Model

    archive = _Archive(filepath, max_bytes=max_bytes)
    path = archive.path
    if archive.metadata.get("kind") != "model":
        _fail(path, "this file holds only weights (written by save_weights): build the model in code and call "
                    "model.load_weights(path)")
    cfg = archive.config
    weights = archive.tensors("weights/")
    budget = sum(a.size for _, a in weights)
    try:
        with _weight_budget(budget, path):
            model = deserialize_layer(cfg.get("model"), custom_objects=custom_objects)
            if not isinstance(model, Model):
                _fail(path, f"config.json describes a {type(model).__name__}, not a model")
            if len(model.weights) != len(weights) or not model.built:
                _build_from_shapes(model, cfg.get("build_input_shapes"), path)
    except FileFormatError:
        raise
    except RecursionError:
        _fail(path, "config.json nests layers too deeply")
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise FileFormatError(f"{path}: the architecture in config.json cannot be rebuilt: {e}") from e
    _assign_weights(model, weights, path)
    if compile and cfg.get("compile_config"):
        _compile_from_config(model, cfg["compile_config"], path)
        _restore_optimizer(model, archive.tensors("optimizer/"), path)
    return model


def load_weights(model, filepath, skip_mismatch=False, max_bytes=MAX_TENSOR_BYTES):
    """Set `model`'s weights from a file written by ``save_weights`` or ``save`` (order of ``model.weights``).

    Every shape is checked before anything is written, so a mismatched file changes nothing.
    """
    archive = _Archive(filepath, max_bytes=max_bytes)
    if not model.built or not model.weights:
        shapes = archive.config.get("build_input_shapes")
        if shapes:
            _build_from_shapes(model, shapes, archive.path)
    _assign_weights(model, archive.tensors("weights/"), archive.path, skip_mismatch=skip_mismatch)


def read_metadata(filepath):
    """The validated metadata and config of a fastnn file (nothing is built)."""
    archive = _Archive(filepath)
    return {"metadata": archive.metadata, "config": archive.config,
            "tensors": [{"name": n, "dtype": d, "shape": list(s)} for n, d, s, _, _ in archive.entries]}
