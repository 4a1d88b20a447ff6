"""The workers' interface and life cycle: one protocol for the sandboxed, in-process
and notebook workers, spare processes owned by the grader, one listing of a
submission's graded functions, and the package's derived topic lists."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import reference
from autograder import grade, notebook, sandbox, spec, workers
from autograder.lifecycle import SparePool
from autograder.worker import serve

LIMITS = sandbox.Limits(call_timeout=2, load_timeout=5)
PROJECT = Path(__file__).resolve().parent.parent


def _file(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- one protocol

def test_every_worker_implements_the_protocol(tmp_path):
    path = _file(tmp_path, "a.py", "def f():\n    return 1\n")
    every = [sandbox.Worker(path, LIMITS), workers.InProcessWorker(path),
             workers.InProcessWorker("notebook.ipynb", namespace={"f": lambda: 1})]
    assert all(isinstance(w, workers.Worker) for w in every)
    assert [w.running for w in every] == [False, False, True]  # a namespace is loaded already


def test_a_worker_that_leaves_out_part_of_the_protocol_cannot_be_made():
    class Partial(workers.InProcessWorker):
        output = workers.Worker.output  # the protocol's abstract method, not an implementation
    with pytest.raises(TypeError, match="output"):
        Partial("a.py")


def test_an_in_process_worker_serves_again_after_it_stops(tmp_path):
    w = workers.InProcessWorker(_file(tmp_path, "a.py", "def f(x):\n    return x + 1\n"))
    w.start()
    w.close_process()
    assert not w.running and w.call("f", 1) == 2 and w.running


# ---------------------------------------------------------------- the graded functions

def test_a_submission_lists_its_public_callables_only():
    ns = {"f": len, "_helper": len, "np": os, "x": 1, "Model": type("Model", (), {})}
    assert serve.defined_functions(ns) == ["Model", "f"]


def test_the_notebook_checks_list_the_functions_as_the_sandbox_does():
    ns = {"sigmoid": len, "_sigmoid": len, "x": 1}
    worker = workers.InProcessWorker("notebook.ipynb", namespace=ns)
    assert worker.defined == serve.defined_functions(ns) == ["sigmoid"]


def test_the_notebook_checks_do_not_import_pytest():
    code = ("import sys, autograder.notebook; "
            "print(sorted(m for m in sys.modules if m.partition('.')[0] in ('pytest', '_pytest')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(PROJECT)}, check=True)
    assert out.stdout.strip() == "[]"


def test_the_notebook_checks_grade_a_namespace():
    ns = {"sigmoid": reference.sigmoid}
    result = notebook.run("sigmoid", ns, hidden=False)
    assert result.checks and all(c.passed for c in result.checks)


# ---------------------------------------------------------------- spare processes

def test_a_spare_serves_the_next_start_and_the_pool_stops_it(tmp_path):
    first = _file(tmp_path, "a.py", "def f():\n    return 'a'\n")
    second = _file(tmp_path, "b.py", "def f():\n    return 'b'\n")
    pool = SparePool()
    a, b = sandbox.Worker(first, LIMITS, spares=pool), sandbox.Worker(second, LIMITS, spares=pool)
    try:
        a.start()
        assert len(pool) == 1
        waiting = pool._spares[LIMITS].proc
        b.start()  # the next submission adopts it
        assert b.proc is waiting and b.call("f") == "b" and a.call("f") == "a"
        again = pool._spares[LIMITS].proc
        a.close_process()
        a.start()  # a restart (the hidden phase's) adopts the next one
        assert a.proc is again and a.call("f") == "a"
        last = pool._spares[LIMITS].proc
    finally:
        a.close()
        b.close()
        pool.close()
    assert len(pool) == 0 and all(p.poll() is not None for p in (waiting, again, last))


def test_grading_a_class_inline_leaves_no_spare_behind(tmp_path):
    assignment = spec.Assignment("t", "t", {"sigmoid": 1.0}, tmp_path)
    subs = [(s, _file(tmp_path, f"{s}.py", "def sigmoid(z):\n    return 0 * z\n"))
            for s in ("ann", "bob")]
    results = grade.grade_all(subs, assignment, jobs=1, limits=LIMITS)
    assert [r.status for r in results] == ["graded", "graded"]
    assert len(grade.SPARES) == 0
