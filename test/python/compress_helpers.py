"""Helpers shared by the compression tests (test_compression.py,
test_golden.py, test_pack.py): reading a module's text back, writing float
weights into it, and importing + raising exported decoders."""

import re

import numpy as np

# `%name = arith.constant dense<...>|dense_resource<...> : tensor<...>`:
# name, payload, resource key, dense body, shape, element type.
CONST = re.compile(
    r'(%[\w.]+) = arith\.constant (dense_resource<([^>]+)>|dense<(.*?)>) : '
    r'tensor<([\dx]+)x(\w+)>')
# `accel.linear`: weight, transposed, scales, zero points, attributes.
LINEAR = re.compile(
    r'accel\.linear %[\w.]+, (%[\w.]+)( transposed)?'
    r'(?: scales\((%[\w.]+) : [^)]*\))?(?: zero_points\((%[\w.]+) : [^)]*\))?'
    r'(?: bias\(%[\w.]+ : [^)]*\))?(?: \{(.*?)\})? :')


def resources(text):
    """The dialect_resources blobs of a module's text, by key."""
    blobs = {}
    start = text.find("dialect_resources:")
    if start >= 0:
        for key, hexdata in re.findall(r'^\s*"?(.+?)"?: "0x([0-9A-Fa-f]+)",?\s*$',
                                       text[start:], re.M):
            blobs[key] = bytes.fromhex(hexdata)[4:]   # after the alignment word
    return blobs


def int_blob(data, bits, count):
    """The elements of a dense_resource blob of `count` iB integers as their
    low B bits: packed LSB-first when B < 8 and the blob is smaller than a
    byte per element (IntElements.h), else one per byte."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if bits >= 8 or raw.size == count:
        return raw.astype(np.int64)
    stream = np.unpackbits(raw, bitorder="little")[:count * bits]
    weights = (1 << np.arange(bits)).astype(np.int64)
    return stream.reshape(count, bits).astype(np.int64) @ weights


def hex_f32(w):
    """`w` as the hex literal of a dense<> f32 attribute."""
    return '"0x' + np.ascontiguousarray(w, dtype='<f4').tobytes().hex().upper() + '"'


def raised(path, seq):
    """The exported decoder at `path` imported for batch 1 and `seq` tokens,
    raised to accel ops."""
    import accel
    m = accel.import_onnx(str(path), dims={"batch": 1, "sequence": seq})
    accel.raise_to_accel(m)
    return m
