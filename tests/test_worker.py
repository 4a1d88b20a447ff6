"""The sandbox worker, driven directly: loading notebooks and files, serving calls,
and failing safely (exceptions, timeouts, crashes), under the real isolation."""
from __future__ import annotations

import contextlib
import json
import socket
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import sandbox
from autograder.cases import Guarded
from autograder.checks import CheckFailure
from autograder.plugin import StudentProxy
from autograder.sandbox import StudentError, WorkerFailure

LIMITS = sandbox.Limits(call_timeout=2, load_timeout=5)
PROJECT = Path(__file__).resolve().parent.parent
BWRAP = pytest.mark.skipif(sandbox.isolation_mode() != "bwrap",
                           reason="needs bubblewrap with a dropped uid (isolation mode 'bwrap')")


def notebook(*cells) -> str:
    """A notebook's JSON: each cell is source text, or (source, nbgrader metadata),
    or ("markdown", text)."""
    out = []
    for cell in cells:
        src, meta, kind = cell, None, "code"
        if isinstance(cell, tuple):
            src, meta = cell
            if src == "markdown":
                src, meta, kind = meta, None, "markdown"
        entry = {"cell_type": kind, "metadata": {"nbgrader": meta} if meta else {},
                 "source": src.splitlines(keepends=True)}
        if kind == "code":
            entry.update(outputs=[], execution_count=None)
        out.append(entry)
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": out})


@contextlib.contextmanager
def running(tmp_path, text: str, suffix: str = ".py", limits: sandbox.Limits = LIMITS):
    """A started worker serving ``text`` as a submission; closed afterwards."""
    path = tmp_path / f"submission{suffix}"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text if suffix == ".ipynb" else textwrap.dedent(text))
    worker = sandbox.Worker(path, limits)
    try:
        worker.start()
        yield worker
    finally:
        worker.close()


# ---------------------------------------------------------------- loading notebooks

def test_magics_and_shell_lines_are_stripped_and_shell_cells_skipped(tmp_path):
    nb = notebook(
        "%matplotlib inline\n%load_ext autoreload\nimport numpy as np",
        "!pip install some-package\nfiles = !ls -la\n  %time x = 1\n"
        "def double(x):\n    return 2 * x",
        "%%time\ndef timed():\n    return 'timed'",
        "%%capture\ncaptured = 7",
        "%%bash\necho 'not python' && rm -rf ./*\nexit 1",   # a SyntaxError if run as Python
        "%%writefile helper.py\ndef double(x) return",       # likewise
        ("markdown", "def double(x): this is prose"),
    )
    with running(tmp_path, nb, ".ipynb") as w:
        assert w.load_errors == [] and not w.load_fatal
        assert {"double", "timed"} <= set(w.defined)
        assert w.call("double", 21) == 42
        assert w.call("timed") == "timed"


def test_nbgrader_test_cells_are_not_executed(tmp_path):
    nb = notebook(
        ("import numpy as np\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
         {"solution": True, "grade": False, "grade_id": "sigmoid"}),
        # A test cell that a student "edited" to override the answer: never run.
        ("def sigmoid(z):\n    return 'overridden by a test cell'\nassert False",
         {"grade": True, "solution": False, "grade_id": "test_sigmoid", "points": 2}),
        # An autograded answer cell is both: it is the student's code, so it runs.
        ("def relu(z):\n    return np.maximum(z, 0)",
         {"grade": True, "solution": True, "grade_id": "relu"}),
        # A read-only provided cell runs too.
        ("SCALE = 3", {"grade": False, "solution": False, "locked": True}),
    )
    with running(tmp_path, nb, ".ipynb") as w:
        assert w.load_errors == []
        assert w.call("sigmoid", 0.0) == 0.5
        assert np.array_equal(w.call("relu", np.array([-1.0, 2.0])), [0.0, 2.0])


def test_a_failing_cell_does_not_stop_later_cells(tmp_path):
    nb = notebook("def first():\n    return 1",
                  "x = 1\ny = x / 0",
                  "def later():\n    return 'still defined'")
    with running(tmp_path, nb, ".ipynb") as w:
        assert not w.load_fatal
        assert len(w.load_errors) == 1
        assert "cell 1" in w.load_errors[0] and "line 2" in w.load_errors[0]
        assert "ZeroDivisionError" in w.load_errors[0]
        assert w.call("first") == 1 and w.call("later") == "still defined"


PLOTTING = """\
import numpy as np
import matplotlib.pyplot as plt
x = np.linspace(0, 1, 5)
fig, ax = plt.subplots()
ax.plot(x, x ** 2, label="loss")
ax.set_xlabel("epoch"); ax.legend()
plt.show()
fig, axes = plt.subplots(2, 3, figsize=(9, 6))
axes[0, 1].plot()
for a in axes.flat:
    a.set_title("panel")
fig, (left, right) = plt.subplots(1, 2)
right.hist(x, bins=3)
plt.figure(); plt.plot(x); plt.savefig("curve.png"); plt.close("all")
def after_plots():
    return "ok"
"""


@pytest.mark.parametrize("suffix", [".ipynb", ".py"])
def test_plotting_code_runs_without_error(tmp_path, suffix):
    text = notebook("%matplotlib inline\n" + PLOTTING) if suffix == ".ipynb" else PLOTTING
    with running(tmp_path, text, suffix) as w:
        assert w.load_errors == []
        assert w.call("after_plots") == "ok"


def test_rcparams_assignment_runs(tmp_path):
    nb = notebook("import matplotlib as mpl\nimport matplotlib.pyplot as plt\n"
                  "mpl.rcParams['figure.dpi'] = 100\nplt.rcParams['figure.figsize'] = (8, 4)\n"
                  "def f():\n    return 1")
    with running(tmp_path, nb, ".ipynb") as w:
        assert w.load_errors == [] and w.call("f") == 1


def test_other_matplotlib_submodules_import(tmp_path):
    nb = notebook("import matplotlib.patches as mpatches\nfrom matplotlib.lines import Line2D\n"
                  "def f():\n    return 1")
    with running(tmp_path, nb, ".ipynb") as w:
        assert w.load_errors == [] and w.call("f") == 1


def test_ipython_display_builtin_exists(tmp_path):
    nb = notebook("import numpy as np\ndisplay(np.zeros(2))\ndef f():\n    return 1")
    with running(tmp_path, nb, ".ipynb") as w:
        assert w.load_errors == [] and w.call("f") == 1


def test_percent_on_a_continuation_line_is_python(tmp_path):
    nb = notebook("def wrap(i, n):\n    return (i\n            % n)")
    with running(tmp_path, nb, ".ipynb") as w:
        assert w.load_errors == [] and w.call("wrap", 7, 5) == 2


# ---------------------------------------------------------------- loading files

def test_a_py_that_raises_at_import_is_fatal(tmp_path):
    src = """\
    def fine():
        return 1
    raise RuntimeError("broken at import")
    def never():
        return 2
    """
    with running(tmp_path, src) as w:
        assert w.load_fatal
        assert "RuntimeError: broken at import" in w.load_errors[0]
        assert "line 3" in w.load_errors[0]


@pytest.mark.parametrize("text", ["{not json", "[]", '{"cells": [1, "x"]}', b"\xff\xfe{}"])
def test_an_unreadable_notebook_is_fatal(tmp_path, text):
    with running(tmp_path, text, ".ipynb") as w:
        assert w.load_fatal
        assert "not a valid Jupyter notebook" in w.load_errors[0]


# ---------------------------------------------------------------- calls

SERVED = """\
import numpy as np

def apply(fn, x):
    return fn(x) * 10

def try_callback(fn):
    try:
        fn()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"

def ident(obj):
    return obj

def describe(obj):
    return repr(obj)

def fit(model, fit_fn):
    return fit_fn(model, np.arange(3.0))

def bad(x):
    y = x + 1
    raise ValueError(f"no good: {y}")

def leave():
    raise SystemExit(0)

def spin():
    while True:
        pass

def die():
    import os
    os._exit(3)

def mutate(a, d):
    a[0] = 99.0
    d["k"].append(1)
    return float(a.sum())

def overflow(x):
    return np.exp(x)

def shout(msg):
    print("student says", msg)
    return len(msg)

print("printed at import")
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with running(tmp_path_factory.mktemp("served"), SERVED) as w:
        yield w


def test_results_come_back_through_the_codec(served):
    assert served.call("ident", (1, [2.5], {"a": np.float32(1)})) == (1, [2.5], {"a": 1.0})
    out = served.call("ident", np.arange(4, dtype=np.float32))
    assert out.dtype == np.float32 and np.array_equal(out, [0, 1, 2, 3])


def test_a_trusted_callback_is_called_by_student_code(served):
    assert served.call("apply", lambda v: v + 1, 4) == 50
    out = served.call("apply", lambda v: v.sum(), np.ones(3))
    assert out == 30.0


def test_a_callback_that_raises_reaches_the_student_as_the_same_builtin_error(served):
    """As in-process: the student's code sees the grader's ValueError as a ValueError."""
    def failing():
        raise ValueError("nope")
    assert served.call("try_callback", failing) == "ValueError: nope"


def test_a_callback_raising_a_non_builtin_error_reaches_the_student_as_runtime_error(served):
    class GraderError(Exception):
        pass

    def failing():
        raise GraderError("nope")
    assert served.call("try_callback", failing) == "RuntimeError: GraderError: nope"


def test_a_grader_object_passes_through_as_a_handle(served):
    class Model:
        pass
    model = Model()
    assert served.call("ident", model) is model
    assert served.call("describe", model) == "<grader object #0>"  # the worker sees a stand-in
    seen = []
    assert served.call("fit", model, lambda m, x: seen.append((m, x)) or "fitted") == "fitted"
    assert seen[0][0] is model and np.array_equal(seen[0][1], np.arange(3.0))


def test_student_exceptions_become_student_errors_with_kind_and_line(served):
    with pytest.raises(StudentError) as info:
        served.call("bad", 2)
    assert info.value.kind == "ValueError"
    line = SERVED.splitlines().index('    raise ValueError(f"no good: {y}")') + 1
    assert "no good: 3" in info.value.message and f"line {line}" in info.value.message
    with pytest.raises(StudentError) as info:
        served.call("leave")
    assert info.value.kind == "SystemExit"
    with pytest.raises(StudentError) as info:
        served.call("no_such_function")
    assert info.value.kind == "NameError"
    assert served.call("ident", 5) == 5  # the worker serves on


def test_call_echo_returns_the_arguments_as_the_call_left_them(served):
    arr, d = np.zeros(3), {"k": []}
    result, args_after, kwargs_after = served.call_echo("mutate", (arr,), {"d": d})
    assert result == 99.0
    assert np.array_equal(args_after[0], [99.0, 0.0, 0.0])
    assert kwargs_after == {"d": {"k": [1]}}
    assert np.array_equal(arr, np.zeros(3)) and d == {"k": []}  # ours are untouched
    assert served.call_echo("ident", (1,), {}, echo=False) == (1, None, None)


def test_last_warnings_capture_an_overflow(served):
    out = served.call("overflow", np.array([1000.0]))
    assert np.isinf(out[0])
    assert any("overflow" in w for w in served.last_warnings)
    served.call("overflow", np.array([1.0]))
    assert served.last_warnings == []


def test_output_returns_what_the_student_printed(served):
    served.call("shout", "hello")
    out = served.output()
    assert "printed at import" in out and "student says hello" in out


def test_a_hung_call_times_out_and_the_next_call_gets_a_fresh_worker(tmp_path):
    limits = sandbox.Limits(call_timeout=1, load_timeout=5)
    with running(tmp_path, SERVED, limits=limits) as w:
        first = w.proc.pid
        with pytest.raises(WorkerFailure) as info:
            w.call("spin")
        assert info.value.status == "timeout"
        assert w.proc is None  # killed
        assert w.call("ident", 7) == 7  # restarted on demand
        assert w.proc.pid != first


def test_os_exit_is_a_crash_and_the_worker_restarts(tmp_path):
    with running(tmp_path, SERVED) as w:
        with pytest.raises(WorkerFailure) as info:
            w.call("die")
        assert info.value.status == "crashed"
        assert "status 3" in str(info.value)
        assert w.call("ident", 8) == 8


# ---------------------------------------------------------------- isolation

PROBES = """\
import os

def exists(paths):
    return [os.path.exists(p) for p in paths]

def connect(host, port):
    import socket
    try:
        socket.create_connection((host, port), timeout=1).close()
        return "connected"
    except OSError as exc:
        return type(exc).__name__
"""


@BWRAP
def test_the_worker_cannot_see_the_project(tmp_path):
    paths = ["/work/main/reference", str(PROJECT / "reference"), str(PROJECT / "autograder"),
             str(tmp_path / "submission.py")]
    with running(tmp_path, PROBES) as w:
        assert all(Path(p).exists() for p in paths[1:])  # they exist out here
        assert w.call("exists", paths) == [False] * 4


@BWRAP
def test_the_worker_has_no_network(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass  # out here, the port answers
        with running(tmp_path, PROBES) as w:
            assert w.call("connect", "127.0.0.1", port) != "connected"
            assert w.call("connect", "1.1.1.1", 53) != "connected"


def test_an_interpreter_path_with_dotdot_still_starts(tmp_path, monkeypatch):
    """A student may run the kit as ../../.venv/bin/python; those folders are not in the sandbox."""
    import os
    import sys
    detour = [str(tmp_path)] + [".."] * (len(tmp_path.parts) - 1)  # via a folder not mounted
    monkeypatch.setattr(sys, "executable", os.path.join(*detour, sys.executable.lstrip("/")))
    assert ".." in sys.executable and os.path.exists(sys.executable)
    with running(tmp_path, "def f():\n    return 3\n") as w:
        assert w.call("f") == 3


def test_output_of_restarted_workers_is_kept_once_each(tmp_path):
    text = "print('hello')\ndef loop():\n    while True:\n        pass\ndef f():\n    return 1\n"
    with running(tmp_path, text, limits=sandbox.Limits(call_timeout=0.5, load_timeout=5)) as w:
        for _ in range(2):
            with pytest.raises(sandbox.WorkerFailure):
                w.call("loop")
            assert w.call("f") == 1
        assert w.output() == "hello\n" * 3  # three loads, each printed once


@BWRAP
def test_signals_from_student_code_reach_nothing_but_its_own_processes(tmp_path):
    """kill(0), kill(-1) and kill(parent): the sandbox's own processes share the uid, not the reach."""
    import time
    text = ("import os, signal\ndef everyone():\n"
            "    for pid in (0, -1, os.getppid(), 1):\n        try:\n"
            "            os.kill(pid, signal.SIGKILL)\n        except OSError:\n            pass\n"
            "    return 'still here'\ndef f():\n    return 1\n")
    with running(tmp_path, text) as w:
        first = w.proc.pid
        assert w.call("everyone") == "still here"
        time.sleep(0.2)  # a killed bubblewrap would take the worker down by now
        assert w.call("f") == 1 and w.proc.pid == first


# ---------------------------------------------------------------- a bounded channel

HOSTILE = """\
import sys, time
import codec   # the worker's own codec: student code can write any frame it likes

def never_read(fn, n):
    request = codec.encode({"callback": fn.index, "args": [], "kwargs": {}})
    for _ in range(n):
        codec.write_frame(int(sys.argv[2]), request)
    time.sleep(60)

def bad_frame():
    codec.write_frame(int(sys.argv[2]), b"\\x00\\x20\\x00\\x00[" + b"[]," * 2**20)  # 6 MB of junk
    time.sleep(60)

def call_forever(fn):
    while True:
        fn()

def try_callback(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
"""


def _bounded_call(worker, *args, wait: float = 20):
    """``worker.call(*args)`` in a daemon thread: (elapsed, exception), or a failure if
    it does not return within ``wait`` seconds (so a regression cannot hang the suite)."""
    out = {}

    def run():
        start = time.monotonic()
        try:
            worker.call(*args)
        except Exception as exc:  # noqa: BLE001
            out["error"] = exc
        out["elapsed"] = time.monotonic() - start
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(wait)
    assert not thread.is_alive(), f"the call still blocks after {wait} s"
    return out["elapsed"], out.get("error")


def test_a_worker_that_never_reads_a_large_callback_reply_times_out(tmp_path):
    with running(tmp_path, HOSTILE, limits=sandbox.Limits(call_timeout=1, load_timeout=5)) as w:
        elapsed, error = _bounded_call(w, "never_read", lambda: np.zeros(2**20), 3)  # 8 MB each
        assert isinstance(error, WorkerFailure) and error.status == "timeout", error
        assert elapsed < 3
        assert w.call("try_callback", lambda: 5) == 5  # a fresh worker serves on


def test_a_call_that_makes_too_many_callbacks_fails_as_a_timeout(tmp_path):
    with running(tmp_path, HOSTILE, limits=sandbox.Limits(call_timeout=30, load_timeout=5)) as w:
        elapsed, error = _bounded_call(w, "call_forever", lambda: None)
        assert isinstance(error, WorkerFailure) and error.status == "timeout", error
        assert f"more than {sandbox.MAX_CALLBACKS} callbacks" in str(error)
        assert elapsed < 10  # long before the call's 30 s


def test_a_guarded_callback_refuses_arguments_as_a_value_error_the_student_sees(tmp_path):
    ran = []
    guarded = Guarded(lambda x: ran.append(x) or x.sum(),
                      lambda args, kwargs: None if args[0].size <= 3 else "too large")
    with running(tmp_path, HOSTILE) as w:
        assert w.call("try_callback", guarded, np.ones(3)) == 3.0
        assert w.call("try_callback", guarded, np.ones(10**5)) == \
            "ValueError: <lambda>() refused its arguments: too large"
        assert len(ran) == 1  # the refused call never ran


def test_a_bad_frame_fails_the_call_with_no_exception_chain_holding_it(tmp_path):
    """Neither the WorkerFailure nor the student's CheckFailure keeps the frame alive."""
    with running(tmp_path, HOSTILE) as w:
        with pytest.raises(WorkerFailure) as info:
            w.call("bad_frame")
        assert info.value.status == "crashed" and "bad frame" in str(info.value)
        assert info.value.__context__ is None and info.value.__cause__ is None
        proxy = StudentProxy(w)
        with pytest.raises(CheckFailure) as info:
            proxy.call("bad_frame")
        assert info.value.__context__ is None and info.value.__cause__ is None


def test_the_global_rngs_are_seeded_so_grading_twice_gives_the_same_points(tmp_path):
    """The contract forbids np.random and random, but a student's code may use them."""
    text = ("import random\nimport numpy as np\n"
            "def draw():\n    return [float(x) for x in np.random.random(3)] + [random.random()]\n")
    draws = []
    for _ in range(2):
        with running(tmp_path, text) as w:
            draws.append((w.call("draw"), w.call("draw")))
    assert draws[0] == draws[1]
    assert draws[0][0] != draws[0][1]  # seeded once per load, not before every call
