"""The safe codec: the only way values cross the trust boundary.

A message is a frame: an 8-byte big-endian length, then the payload.  The payload
is a 4-byte JSON length, the JSON text, then each array as ``.npy`` bytes (8-byte
length first).  Decoding never unpickles or evaluates anything: :func:`read_npy`
parses the ``.npy`` header strictly and accepts only boolean, integer and
floating dtypes.

JSON objects are always single-key markers, so no student value can pose as one:

==================  ==========================================================
``{"nd": i}``       the i-th array blob (a plain ``numpy.ndarray``)
``{"np": i}``       a numpy scalar, stored as the i-th 0-d blob
``{"tuple": [...]}`` a tuple
``{"dict": [[k, v], ...]}`` a dict with str keys
``{"rng": state}``  a ``numpy.random.Generator`` (PCG64 state)
``{"callback": i}`` a function of the grader's, callable from the worker
``{"handle": i}``   an opaque object of the grader's (e.g. a fitted model)
``{"unsafe": t}``   a value of type ``t`` that has no safe encoding
``{"float": s}``    a non-finite float: "nan", "inf" or "-inf"
==================  ==========================================================

Everything a payload may hold is capped before it is parsed: the frame's size
(per direction: what the grader accepts from a worker is far smaller), the JSON
head's size and item count, and the number of array blobs.  Grading the reference
on every case of every battery, the largest reply is 960,173 bytes (a 400 x 300
float64 draw of an initialization), its largest head 940 bytes and 94 items:
``MAX_REPLY`` leaves a margin of 8, the head caps far more (a greeting lists up to
1000 names).

This file runs on both sides, so it imports nothing but the standard library
and numpy.
"""
from __future__ import annotations

import json
import math
import os
import re
import select
import struct
import time

import numpy as np

MAX_FRAME = 64 * 2**20        # bytes of a frame to the worker (the grader's own data)
MAX_REPLY = 8 * 2**20         # bytes of a frame from the worker (untrusted)
MAX_HEAD = 2**20              # bytes of a payload's JSON head
MAX_ITEMS = 20_000            # JSON values in a head (counted as brackets and commas)
MAX_BLOBS = 1_000             # arrays in a payload
MAX_DEPTH = 64                # nesting of lists/dicts/tuples
_SAFE_KINDS = "biuf"          # bool, int, uint, float
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


class CodecError(ValueError):
    """A payload that is malformed, too large or of a forbidden type."""


def clean(text, limit: int) -> str:
    """``text`` as a str of at most ``limit`` characters, control characters blanked.

    For whatever the other side says about itself (type names, messages,
    warnings): neither side trusts the other's truncation.
    """
    text = text if type(text) is str else str(text)[:limit]
    return _CONTROL.sub(" ", text[:limit])


class Unsafe:
    """Stands for a value that could not be encoded safely (a wrong answer)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<unsafe {self.type_name} object>"


class Callback:
    """Stands, on the worker side, for a function that lives in the grader."""

    def __init__(self, index: int, caller=None):
        self.index = index
        self._caller = caller

    def __call__(self, *args, **kwargs):
        if self._caller is None:
            raise RuntimeError("this callback is not connected to the grader")
        return self._caller(self.index, args, kwargs)


class Handle:
    """Stands, on the worker side, for an opaque object that lives in the grader."""

    def __init__(self, index: int):
        self.index = index

    def __repr__(self):
        return f"<grader object #{self.index}>"


# ---------------------------------------------------------------- encoding

def encode(value, *, to_callback=None, to_handle=None) -> bytes:
    """Encode ``value`` into a payload.

    ``to_callback(fn) -> int`` and ``to_handle(obj) -> int`` let the grader
    send functions and opaque objects; without them such values become
    ``Unsafe`` markers.
    """
    blobs: list[bytes] = []

    def blob(arr: np.ndarray) -> int:
        blobs.append(write_npy(arr))
        return len(blobs) - 1

    def enc(v, depth):
        if depth >= MAX_DEPTH:
            return {"unsafe": "too deeply nested value"}
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return v if -2**63 <= v < 2**64 else {"unsafe": "int out of range"}
        if t is float:
            return v if v == v and abs(v) != float("inf") else {"float": repr(v)}
        if t is np.ndarray:
            return {"nd": blob(v)} if v.dtype.kind in _SAFE_KINDS else {"unsafe": f"array of {v.dtype}"}
        if isinstance(v, np.generic) and t.__module__ == "numpy":
            arr = np.asarray(v)
            return {"np": blob(arr)} if arr.dtype.kind in _SAFE_KINDS else {"unsafe": t.__name__}
        if t is list:
            return [enc(x, depth + 1) for x in v]
        if t is tuple:
            return {"tuple": [enc(x, depth + 1) for x in v]}
        if t is dict:
            if not all(type(k) is str for k in v):
                return {"unsafe": "dict with non-str keys"}
            return {"dict": [[k, enc(x, depth + 1)] for k, x in v.items()]}
        if t is np.random.Generator and type(v.bit_generator) is np.random.PCG64:
            return {"rng": v.bit_generator.state}
        if t is Handle:
            return {"handle": v.index}
        if to_handle is not None and not callable(v):
            return {"handle": to_handle(v)}
        if to_callback is not None and callable(v):
            return {"callback": to_callback(v)}
        return {"unsafe": t.__name__}

    head = json.dumps(enc(value, 0), allow_nan=False).encode()
    _check_sizes(head, len(blobs))
    parts = [struct.pack(">I", len(head)), head]
    for b in blobs:
        parts += [struct.pack(">Q", len(b)), b]
    return b"".join(parts)


def _check_sizes(head: bytes, n_blobs: int) -> None:
    """CodecError unless the head and the blob count are within the caps (cheap: no parse)."""
    if len(head) > MAX_HEAD:
        raise CodecError(f"a JSON head of {len(head)} bytes exceeds the {MAX_HEAD}-byte limit")
    items = head.count(b",") + head.count(b"[") + head.count(b"{")
    if items > MAX_ITEMS:
        raise CodecError(f"a JSON head of more than {MAX_ITEMS} items")
    if n_blobs > MAX_BLOBS:
        raise CodecError(f"more than {MAX_BLOBS} arrays in one payload")


# ---------------------------------------------------------------- decoding

def decode(payload: bytes, *, callback_caller=None, handles=None):
    """Decode a payload made by :func:`encode`, strictly.

    Raises
    ------
    CodecError
        On any malformed, oversized or forbidden content.  The error holds its
        message only: no context or cause, and no frame of its traceback holds the
        payload, the decoded arrays or the parsed JSON.
    """
    try:
        return _decode(payload, callback_caller, handles)
    except CodecError as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001  json, struct, numpy format errors, recursion, memory...
        message = f"malformed payload: {type(exc).__name__}: {clean(exc, 200)}"
    del payload  # raised outside the except clause: no __context__, and no payload here
    raise CodecError(message)


def _decode(payload, callback_caller, handles):
    view = memoryview(payload)
    (n,) = struct.unpack(">I", view[:4])
    if 4 + n > len(view):
        raise CodecError("payload shorter than its declared head")
    raw = bytes(view[4:4 + n])
    _check_sizes(raw, 0)
    head = json.loads(raw.decode())
    pos, arrays = 4 + n, []
    while pos < len(view):
        if len(arrays) == MAX_BLOBS:
            raise CodecError(f"more than {MAX_BLOBS} arrays in one payload")
        (k,) = struct.unpack(">Q", view[pos:pos + 8])
        if pos + 8 + k > len(view):
            raise CodecError("payload shorter than its declared array")
        arrays.append(read_npy(view[pos + 8:pos + 8 + k]))
        pos += 8 + k

    def dec(v, depth):
        if depth > MAX_DEPTH:
            raise CodecError("value nested too deeply")
        if type(v) is int and not -2**63 <= v < 2**64:
            raise CodecError("integer out of range")
        if v is None or type(v) in (bool, int, float, str):
            return v
        if type(v) is list:
            return [dec(x, depth + 1) for x in v]
        if type(v) is not dict or len(v) != 1:
            raise CodecError("unexpected JSON object")
        (tag, body), = v.items()
        if tag == "nd":
            return arrays[_index(body, len(arrays))]
        if tag == "np":
            arr = arrays[_index(body, len(arrays))]
            if arr.ndim != 0:
                raise CodecError("scalar blob is not 0-d")
            return arr[()]
        if tag == "tuple" and type(body) is list:
            return tuple(dec(x, depth + 1) for x in body)
        if tag == "dict" and type(body) is list:
            out = {}
            for item in body:
                if type(item) is not list or len(item) != 2 or type(item[0]) is not str:
                    raise CodecError("malformed dict entry")
                out[item[0]] = dec(item[1], depth + 1)
            return out
        if tag == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "unsafe":
            return Unsafe(clean(body, 80))
        if tag == "rng":
            gen = np.random.Generator(np.random.PCG64())
            gen.bit_generator.state = body
            return gen
        if tag == "callback":
            return Callback(_index(body, 2**31), callback_caller)
        if tag == "handle":
            if handles is None:
                return Handle(_index(body, 2**31))
            return handles[_index(body, len(handles))]
        raise CodecError(f"unknown tag {tag!r}")

    return dec(head, 0)


_NPY_HEADER = re.compile(
    rb"\{'descr': '([<>|][biuf][1248])', 'fortran_order': (False|True), "
    rb"'shape': \(((?:\d+, )*(?:\d+,?)?)\), \} *\n")


def write_npy(arr: np.ndarray) -> bytes:
    """``arr`` as ``.npy`` (version 1.0) bytes, in C order: what ``np.save`` writes."""
    if not arr.flags.c_contiguous:  # (np.ascontiguousarray would make 0-d arrays 1-d)
        arr = arr.copy(order="C")
    header = f"{{'descr': '{arr.dtype.str}', 'fortran_order': False, 'shape': {arr.shape!r}, }}"
    pad = 63 - (10 + len(header)) % 64   # the whole preamble is a multiple of 64 bytes
    header = (header + " " * pad + "\n").encode("latin-1")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + arr.tobytes()


def read_npy(raw: memoryview) -> np.ndarray:
    """Read one ``.npy`` blob strictly: a plain bool/int/float array, or CodecError.

    The header must be exactly what ``numpy.lib.format`` writes, its dtype one of
    the safe kinds, and the data exactly as long as the shape says.  Nothing is
    ever evaluated or unpickled (and it is several times faster than
    ``np.load``, which matters on every call).
    """
    if bytes(raw[:6]) != b"\x93NUMPY" or len(raw) < 10:
        raise CodecError("not an .npy blob")
    major = raw[6]
    if major == 1:
        (hlen,), start = struct.unpack("<H", raw[8:10]), 10
    elif major in (2, 3):
        (hlen,), start = struct.unpack("<I", raw[8:12]), 12
    else:
        raise CodecError(f"unknown .npy version {major}")
    match = _NPY_HEADER.fullmatch(bytes(raw[start:start + hlen]))
    if match is None:
        raise CodecError("malformed or forbidden .npy header")
    dtype = np.dtype(match.group(1).decode())
    shape = tuple(int(d) for d in match.group(3).decode().replace(",", " ").split())
    data = raw[start + hlen:]
    if len(data) != dtype.itemsize * math.prod(shape):
        raise CodecError("array data does not match its shape")
    order = "F" if match.group(2) == b"True" else "C"
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order).copy()


def _index(body, limit):
    if type(body) is not int or not 0 <= body < limit:
        raise CodecError("bad index")
    return body


# ---------------------------------------------------------------- framing
#
# One reader and one writer serve both sides.  The worker passes no deadline and
# blocks; the grader passes its call's deadline, and then a read or write that
# cannot complete by it raises TimeoutError (the write end is made non-blocking,
# so not even a large write to a full pipe can block past the deadline).

def write_frame(fd: int, payload: bytes, deadline: float | None = None) -> None:
    """Write one length-prefixed frame to file descriptor ``fd``.

    Raises
    ------
    TimeoutError
        ``deadline`` (a ``time.monotonic()`` value) passed before all was written.
    OSError
        The other side closed the channel (``BrokenPipeError``).
    """
    if deadline is not None:
        os.set_blocking(fd, False)
    view = memoryview(struct.pack(">Q", len(payload)) + payload)
    while view:
        _wait(fd, select.POLLOUT, deadline)
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:  # less room than a small write needs: wait again
            continue


def read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    """Read exactly ``n`` bytes from ``fd``.

    Raises
    ------
    EOFError
        The other side closed the channel first.
    TimeoutError
        ``deadline`` passed first.
    """
    buf = bytearray()
    while len(buf) < n:
        _wait(fd, select.POLLIN, deadline)
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        buf += chunk
    return bytes(buf)


def read_frame(fd: int, deadline: float | None = None, limit: int = MAX_FRAME) -> bytes:
    """Read one frame from ``fd``: CodecError, before reading it, if over ``limit`` bytes.

    See :func:`read_exact` for ``deadline`` and the other errors.
    """
    (n,) = struct.unpack(">Q", read_exact(fd, 8, deadline))
    if n > limit:
        raise CodecError(f"frame of {n} bytes exceeds the {limit}-byte limit")
    return read_exact(fd, n, deadline)


def _wait(fd: int, event: int, deadline: float | None) -> None:
    """Return once ``fd`` is ready for ``event`` (or hung up); TimeoutError at ``deadline``."""
    if deadline is None:
        return  # a blocking descriptor: the read or write itself waits
    left = deadline - time.monotonic()
    poller = select.poll()
    poller.register(fd, event)
    if left <= 0 or not poller.poll(math.ceil(left * 1000)):
        raise TimeoutError("the other side did not keep up within the time limit")
