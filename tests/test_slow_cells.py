"""Slow cells while loading: each cell has its own time budget, and one past it keeps
only its definitions, so a student's long experiment never decides the grade.

Budgets here are small (a cell 1 s, the whole load 8 s) to keep the tests quick.
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_worker import notebook, running

from autograder import cli, flatten, sandbox, spec
from autograder.checks import CheckFailure
from autograder.grade import grade_submission, limits_for
from autograder.plugin import StudentProxy, slow_note
from autograder.sandbox import WorkerFailure
from autograder.worker import serve

CELL = 1.0
LIMITS = sandbox.Limits(call_timeout=3, cell_timeout=CELL, load_timeout=8)
ACT = {"sigmoid": 2.0, "relu": 1.0, "tanh_grad": 1.0}
GOOD = flatten.reference_source()
#: A student's own experiment: it trains for 40 s, longer than the whole load budget.
TRAIN = ("for epoch in range(400):\n    if epoch % 100 == 0:\n        print('training', epoch)\n"
         "    time.sleep(0.1)\nhistory = [0.5, 0.25]")
#: A cell that sends the grader progress frames of its own, with keys that keep rising.
FORGER = ("import sys, time, codec\nkey = 1000\nwhile True:\n"
          "    codec.write_frame(int(sys.argv[2]), codec.encode({'cell': key, 'line': 'x'}))\n"
          "    key += 1\n    time.sleep(0.3)")


@pytest.fixture(scope="module")
def act(tmp_path_factory):
    return spec.Assignment("slow", "slow", dict(ACT), tmp_path_factory.mktemp("spec"))


#: Grades a file in a process of its own, killed if it hangs (a grader that let student
#: code extend its budget would otherwise hang the test): prints the result as JSON.
BOUNDED = """\
import json, sys
from pathlib import Path
from autograder import sandbox, spec
from autograder.grade import grade_submission
path, points = sys.argv[1], json.loads(sys.argv[2])
limits = sandbox.Limits(call_timeout=2, cell_timeout=1, load_timeout=3)
result = grade_submission(path, spec.Assignment("slow", "slow", points, Path(path).parent),
                          limits=limits)
print(json.dumps(result.to_dict()))
"""


def _grade_bounded(path: Path, wall: float) -> dict:
    """Grade ``path`` for :data:`ACT` with a 1 s cell budget and 3 s in all, in a
    process killed after ``wall`` seconds; return the result's ``to_dict()``."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-c", BOUNDED, str(path), json.dumps(ACT)],
                         capture_output=True, text=True, timeout=wall, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- grading

def test_a_slow_cell_costs_its_budget_once_and_no_points(act, tmp_path):
    fast = _write(tmp_path, "fast.ipynb", notebook("import time", GOOD, "print('plotted')"))
    slow = _write(tmp_path, "slow.ipynb", notebook("import time", GOOD, TRAIN, "print('plotted')"))
    base = grade_submission(fast, act, limits=LIMITS)
    r = grade_submission(slow, act, limits=LIMITS)
    assert (r.status, r.points) == ("graded", 4), r.message
    assert r.message == ("cell 2 (`for epoch in range(400):`) ran longer than 1 s, so only its "
                         "definitions were kept; nothing else you wrote there affects your grade")
    assert "cell 2 ran longer than 1 s and ran definitions-only: for epoch in range(400):" in r.log
    # The hidden cases' restarted worker runs the cell definitions-only: it trains once.
    assert (r.output + r.log).count("training 0") == 1 and "plotted" in r.output
    assert r.seconds < base.seconds + CELL + 1.5, (base.seconds, r.seconds)


def test_a_notebook_of_only_slow_cells_times_out_within_the_whole_budget(tmp_path):
    spin = "while True:\n    pass"
    nb = _write(tmp_path, "spin.ipynb", notebook(GOOD, spin, spin, spin))
    r = _grade_bounded(nb, wall=20)
    assert (r["status"], r["points"]) == ("timeout", 0) and r["seconds"] < 3 + 3
    # How far it gets depends on the machine's speed: at least past cell 1.
    assert re.fullmatch(r"loading took longer than 3 s in all; cell 1(, cell 2)? ran longer "
                        r"than 1 s( each)?(; cell [0-3] was still running)?", r["message"])


def test_check_and_grade_take_the_budgets_from_the_assignment_and_the_command_line(
        tmp_path, capsys):
    asg = tmp_path / "asg"
    asg.mkdir()
    (asg / "assignment.toml").write_text(
        "[points]\nsigmoid = 2\nrelu = 1\n[grading]\ncell_timeout = 1.5\nload_timeout = 10\n")
    subs = tmp_path / "subs"
    subs.mkdir()
    nb = _write(subs, "ada.ipynb", notebook("import time", GOOD, TRAIN))
    assert cli.main(["check", str(asg), str(nb), "--timeout", "3"]) == 0
    out = capsys.readouterr().out
    assert "PASS  sigmoid" in out and "PASS  relu" in out
    assert "Note: cell 2 (`for epoch in range(400):`) ran longer than 1.5 s, so only its " \
           "definitions were kept" in out
    assert cli.main(["grade", str(asg), str(subs), "--out", str(tmp_path / "out"), "--jobs", "1",
                     "--timeout", "3", "--cell-timeout", "1"]) == 0
    row = json.loads((tmp_path / "out" / "ta" / "results.jsonl").read_text().splitlines()[0])
    assert row["points"] == 3
    assert row["message"].startswith("cell 2 (`for epoch in range(400):`) ran longer than 1 s")


# ---------------------------------------------------------------- the worker

def test_a_cell_that_defines_then_trains_keeps_its_definitions(tmp_path):
    cell = ("import numpy as np\nEPS = 1e-8\nLR: float = 0.5\nSHAPE = (2, -3)\n"
            "def step(w):\n    return w - LR * w + EPS\nclass Model:\n    pass\n"
            "w = step(1.0)\nSHAPE = tuple(np.zeros(2))\n" + TRAIN)
    nb = notebook("import time", cell, "def shape():\n    return list(SHAPE)")
    with running(tmp_path, nb, ".ipynb", LIMITS) as w:
        assert w.slow_cells == {1: "import numpy as np"} and w.load_errors == []
        assert w.call("step", 1.0) == 0.5 + 1e-8
        assert w.call("shape") == [2, -3]  # the literal, not the loop's work
        assert {"Model", "step"} <= set(w.defined)
        assert w.unset == {"w": 1, "epoch": 1}  # history = [...] is a literal: kept
        assert w.output().count("training 0") == 1  # the restart did not train again


def test_an_endless_loop_after_the_definitions_keeps_them(tmp_path):
    nb = notebook("def f(x):\n    return x + EPS\nEPS = 1e-8\nrelu = lambda z: z\n"
                  "while True:\n    pass", "def g():\n    return f(1.0)")
    with running(tmp_path, nb, ".ipynb", LIMITS) as w:
        assert w.slow_cells == {0: "def f(x):"} and w.load_errors == []
        assert w.call("g") == 1.0 + 1e-8
        with pytest.raises(CheckFailure) as info:  # not a definition: dropped
            StudentProxy(w).call("relu", 1.0)
        assert info.value.message == (
            "your submission does not define a function named relu; only cell 0 sets relu, "
            "and cell 0 ran longer than 1 s, so only its definitions were kept")
        w.close_process()
        w.start()  # a restart runs the known slow cell definitions-only, at once
        assert w.slow_cells == {0: "def f(x):"} and w.call("g") == 1.0 + 1e-8


def test_a_py_with_a_slow_top_level_statement(tmp_path):
    text = ("import time\ndef train():\n    time.sleep(40)\n    return 3.0\n"
            "def f(x):\n    return 2 * x\n"
            "weights = train()  # slow\n"
            "print(weights)\n"
            "def g(x):\n    return weights * x\n")
    with running(tmp_path, text, ".py", LIMITS) as w:
        assert w.slow_cells == {7: "weights = train()  # slow"} and w.unset == {"weights": 7}
        # The error that follows from the skip is reported, and loading goes on.
        assert not w.load_fatal and w.load_errors == [
            "submission.py (line 8): NameError: name 'weights' is not defined"]
        assert w.call("f", 2) == 4
        assert slow_note(w, 7) == ("the statement at line 7 ran longer than 1 s, so it was "
                                   "skipped; nothing it computes affects your grade")
        with pytest.raises(CheckFailure) as info:
            StudentProxy(w).call("g", 1.0)
        assert info.value.message.endswith(
            "NameError: name 'weights' is not defined (submission.py, line 10); only line 7 "
            "sets weights, and line 7 ran longer than 1 s, so only its definitions were kept")


def test_a_cell_slow_even_with_only_its_definitions_times_out(tmp_path):
    nb = notebook("class Slow:\n    while True:\n        pass", "def f():\n    return 1")
    with pytest.raises(WorkerFailure) as info:
        with running(tmp_path, nb, ".ipynb", LIMITS):
            pass
    assert info.value.status == "timeout"
    assert str(info.value) == "cell 0 ran longer than 1 s even with only its definitions"


def test_restarts_together_load_for_at_most_a_few_whole_budgets(tmp_path):
    """Each call that times out restarts the worker, which loads again: a submission
    with a slow-but-under-budget cell and many hung functions must not grade forever."""
    limits = sandbox.Limits(call_timeout=3, cell_timeout=1.5, load_timeout=1.5)
    nb = notebook("import time\ntime.sleep(0.8)", "def f():\n    return 1")
    with running(tmp_path, nb, ".ipynb", limits) as w:
        starts = 1
        while True:
            w.close_process()
            try:
                w.start()
            except WorkerFailure as exc:
                assert exc.status == "timeout" and str(exc).endswith("so it was not loaded again")
                break
            starts += 1
            assert starts < 10
        assert 3 <= starts <= sandbox.LOAD_BUDGETS * 1.5 / 0.8 + 1
        assert w.load_seconds <= sandbox.LOAD_BUDGETS * 1.5 + 1.5  # the last start is cut short


@pytest.mark.parametrize("stmt, kept", [
    ("def f():\n    pass", True), ("class C:\n    pass", True), ("import numpy as np", True),
    ("from math import pi", True), ("EPS = 1e-8", True), ("A, [B, C] = 1, (2, -3.5)", True),
    ("N: int = -3", True), ("NAMES = {'a': [1, 2], 'b': None}", True), ("X = Y = 'z'", True),
    ("w = f()", False), ("w = np.zeros(3)", False), ("w = 2 * 3", False), ("w = EPS", False),
    ("for i in range(3):\n    pass", False), ("while True:\n    pass", False),
    ("print(1)", False), ("w += 1", False), ("obj.attr = 1", False), ("d['k'] = 1", False),
    ("w: int", False), ("if True:\n    def f():\n        pass", False),
    ("try:\n    import scipy\nexcept ImportError:\n    pass", False),
])
def test_definitions_are_defs_classes_imports_and_literal_assignments(stmt, kept):
    module, unset = serve.definitions(ast.parse(stmt))
    assert bool(module.body) == kept and not (kept and unset)


def test_the_names_a_dropped_statement_would_set():
    cell = ("for i, (a, b) in enumerate(pairs):\n    w = step(w)\n    def inner():\n"
            "        local = 1\n    import os.path as osp\n"
            "costs = [x * x for x in range(3)]\nplot = lambda z: (q := z)\n"
            "with open('f') as fh:\n    text: str = fh.read()")
    assert serve.definitions(ast.parse(cell))[1] == [
        "i", "a", "b", "w", "inner", "osp", "costs", "plot", "fh", "text"]


# ---------------------------------------------------------------- forged progress

def test_forged_progress_frames_cannot_extend_the_whole_budget(tmp_path):
    nb = _write(tmp_path, "forger.ipynb", notebook(GOOD, FORGER))
    r = _grade_bounded(nb, wall=20)
    assert (r["status"], r["points"]) == ("timeout", 0) and r["seconds"] < 3 + 3
    assert r["message"].startswith("loading took longer than 3 s in all")


@pytest.mark.parametrize("frame", [
    "{'cell': 0, 'line': 'x'}",            # a key that does not rise
    "{'cell': 10**8, 'line': 'x'}",        # beyond any notebook
    "{'cell': '7', 'line': 'x'}",          # not an int
    "{'cell': 5, 'line': ['x']}",          # not a line of text
    "{'cell': True, 'line': 'x'}",
])
def test_a_malformed_progress_frame_is_a_crash(tmp_path, frame):
    forge = f"import sys, codec\ncodec.write_frame(int(sys.argv[2]), codec.encode({frame}))"
    nb = notebook("x = 1", "y = 2", forge, "import time\ntime.sleep(30)")
    with pytest.raises(WorkerFailure) as info:
        with running(tmp_path, nb, ".ipynb", LIMITS):
            pass
    assert info.value.status == "crashed"
    assert str(info.value) == "the worker sent a bad progress frame while loading"


def test_a_forged_unset_name_is_ignored(tmp_path):
    """The greeting may name only globals of the cells the grader itself found slow."""
    forge = ("import sys, codec\ncodec.write_frame(int(sys.argv[2]), codec.encode("
             "{'ready': ['f'], 'errors': [], 'fatal': False, 'unset': [['f', 0], ['g', 1]]}))\n"
             "import time\ntime.sleep(30)")
    with running(tmp_path, notebook("def f():\n    return 1", forge), ".ipynb", LIMITS) as w:
        assert w.unset == {} and w.slow_cells == {}


# ---------------------------------------------------------------- the assignment's budgets

def _spec(tmp_path: Path, grading: str) -> spec.Assignment:
    (tmp_path / "assignment.toml").write_text(f"{grading}[points]\nsigmoid = 1\n")
    return spec.load(tmp_path)


@pytest.mark.parametrize("grading, error", [
    ("[grading]\ncell_timeout = 0\n", "cell_timeout must be a positive number of seconds, got 0"),
    ("[grading]\ncell_timeout = -1\n", "got -1"),
    ("[grading]\nload_timeout = nan\n", "load_timeout must be a positive number"),
    ("[grading]\nload_timeout = inf\n", "load_timeout must be a positive number"),
    ("[grading]\ncell_timeout = '20'\n", "got '20'"),
    ("[grading]\ncell_timeout = true\n", "got True"),
    ("[grading]\ncall_timeout = 3\n", "unknown key 'call_timeout' in [grading]; choose from "
                                      "cell_timeout, load_timeout, robustness"),
    ("grading = 3\n", "[grading] must be a table, got 3"),
    ("[grading]\ncell_timeout = 30\nload_timeout = 20\n",
     "cell_timeout (30) must not exceed load_timeout (20)"),
])
def test_a_bad_grading_table_is_a_clear_error(tmp_path, grading, error):
    with pytest.raises(spec.SpecError) as info:
        _spec(tmp_path, grading)
    assert error in str(info.value) and "\n" not in str(info.value)


def test_budgets_come_from_the_command_line_then_the_assignment_then_the_defaults(tmp_path):
    asg = _spec(tmp_path, "[grading]\ncell_timeout = 5\nload_timeout = 50\n")
    assert asg.timeouts == {"cell_timeout": 5.0, "load_timeout": 50.0}
    limits = limits_for(asg, call_timeout=4, cell_timeout=None, load_timeout=60)
    assert (limits.call_timeout, limits.cell_timeout, limits.load_timeout) == (4, 5, 60)
    plain = limits_for(_spec(tmp_path, ""))
    assert (plain.cell_timeout, plain.load_timeout) == (20, 120)


@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_a_future_import_covers_the_statements_after_it(tmp_path, suffix):
    """Each statement (or cell) is compiled on its own: a ``from __future__`` import
    must still hold for all the code after it (it does, since the worker's own compile
    flags, postponed annotations included, are inherited)."""
    parts = ["from __future__ import annotations",
             "def f(m: Model) -> Model:\n    return 2",     # Model comes later
             "class Model:\n    pass"]
    text = notebook(*parts) if suffix == ".ipynb" else "\n".join(parts) + "\n"
    with running(tmp_path, text, suffix, LIMITS) as w:
        assert w.load_errors == [] and w.call("f", 1) == 2
