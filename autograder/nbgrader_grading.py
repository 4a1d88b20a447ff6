"""nbgrader's autograde step, graded by the sandboxed engine: :class:`SandboxGrade`.

``nbgrader autograde`` normally runs the submitted notebook in a Jupyter kernel
of the course's own environment (nbgrader's ``Execute``), then reads each test
cell's outputs (``SaveAutoGrades``).  Student code in that kernel can import
the solutions, redefine ``grade`` or patch numpy, and a cell's outputs are
whatever it printed.

:class:`SandboxGrade` takes ``Execute``'s place (``nbgrader_config.py`` puts it
there, with :func:`autograde_preprocessors`).  It grades the notebook exactly as
``autograder grade`` does, with :func:`grade.grade_submission` in the sandbox,
and writes each test cell's outputs itself: the feedback, then an
``execute_result`` whose value is the points (nbgrader's partial credit).  No
cell runs in a kernel: student code runs only in the sandbox, where ``reference``
is not importable, so both paths give every notebook the same points.
Demo cells are not run; each gets a note saying so.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Float

from . import sandbox, spec
from .build import test_grade_id
from .feedback import clean, problem_summary
from .grade import grade_submission
from .results import ProblemResult, SubmissionResult
from .worker.serve import SKIP_TAG

DEMO_NOTE = ("Not run at grading: demo cells run only in your own Jupyter session. "
             "Your functions were graded in a sandbox.\n")


class SandboxGrade(NbGraderPreprocessor):
    """Grade a notebook in the sandbox and write the points into its test cells.

    Configured as ``c.SandboxGrade.<trait>`` in ``nbgrader_config.py``; the
    other limits are :class:`sandbox.Limits`' defaults, as for ``autograder grade``.
    """

    call_timeout = Float(sandbox.Limits.call_timeout, help=(
        "Wall-clock seconds one call of a student's function may take.")).tag(config=True)
    load_timeout = Float(sandbox.Limits.load_timeout, help=(
        "Wall-clock seconds loading a notebook (its top-level code) may take.")).tag(config=True)

    def preprocess(self, nb, resources):
        """Grade ``nb``, the notebook ``resources["nbgrader"]`` names, and fill its outputs."""
        info = resources["nbgrader"]
        limits = sandbox.Limits(call_timeout=self.call_timeout, load_timeout=self.load_timeout)
        result = grade_notebook(nb, spec.load(info["assignment"]), info["student"],
                                info["notebook"], limits)
        write_outputs(nb, result)
        return nb, resources


def grade_notebook(nb: nbformat.NotebookNode, assignment: spec.Assignment, student: str,
                   name: str, limits: sandbox.Limits = sandbox.Limits()) -> SubmissionResult:
    """Grade ``nb`` exactly as ``autograder grade`` grades the file ``<name>.ipynb``.

    Parameters
    ----------
    nb : NotebookNode
        The submitted notebook, as nbgrader hands it over (its test cells
        already restored from the source).
    assignment : Assignment
    student : str
        The student's id, for the result.
    name : str
        The notebook's name, without ``.ipynb``.
    limits : Limits
        Timeouts and rlimits of the sandbox.

    Returns
    -------
    SubmissionResult
        Never raises for anything the notebook does (see :func:`grade.grade_submission`).
    """
    with tempfile.TemporaryDirectory(prefix="autograde-") as tmp:
        path = Path(tmp) / f"{name}.ipynb"
        nbformat.write(nb, path)
        return grade_submission(path, assignment, student=student, limits=limits)


def write_outputs(nb: nbformat.NotebookNode, result: SubmissionResult) -> None:
    """Give each test cell its feedback and points, and each demo cell a note.

    The first test cell also says why the submission was not graded in full
    (``result.message``), if it says anything.  A test cell whose ``grade_id``
    names no graded function gets an error output, which nbgrader scores 0
    (a test cell with no output would score full marks).
    """
    problems = {test_grade_id(p.name): p for p in result.problems}
    note = result.message if result.status == "graded" else f"{result.status}: {result.message}"
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if is_grade(cell) and not is_solution(cell):
            gid = cell.metadata["nbgrader"].get("grade_id", "")
            cell.outputs = (_graded(problems[gid], cell, note) if gid in problems
                            else [_unknown(gid)])
            note = ""
        elif SKIP_TAG in cell.metadata.get("tags", []):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=DEMO_NOTE)]


def _graded(problem: ProblemResult, cell, note: str) -> list:
    """The feedback (stdout) and the points (an ``execute_result``) of one test cell."""
    text = problem_summary(problem) + (f"\n{note}" if note else "")
    points = min(problem.points, float(cell.metadata["nbgrader"].get("points", 0)))
    return [nbformat.v4.new_output("stream", name="stdout", text=clean(text, newlines=True) + "\n"),
            nbformat.v4.new_output("execute_result", data={"text/plain": repr(points)},
                                   execution_count=None)]


def _unknown(gid: str):
    """An error output for a test cell the engine does not grade."""
    return nbformat.v4.new_output(
        "error", ename="NotGraded", traceback=[],
        evalue=f"test cell {gid!r} names no function of this assignment; grade it by hand")


def autograde_preprocessors() -> list:
    """nbgrader's autograde preprocessors, with :class:`SandboxGrade` in ``Execute``'s place."""
    default = list(Autograde.class_traits()["autograde_preprocessors"].default())
    if Execute not in default:
        raise RuntimeError("this nbgrader's autograde step has no Execute to replace; "
                           "check autograde_preprocessors in nbgrader_config.py")
    return [SandboxGrade if p is Execute else p for p in default]
