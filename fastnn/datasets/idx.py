"""A defensive reader of IDX files (the MNIST file format), plain or gzip-compressed.

IDX layout: two zero bytes, a type code, the number of dimensions d, then d big-endian uint32 sizes,
then the values in C order, big-endian. The reader checks every field and compares the declared size
with the bytes actually present BEFORE allocating anything of the declared size, so a truncated or
hostile file gives a clear ValueError instead of garbage or an out-of-memory crash.
"""
import gzip
import os
import struct
import zlib

import numpy as np

TYPE_CODES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
DEFAULT_MAX_BYTES = 1 << 31  # 2 GiB; MNIST's largest file holds 47 MB
_CHUNK = 1 << 20


def _type_names():
    return ", ".join(f"0x{code:02X} ({dtype.name})" for code, dtype in TYPE_CODES.items())


def _read_exactly(handle, size, path, what):
    data = handle.read(size)
    if len(data) != size:
        raise ValueError(f"{path}: truncated IDX file: the {what} needs {size} bytes, only {len(data)} present")
    return data


def _read_payload_stream(handle, expected, path, shape):
    """Read a gzip stream's payload in chunks: memory grows with the bytes really present only."""
    payload = bytearray()
    while len(payload) <= expected:
        chunk = handle.read(min(_CHUNK, expected + 1 - len(payload)))
        if not chunk:
            break
        payload += chunk
    if len(payload) < expected:
        raise ValueError(f"{path}: truncated IDX file: shape {shape} needs {expected} data bytes, "
                         f"only {len(payload)} present")
    if len(payload) > expected:
        raise ValueError(f"{path}: IDX file has data beyond the declared shape {shape} "
                         f"({expected} bytes expected); the header or the file is wrong")
    return payload


def read_idx(path, max_bytes=DEFAULT_MAX_BYTES):
    """Read an IDX file into a numpy array (native byte order).

    Args:
        path: the file (str or PathLike); gzip compression is detected from the content.
        max_bytes: refuse files whose header declares more data bytes than this.

    Returns:
        A writable numpy array with the declared shape and type (uint8 for MNIST).

    Raises:
        FileNotFoundError: no such file.
        ValueError: wrong magic, unknown type code, zero dimensions, declared size above max_bytes,
            truncated data or trailing bytes, corrupted gzip data.
    """
    path = os.fspath(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        handle = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        try:
            header = _read_exactly(handle, 4, path, "header")
            if header[0] != 0 or header[1] != 0:
                raise ValueError(f"{path}: not an IDX file: it starts with bytes {header[:2].hex()} instead "
                                 "of 0000 (expected e.g. MNIST's train-images-idx3-ubyte)")
            dtype = TYPE_CODES.get(header[2])
            if dtype is None:
                raise ValueError(f"{path}: unknown IDX type code 0x{header[2]:02X}; valid codes: {_type_names()}")
            ndim = header[3]
            if ndim == 0:
                raise ValueError(f"{path}: the IDX header declares 0 dimensions")
            shape = struct.unpack(f">{ndim}I", _read_exactly(handle, 4 * ndim, path, "dimension sizes"))
            expected = dtype.itemsize
            for size in shape:
                expected *= size  # Python ints: no overflow
            if expected > max_bytes:
                raise ValueError(f"{path}: the IDX header declares shape {shape} ({expected} bytes), more than "
                                 f"max_bytes={max_bytes}; refusing to read (pass a larger max_bytes if the file "
                                 "is genuine)")
            if compressed:
                payload = _read_payload_stream(handle, expected, path, shape)
            else:
                present = os.fstat(raw.fileno()).st_size - 4 - 4 * ndim
                if present < expected:
                    raise ValueError(f"{path}: truncated IDX file: shape {shape} needs {expected} data bytes, "
                                     f"only {present} present")
                if present > expected:
                    raise ValueError(f"{path}: IDX file has {present - expected} bytes beyond the declared "
                                     f"shape {shape}; the header or the file is wrong")
                payload = bytearray(expected)
                if raw.readinto(payload) != expected:
                    raise ValueError(f"{path}: the file changed while being read")
        except (OSError, EOFError, zlib.error) as error:
            if isinstance(error, FileNotFoundError):
                raise
            raise ValueError(f"{path}: corrupted or unreadable file: {error}") from None
        finally:
            if compressed:
                handle.close()
    array = np.frombuffer(payload, dtype=dtype).reshape(shape)
    if dtype.itemsize > 1:
        array = array.astype(dtype.newbyteorder("="))
    return array


def write_idx(path, array):
    """Write an array as an IDX file (gzip-compressed when `path` ends with '.gz').

    Args:
        path: the target file.
        array: an array of dtype uint8, int8, int16, int32, float32 or float64 with 1..255 dimensions.
    """
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in TYPE_CODES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None or not 1 <= array.ndim <= 255:
        raise ValueError(f"write_idx: unsupported array of dtype {array.dtype} and {array.ndim} dimensions")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + np.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "wb") as handle:
        handle.write(data)
