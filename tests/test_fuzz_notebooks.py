"""Malformed notebooks through every notebook reader: the trusted side's
(:func:`autograder.submissions.read_notebook`, behind ``check`` and ``grade``) and
the worker's (:func:`autograder.worker.serve.notebook_cells`, run here in process).

The trusted reader may raise only :class:`Unreadable`; the worker's only what its
``load`` turns into a load error.  Every input is done within a time bound.
"""
from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import submissions
from autograder.worker import serve

#: What ``serve.load`` turns into a "not a valid Jupyter notebook" load error.
WORKER_ERRORS = (ValueError, UnicodeDecodeError, AttributeError, TypeError, RecursionError,
                 MemoryError)
#: Seconds one input may take through both readers.
BOUND = 2.0
FUZZ = settings(max_examples=350, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=5),
                           max_leaves=15)
# Cells that are nearly right: each field a plausible value or any JSON value.
cell_keys = st.sampled_from(["cell_type", "metadata", "source", "outputs", "nbgrader", "tags"])
plausible = st.sampled_from(["code", "markdown", "%%bash", "%time x = 1", "def f():\n  %time 1",
                             ["a = 1\n", "b = 2"], {"nbgrader": {"grade": True}},
                             {"tags": ["autograder-skip"]}, {"tags": "autograder-skip"},
                             {"nbgrader": []}, "x = '\x00'", "-" * 5000 + "1"])
cells = st.dictionaries(cell_keys, plausible | json_values, max_size=4) | json_values
notebooks = st.fixed_dictionaries({"cells": st.lists(cells, max_size=6)},
                                  optional={"metadata": json_values, "nbformat": json_values})


def _through_both_readers(path, body: bytes) -> None:
    path.write_bytes(body)
    start = time.monotonic()
    try:
        nb = submissions.read_notebook(path)
    except submissions.Unreadable as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 300  # one line, fit for a row
    else:
        assert isinstance(nb, dict)
    try:
        serve.notebook_cells(str(path))
    except WORKER_ERRORS:
        pass
    assert time.monotonic() - start < BOUND


@pytest.fixture
def path(tmp_path):
    return tmp_path / "fuzz.ipynb"


@FUZZ
@given(nb=notebooks)
def test_notebook_shaped_json(path, nb):
    _through_both_readers(path, json.dumps(nb).encode())


@FUZZ
@given(body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_and_any_json(path, body):
    _through_both_readers(path, body)


@FUZZ
@given(depth=st.integers(1, 20_000), opener=st.sampled_from([b"[", b'{"cells":', b'{"a":[']),
       cut=st.integers(0, 20), bad=st.binary(max_size=4))
def test_deep_nesting_and_torn_files(path, depth, opener, cut, bad):
    valid = json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": "x = 1"}]})
    deep = opener * depth + b"1" + (b"]" if opener == b"[" else b"}") * depth
    _through_both_readers(path, deep)
    torn = valid.encode()[:len(valid) - cut] + bad  # a truncated file, with stray bytes
    _through_both_readers(path, torn)
