"""The safe codec: every allowed type round-trips; everything else is refused.

The decoder is the trust boundary (student code shares the worker process with
the encoder and can write any bytes it likes), so the refusals are tested on
hand-made payloads, not only on what :func:`codec.encode` produces.
"""
from __future__ import annotations

import gc
import io
import json
import math
import os
import struct
import threading
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder.worker import codec
from autograder.worker.codec import CodecError, Unsafe

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def roundtrip(value):
    return codec.decode(codec.encode(value))


def same(a, b) -> bool:
    """Exact equality that also compares types, dtypes and shapes; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and (a == b or (a != a and b != b))
    if isinstance(a, float):
        return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def payload(head, blobs=()) -> bytes:
    """A hand-made payload: the JSON head (text or object), then raw .npy blobs."""
    text = head if isinstance(head, (str, bytes)) else json.dumps(head)
    text = text.encode() if isinstance(text, str) else text
    parts = [struct.pack(">I", len(text)), text]
    for b in blobs:
        parts += [struct.pack(">Q", len(b)), b]
    return b"".join(parts)


def npy(arr, allow_pickle=False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


# ---------------------------------------------------------------- allowed types

SAFE_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
               "float16", "float32", "float64", ">f8", ">i4"]

arrays = st.sampled_from(SAFE_DTYPES).flatmap(
    lambda dt: hnp.arrays(np.dtype(dt), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                         max_side=4)))
scalars = st.sampled_from(SAFE_DTYPES[:-2]).flatmap(
    lambda dt: hnp.from_dtype(np.dtype(dt)).map(np.dtype(dt).type))
plain = (st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1)
         | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20))
values = st.recursive(
    plain | arrays | scalars,
    lambda inner: (st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple)
                   | st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


@SETTINGS
@given(arrays)
def test_arrays_round_trip_with_dtype_and_shape(arr):
    out = roundtrip(arr)
    assert same(out, arr), (arr, out)


@SETTINGS
@given(scalars)
def test_numpy_scalars_keep_their_dtype(x):
    out = roundtrip(x)
    assert isinstance(out, np.generic) and out.dtype == x.dtype
    assert same(out, x)


@SETTINGS
@given(values)
def test_nested_values_round_trip(value):
    assert same(roundtrip(value), value)


@pytest.mark.parametrize("value", [
    np.float32(0.1), np.array(2.5), np.array(7, dtype=np.int16), np.array(True),
    np.arange(12, dtype=np.float32).reshape(3, 4), np.asfortranarray(np.ones((2, 3))),
    np.arange(10.0)[::3], np.zeros((0, 3), np.int64),
    (1, (2.0, [3]), {"a": (None,)}), [], (), {}, {"nd": 0}, {"tuple": [1, 2]},
    float("nan"), float("inf"), -float("inf"), -0.0, 2**64 - 1, -2**63, "", "é\u2603",
    [np.float64("nan"), np.array([np.nan, np.inf, -np.inf])],
], ids=repr)
def test_examples_round_trip(value):
    out = roundtrip(value)
    assert same(out, value), (value, out)


def test_marker_lookalikes_stay_plain_dicts():
    """A student's dict shaped like a codec marker is still just a dict."""
    out = roundtrip({"nd": 0, "unsafe": "x"})
    assert out == {"nd": 0, "unsafe": "x"} and type(out) is dict
    assert roundtrip([{"float": "nan"}]) == [{"float": "nan"}]


def test_generators_keep_their_state():
    rng = np.random.default_rng(42)
    rng.normal(size=17)  # advance it: the state, not the seed, must cross
    out = roundtrip({"rng": rng})["rng"]
    assert type(out) is np.random.Generator and out is not rng
    assert np.array_equal(out.normal(size=5), rng.normal(size=5))
    assert np.array_equal(out.integers(0, 100, 5), rng.integers(0, 100, 5))


def test_other_bit_generators_are_unsafe():
    out = roundtrip(np.random.Generator(np.random.MT19937(0)))
    assert isinstance(out, Unsafe)


def test_handles_and_callbacks_cross_as_stand_ins():
    grader_obj, fn = object(), (lambda x: x)
    objs, fns = [], []

    def table(t):
        return lambda o: t.append(o) or len(t) - 1

    data = codec.encode([grader_obj, fn], to_handle=table(objs), to_callback=table(fns))
    h, cb = codec.decode(data, callback_caller=lambda i, a, k: ("called", i, a, k))
    assert isinstance(h, codec.Handle) and objs == [grader_obj]
    assert cb(3, y=4) == ("called", 0, (3,), {"y": 4}) and fns == [fn]
    # Back on the grader's side a handle resolves to the very same object.
    assert codec.decode(codec.encode(h), handles=objs) is grader_obj
    # Without a registry, neither crosses: both are unsafe.
    assert all(isinstance(v, Unsafe) for v in roundtrip([grader_obj, fn]))


# ---------------------------------------------------------------- refused values

class Sub(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)


class MyFloat(float):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value, type_name", [
    (np.array([1, None], dtype=object), "object"),
    (np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]), "('a', '<f8')"),
    (np.array([1 + 2j]), "complex"),
    (np.array(["text"]), "<U4"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64"),
    (np.zeros(3).view(Sub), "Sub"),
    (np.ma.array([1.0, 2.0], mask=[0, 1]), "MaskedArray"),
    (np.complex128(1j), "complex128"),
    (np.str_("x"), "str_"),
    (MyFloat(1.0), "MyFloat"),
    (b"bytes", "bytes"),
    ({1, 2}, "set"),
    ({1: 2}, "non-str keys"),
    (2**64, "out of range"),
    (-2**63 - 1, "out of range"),
    (lambda: 0, "function"),
    (object(), "object"),
], ids=lambda v: type(v).__name__)
def test_forbidden_values_decode_to_unsafe(value, type_name):
    out = roundtrip({"answer": value})["answer"]
    assert isinstance(out, Unsafe), out
    assert type_name in out.type_name


def test_subclass_is_unsafe_inside_containers():
    out = roundtrip((np.zeros(2), [np.zeros(2).view(Sub)]))
    assert same(out[0], np.zeros(2)) and isinstance(out[1][0], Unsafe)


# ---------------------------------------------------------------- hostile payloads

UNPICKLED = []


def _mark():
    UNPICKLED.append(True)
    return "pwned"


class Bomb:
    """Unpickling it has a visible side effect."""

    def __reduce__(self):
        return (_mark, ())


def test_pickle_payloads_are_never_unpickled():
    evil = npy(np.array([Bomb()], dtype=object), allow_pickle=True)
    # The payload is live: numpy would run it if asked to.
    np.load(io.BytesIO(evil), allow_pickle=True)
    assert UNPICKLED == [True]
    UNPICKLED.clear()
    for head in ({"nd": 0}, {"np": 0}, [1, 2]):  # referenced or not, it is read and refused
        with pytest.raises(CodecError):
            codec.decode(payload(head, [evil]))
    # Spliced into a genuine payload, in place of its blob.
    good = codec.encode({"x": np.arange(3.0)})
    head_len = struct.unpack(">I", good[:4])[0]
    with pytest.raises(CodecError):
        codec.decode(good[:4 + head_len] + struct.pack(">Q", len(evil)) + evil)
    assert UNPICKLED == []


@pytest.mark.parametrize("arr", [
    np.zeros(3, dtype=[("a", "f8")]), np.array(["abc"]), np.array([1j]),
    np.array(["2020"], dtype="datetime64[Y]"), np.zeros(2, dtype="V8"),
], ids=lambda a: str(a.dtype))
def test_forbidden_dtypes_in_blobs_raise(arr):
    with pytest.raises(CodecError, match="forbidden"):
        codec.decode(payload({"nd": 0}, [npy(arr)]))


GOOD_BLOB = npy(np.arange(3.0))


@pytest.mark.parametrize("data", [
    b"",
    b"\x00\x00",
    payload("{not json"),
    payload(b"\xff\xfe\x00"),
    struct.pack(">I", 1000) + b"[1, 2",            # head length beyond a truncated payload
    payload({"nd": 0, "np": 0}, [GOOD_BLOB]),      # a tag object with 2 keys
    payload({}),
    payload({"pickle": "gASVAAAA"}),               # unknown tag
    payload({"nd": 1}, [GOOD_BLOB]),               # bad blob index
    payload({"nd": -1}, [GOOD_BLOB]),
    payload({"nd": True}, [GOOD_BLOB]),
    payload({"nd": 0.0}, [GOOD_BLOB]),
    payload({"nd": "0"}, [GOOD_BLOB]),
    payload({"np": 0}, [GOOD_BLOB]),               # a scalar blob that is not 0-d
    payload({"float": "NaN"}),
    payload({"dict": [[1, 2]]}),                   # non-str key
    payload({"dict": [["a"]]}),
    payload({"dict": "a"}),
    payload({"tuple": {"a": 1}}),
    payload({"rng": {"bit_generator": "MT19937", "state": {}}}),
    payload({"rng": "seed"}),
    payload({"handle": 5}),                        # no such object of the grader's
    payload([1], [GOOD_BLOB[:20]]),                # truncated blob
    payload([1], [GOOD_BLOB]) + b"\x00\x01",       # trailing junk
    payload([1], [b"not an npy file at all"]),
    payload("[" * 100 + "]" * 100),                # nested too deeply
    payload("[" * 100_000 + "]" * 100_000),        # deep enough to break a recursive parser
], ids=lambda d: repr(d[:40]))
def test_malformed_payloads_raise_codec_error(data):
    with pytest.raises(CodecError):
        codec.decode(data, handles=[])


@pytest.mark.parametrize("depth", [codec.MAX_DEPTH + 1, 200])
def test_encoder_output_always_decodes_even_when_too_deep(depth):
    """A student's deeply nested answer is a wrong answer (Unsafe), not a protocol error."""
    deep = leaf = []
    for _ in range(depth):
        leaf.append([])
        leaf = leaf[0]
    out = roundtrip(deep)
    for _ in range(depth):
        if isinstance(out, Unsafe):
            break
        out = out[0]
    assert isinstance(out, Unsafe) and "nested" in out.type_name


def test_a_head_length_beyond_the_payload_is_refused():
    """A truncated payload never decodes, even when the JSON that is there parses."""
    with pytest.raises(CodecError):
        codec.decode(struct.pack(">I", 1000) + b"[1]")


def test_self_referencing_values_encode_finitely():
    loop = []
    loop.append(loop)
    data = codec.encode(loop)  # no RecursionError: the depth limit stops it
    assert len(data) < 10_000


@pytest.mark.parametrize("n", [2**64, -2**63 - 1, 10**400])
def test_decoder_refuses_integers_the_encoder_never_sends(n):
    """A worker writing raw frames cannot hand the grader an int that breaks float()."""
    with pytest.raises(CodecError):
        codec.decode(payload(f"[1, {{\"tuple\": [{n}]}}]"))
    assert codec.decode(payload(f"[{2**64 - 1}, {-2**63}]")) == [2**64 - 1, -2**63]


# ---------------------------------------------------------------- framing

def test_frames_round_trip_through_a_pipe():
    data = codec.encode({"x": np.arange(100_000.0)})  # larger than a pipe's buffer
    r, w = os.pipe()
    try:
        writer = threading.Thread(target=codec.write_frame, args=(w, data))
        writer.start()
        got = codec.read_frame(r)
        writer.join()
        assert got == data
        assert same(codec.decode(got)["x"], np.arange(100_000.0))
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.parametrize("size", [codec.MAX_FRAME + 1, 2**64 - 1])
def test_oversized_frames_are_refused_before_reading(size):
    r, w = os.pipe()
    os.write(w, struct.pack(">Q", size) + b"x" * 16)  # a lying header, then little data
    os.close(w)  # so that a reader that does not refuse ends in EOFError, not a hang
    try:
        with pytest.raises(CodecError, match="exceeds"):
            codec.read_frame(r)
    finally:
        os.close(r)


def test_a_frame_at_the_limit_is_not_refused_for_its_size():
    r, w = os.pipe()
    try:
        os.write(w, struct.pack(">Q", codec.MAX_FRAME))
        os.close(w)
        with pytest.raises(EOFError):  # it reads on, and finds the channel closed
            codec.read_frame(r)
    finally:
        os.close(r)


def test_a_closed_channel_is_eof():
    r, w = os.pipe()
    os.write(w, b"\x00\x00\x00")
    os.close(w)
    try:
        with pytest.raises(EOFError):
            codec.read_frame(r)
    finally:
        os.close(r)


# ---------------------------------------------------------------- the bounded trusted side

def test_a_failed_decode_keeps_no_reference_to_its_payload():
    """The CodecError holds its message only: no traceback frames with the payload,
    the decoded arrays or the parsed JSON (``raise ... from None`` would keep them)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        data = payload([{"nd": 0}, [[0.5] * 50] * 100, {"nd": 7}], [npy(np.zeros(700_000))])
        with pytest.raises(CodecError) as info:
            codec.decode(data)  # 5.6 MB of array decoded, then a bad index
        error = info.value
        del data, info
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert "bad index" in str(error)
    assert error.__context__ is None and error.__cause__ is None
    assert kept < 200_000, f"{kept} bytes still referenced after the failed decode"


def test_heads_over_the_caps_are_refused_before_parsing(monkeypatch):
    assert codec.decode(payload(b"[" + b"[]," * 1000 + b"[]]")) == [[]] * 1001  # honest size
    parsed = []
    monkeypatch.setattr(codec.json, "loads", lambda text: parsed.append(1) or [])
    bombs = [payload(b"[" + b"[]," * codec.MAX_ITEMS + b"[]]"),       # tiny items: costly
             payload(b'"' + b"x" * codec.MAX_HEAD + b'"'),              # one huge string
             payload([1], [GOOD_BLOB] * (codec.MAX_BLOBS + 1))]
    for data in bombs:
        with pytest.raises(CodecError, match="limit|items|arrays"):
            codec.decode(data)
    assert parsed == [1]  # only the blob bomb's head (small) was parsed


@pytest.mark.parametrize("value", [[[]] * (codec.MAX_ITEMS + 1), "x" * codec.MAX_HEAD,
                                   [np.zeros(1)] * (codec.MAX_BLOBS + 1)], ids=len)
def test_the_encoder_refuses_what_the_decoder_would_refuse(value):
    """So an honest but oversized answer is a clear error in the worker, not a crash here."""
    with pytest.raises(CodecError):
        codec.encode(value)


def test_clean_truncates_and_blanks_control_characters():
    assert codec.clean("\x1b[2J\rE" + "x" * 50, 10) == " [2J E" + "xxxx"
    assert codec.clean(ValueError("bad\nline"), 100) == "bad line"
    assert len(codec.clean("y" * 10**6, 100)) == 100


def test_a_read_past_its_deadline_times_out():
    r, w = os.pipe()
    try:
        os.write(w, struct.pack(">Q", 100) + b"x" * 10)  # a frame that never completes
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            codec.read_frame(r, time.monotonic() + 0.2)
        assert time.monotonic() - start < 2
    finally:
        os.close(r)
        os.close(w)


def test_a_write_to_a_pipe_nobody_reads_times_out_instead_of_blocking():
    r, w = os.pipe()
    try:
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            codec.write_frame(w, b"x" * 2**20, time.monotonic() + 0.2)  # > the pipe's buffer
        assert time.monotonic() - start < 2
    finally:
        os.close(r)
        os.close(w)


def test_frames_from_a_worker_are_capped_far_below_frames_to_it():
    r, w = os.pipe()
    try:
        os.write(w, struct.pack(">Q", codec.MAX_REPLY + 1))
        with pytest.raises(CodecError, match="exceeds"):
            codec.read_frame(r, limit=codec.MAX_REPLY)
    finally:
        os.close(r)
        os.close(w)
    assert codec.MAX_REPLY <= codec.MAX_FRAME // 8


def test_decoding_at_the_caps_stays_bounded_in_memory():
    """The worst payloads the caps allow cost their size and a few MB at most."""
    n = min(codec.MAX_ITEMS // 2, codec.MAX_HEAD // 3) - 2  # "[]," counts twice
    worst = [payload(b"[" + b"[]," * n + b"[]]"),
             payload(b"[" + b"1," * (2 * n) + b"1]"),
             payload(b'"' + b"x" * (codec.MAX_HEAD - 2) + b'"'),
             payload([{"nd": 0}], [npy(np.zeros((codec.MAX_REPLY - 1000) // 8))]),
             payload([1], [npy(np.zeros(0))] * codec.MAX_BLOBS)]
    for data in worst:
        tracemalloc.start()
        try:
            codec.decode(data)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 2 * len(data) + 4 * 2**20, (data[:40], peak)


# ---------------------------------------------------------------- fuzzing the trusted side
#
# 4 strategies x 250 examples x 10 payloads each: 10,000 malformed payloads and
# frames.  Each example fans out into 10 payloads, which keeps Hypothesis's own
# cost (it dominates) to a few seconds.

FUZZ = settings(max_examples=250, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
FAN_OUT = 10
VALID = [codec.encode(v) for v in (
    {"result": np.arange(6.0).reshape(2, 3), "after": [[np.ones(2)], {"k": 1}]},
    {"callback": 0, "args": [np.zeros(3), {"v": np.ones(3)}], "kwargs": {"lr": 0.1}},
    {"error": ["ValueError", "bad"]}, {"ready": ["f", "g"], "errors": [], "fatal": False},
    [(1, 2.5, None), {"a": [True, "x"]}, np.float32(1), float("nan"), np.int8(3)],
)]
TAGS = ["nd", "np", "tuple", "dict", "float", "unsafe", "rng", "callback", "handle", "x"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=6),
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.sampled_from(TAGS), inner, min_size=1, max_size=2)),
    max_leaves=10)
BLOBS = [GOOD_BLOB, npy(np.float64(2.0)), b"junk", GOOD_BLOB[:30], npy(np.zeros((2, 0)))]


def _decodes_or_refuses(data: bytes) -> None:
    """Decoding ``data`` either returns or raises CodecError: nothing else escapes."""
    try:
        codec.decode(data, handles=[object()])
    except CodecError:
        pass


@FUZZ
@given(st.lists(st.tuples(st.sampled_from("fidt"), st.integers(0, 2**16), st.integers(0, 255)),
                min_size=1, max_size=6))
def test_fuzz_mutated_payloads(edits):
    """Byte flips, insertions, deletions and truncations of genuine payloads."""
    for k in range(FAN_OUT):
        data = bytearray(VALID[k % len(VALID)])
        for op, pos, byte in edits:
            pos = (pos + 7919 * k) % (len(data) + 1)
            if op == "f" and pos < len(data):
                data[pos] = byte     # lengths, .npy headers, JSON text, blob data
            elif op == "i":
                data[pos:pos] = bytes([byte])
            elif op == "d":
                del data[pos:pos + byte % 9]
            else:
                del data[pos:]
        _decodes_or_refuses(bytes(data))


@FUZZ
@given(json_values)
def test_fuzz_hostile_heads_and_blobs(head):
    """Any JSON, tags included, with every mix of good, bad and truncated blobs."""
    text = json.dumps(head)
    for k in range(FAN_OUT):
        _decodes_or_refuses(payload(text, [BLOBS[(k + j) % len(BLOBS)] for j in range(k % 4)]))


@FUZZ
@given(st.binary(min_size=FAN_OUT, max_size=64 * FAN_OUT))
def test_fuzz_raw_payloads(data):
    step = len(data) // FAN_OUT
    for k in range(FAN_OUT):
        _decodes_or_refuses(data[k * step:])


@FUZZ
@given(st.binary(max_size=40), st.integers(0, 2**64 - 1))
def test_fuzz_frames_through_the_reader(data, length):
    """Random streams, closed after they end: a frame, CodecError or EOFError, never a hang."""
    for k in range(FAN_OUT):
        r, w = os.pipe()
        try:
            head = struct.pack(">Q", (length >> k) % (2 * codec.MAX_REPLY))
            os.write(w, head[:(len(data) + k) % 9] + data[k:])
            os.close(w)
            try:
                _decodes_or_refuses(codec.read_frame(r, time.monotonic() + 5, codec.MAX_REPLY))
            except (CodecError, EOFError):
                pass
        finally:
            os.close(r)
