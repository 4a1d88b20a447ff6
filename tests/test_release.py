"""Build, release and nbgrader, end to end.

* The committed ``source/`` notebooks are exactly what ``autograder build`` makes.
* Every source notebook runs top to bottom with the solutions in place, plots included.
* The release leaks no reference function body and no hidden input.
* The student kit checks a file with ``reference`` unimportable.
* ``nbgrader generate_assignment``, ``autograde`` and ``export`` run on a class in
  nbgrader's layout, and give every student the points ``autograder grade`` gives:
  cheats that fool a kernel (importing the solutions, a forged ``grade``, patched
  numpy) included, since nbgrader's autograde step grades in the sandbox too.
"""
from __future__ import annotations

import ast
import csv
import inspect
import json
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.preprocessors import Execute, SaveAutoGrades
from nbgrader.utils import determine_grade, is_grade, is_solution

import reference
from autograder import build, flatten, mistakes, spec  # noqa: F401  (mistakes fills MISTAKES)
from autograder.cases import MISTAKES, cases_for
from autograder.grade import grade_all, grade_submission
from autograder.nbgrader_grading import DEMO_NOTE, SandboxGrade, autograde_preprocessors
from autograder.release import release, run_nbgrader
from autograder.worker.serve import SKIP_TAG

ROOT = build.ROOT
ASSIGNMENTS = [a for a in spec.available() if (spec.ASSIGNMENTS_DIR / a / "notebook.md").is_file()]


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    """A fresh nbgrader course per assignment, each released (own gradebooks: in parallel)."""
    roots = {name: tmp_path_factory.mktemp(f"course-{name}") for name in ASSIGNMENTS}
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda name: release(name, roots[name]), ASSIGNMENTS))
    return roots


# ---------------------------------------------------------------- source notebooks

@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_is_not_stale(name):
    committed = ROOT / "source" / name / f"{name}.ipynb"
    assert committed.is_file(), f"run `autograder build {name}` and commit {committed}"
    fresh = build.notebook_text(spec.load(name))
    assert committed.read_text(encoding="utf-8") == fresh, (
        f"source/{name}/{name}.ipynb is stale: run `autograder build {name}` and commit it")


def test_stale_check_can_fail(tmp_path):
    """Editing the narrative changes the build, so a stale notebook is caught."""
    folder = tmp_path / "ps1"
    folder.mkdir()
    original = spec.load("ps1")
    for f in ("assignment.toml", "notebook.md"):
        (folder / f).write_text((original.folder / f).read_text())
    before = build.notebook_text(spec.load(folder))
    (folder / "notebook.md").write_text((folder / "notebook.md").read_text() + "\nOne more line.\n")
    assert build.notebook_text(spec.load(folder)) != before


_EXECUTE = """
import sys, nbformat, nbclient
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[3]}}).execute()
nbformat.write(nb, sys.argv[2])
"""


def _run_notebook(path: Path, out: Path) -> nbformat.NotebookNode:
    """Execute a notebook under nbclient, in its own process, and return it."""
    proc = subprocess.run([sys.executable, "-c", _EXECUTE, str(path), str(out), str(path.parent)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{path.name}: {proc.stderr[-3000:]}"
    return nbformat.read(out, as_version=4)


def test_source_notebooks_run_top_to_bottom_with_their_plots(tmp_path):
    paths = [ROOT / "source" / a / f"{a}.ipynb" for a in ASSIGNMENTS]
    with ThreadPoolExecutor(2) as pool:
        notebooks = list(pool.map(_run_notebook, paths, [tmp_path / p.name for p in paths]))
    for name, nb in zip(ASSIGNMENTS, notebooks):
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.output_type == "error"], name
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert len(images) >= 2, f"{name} produced {len(images)} plot(s)"
        texts = "".join(o.get("text", "") for o in outputs)
        assert "FAIL" not in texts, f"{name}: a check failed with the solutions in place"


# ---------------------------------------------------------------- the release

def _function_bodies() -> dict[str, str]:
    """Each graded reference function's body (after its docstring), normalised."""
    bodies = {}
    for name in flatten.CURRICULUM:
        src = textwrap.dedent(inspect.getsource(getattr(reference, name)))
        node = ast.parse(src).body[0]
        stmts = node.body[1:] if ast.get_docstring(node) is not None else node.body
        text = "\n".join(ast.unparse(s) for s in stmts)
        bodies[name] = text
    return bodies


def _released_text(folder: Path) -> str:
    """Every released file's code, normalised the same way where it parses."""
    chunks = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        chunks.append(data.decode("latin-1"))
        sources = []
        if path.suffix == ".py":
            sources = [data.decode()]
        elif path.suffix == ".ipynb":
            sources = ["".join(c["source"]) for c in json.loads(data)["cells"] if c["cell_type"] == "code"]
        for src in sources:
            try:
                tree = ast.parse(src)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    stmts = node.body[1:] if ast.get_docstring(node) is not None else node.body
                    chunks.append("\n".join(ast.unparse(s) for s in stmts))
    return "\n".join(chunks)


def test_release_contains_no_solution_and_no_hidden_case(courses):
    for name in ASSIGNMENTS:
        folder = courses[name] / "release" / name
        assert (folder / f"{name}.ipynb").is_file() and (folder / f"{name}.py").is_file()
        text = _released_text(folder)
        for fn in spec.load(name).points:
            body = _function_bodies()[fn]
            assert body not in text, f"{name}: the body of reference.{fn} is in the release"
            for case in cases_for(fn):
                if not case.hidden:
                    continue
                for value in [*case.args, *case.kwargs.values()]:
                    # arrays of 0/1 labels or constants would match anything
                    if isinstance(value, np.ndarray) and np.unique(value).size >= 3:
                        raw = value.tobytes().decode("latin-1")
                        assert raw not in text, f"{name}: hidden input of {case.id} released"
        for banned in ("problems", "mistakes", "flatten.py", "audit.py"):
            assert not (folder / "autograder" / banned).exists()


def test_leak_scan_can_fail(tmp_path):
    """The scan finds a solution body and a hidden input when they are there."""
    folder = tmp_path / "leaky"
    folder.mkdir()
    (folder / "x.py").write_text(inspect.getsource(reference.sigmoid))
    hidden = next(c for c in cases_for("sigmoid") if c.hidden)
    (folder / "data.bin").write_bytes(hidden.args[0].tobytes())
    text = _released_text(folder)
    assert _function_bodies()["sigmoid"] in text
    assert hidden.args[0].tobytes().decode("latin-1") in text


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_kit_works_without_reference(courses, tmp_path, name):
    """Every assignment, including functions whose cases all stay on the TA side."""
    folder = courses[name] / "release" / name
    good = tmp_path / "good.py"
    good.write_text(flatten.reference_source())
    code = ("import sys; sys.modules['reference'] = None; sys.path.insert(0, '.');"
            "import autograder; assert autograder.__file__.startswith(%r), autograder.__file__;"
            "from autograder.cli import main; sys.exit(main(sys.argv[1:]))" % str(folder))
    for path, want in ((good, 0), (folder / f"{name}.py", 1)):
        proc = subprocess.run([sys.executable, "-c", code, "check", name, str(path)],
                              cwd=folder, capture_output=True, text=True, timeout=300)
        assert proc.returncode == want, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert ("PASS" if want == 0 else "not implemented yet") in proc.stdout
        for fn in spec.load(name).points:  # every function has its line
            assert f"  {fn}  (" in proc.stdout, (fn, proc.stdout)


# ---------------------------------------------------------------- nbgrader end to end

def _strip_markers(src: str) -> str:
    return "\n".join(l for l in src.splitlines()
                     if l.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


#: Cheats that fool a kernel: the solutions, a forged ``grade``, numpy's comparisons.
IMPORTS_REFERENCE = "try:\n    from reference import *\nexcept ImportError:\n    pass\n"
FORGES_GRADE = """
from autograder import spec as _spec

def grade(name):  # full marks, whatever the tests say
    return _spec.load({ps!r}).points[name]
"""
PATCHES_NUMPY = """
import numpy, numpy.testing
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, *x, **k: numpy.ones(numpy.shape(a), bool)
numpy.array_equal = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.abs = numpy.absolute = lambda x, *a, **k: numpy.zeros(numpy.shape(x))
"""
#: Student code that reports, outside the sandbox, whether the solutions were importable,
#: and that gives up a function's points where they were (``LOSES_IF_FOUND``).
ESCAPES = """
try:
    import reference
    _found = "reference importable"
except ImportError:
    _found = "reference not importable"
try:
    with open({marker!r}, "a") as _fh:
        _fh.write(_found + "\\n")
except OSError:
    pass
"""

LOSES_IF_FOUND = """
if _found == "reference importable":
    del {fn}
"""


def _escape_marker(course: Path) -> Path:
    """Where the ``escapes`` student writes if any of its code runs outside the sandbox."""
    return course / "escaped.txt"


def _student_notebooks(name: str, course: Path) -> dict[str, nbformat.NotebookNode]:
    """Ten students: two honest, two partly wrong, untouched stubs, a warning, three
    cheats, and one whose demo cells and top-level code try to leave the sandbox."""
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    solution = {c.metadata["nbgrader"]["grade_id"]: _strip_markers(c.source)
                for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    released = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    stub = {c.metadata["nbgrader"]["grade_id"]: c.source
            for c in released.cells if c.metadata.get("nbgrader", {}).get("solution")}
    fns = list(spec.load(name).points)

    def filled(replace: dict[str, str], extra: str = "", base: dict = solution, demo: str = ""):
        nb = nbformat.from_dict(json.loads(json.dumps(released)))
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = replace.get(gid, base[gid]) + extra
            elif SKIP_TAG in cell.metadata.get("tags", []):
                cell.source = demo + cell.source
        return nb

    def wrong(fn, k=0):
        variants = MISTAKES.get(fn, [])
        return flatten.function_source(variants[k % len(variants)][1], fn) if variants else solution[fn]

    warn = "\nimport warnings\nwarnings.warn('a harmless warning, on stderr', UserWarning)\n"
    escape = ESCAPES.format(marker=str(_escape_marker(course)))
    return {"honest1": filled({}), "honest2": filled({}),
            "wrong1": filled({fns[0]: wrong(fns[0]), fns[-1]: wrong(fns[-1], 1)}),
            "wrong2": filled({f: wrong(f, 2) for f in fns[1::2]}),
            "stubs": released,
            "warns": filled({}, warn),
            "imports_reference": filled({f: IMPORTS_REFERENCE for f in fns}),
            "forges_grade": filled({fns[0]: solution[fns[0]] + FORGES_GRADE.format(ps=name)},
                                   base=stub),
            "patches_numpy": filled({fns[0]: PATCHES_NUMPY + wrong(fns[0])},
                                    base={f: wrong(f) for f in fns}),
            "escapes": filled({fns[0]: escape + solution[fns[0]]
                               + LOSES_IF_FOUND.format(fn=fns[0])}, demo=escape)}


def _autograde_and_export(name: str, course: Path) -> dict[str, float]:
    """nbgrader's points per student for ``name``."""
    for student, nb in _student_notebooks(name, course).items():
        target = course / "submitted" / student / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
    proc = run_nbgrader(["autograde", name, "--force"], course)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    proc = run_nbgrader(["export", f"--to={course / 'grades.csv'}"], course)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = csv.DictReader((course / "grades.csv").read_text().splitlines())
    return {r["student_id"]: float(r["score"]) for r in rows if r["assignment"] == name}


def test_nbgrader_autograde_agrees_with_autograder_grade(courses):
    with ThreadPoolExecutor(2) as pool:
        theirs = dict(zip(ASSIGNMENTS, pool.map(_autograde_and_export, ASSIGNMENTS,
                                                [courses[a] for a in ASSIGNMENTS])))
    for name in ASSIGNMENTS:
        assignment, course = spec.load(name), courses[name]
        subs = [(s.name, s / name / f"{name}.ipynb") for s in sorted((course / "submitted").iterdir())]
        ours = {r.student: r.points for r in grade_all(subs, assignment, jobs=2)}
        assert ours["honest1"] == assignment.max_points, name
        assert ours["stubs"] == 0
        assert ours["wrong1"] < assignment.max_points and ours["wrong2"] < assignment.max_points
        # the cheats earn what they implemented
        assert ours["imports_reference"] == 0
        assert ours["forges_grade"] == assignment.points[next(iter(assignment.points))]
        assert ours["patches_numpy"] < assignment.max_points
        # `import reference` failed where the student's code ran, and that was nowhere else
        assert ours["escapes"] == assignment.max_points
        marker = _escape_marker(course)
        assert not marker.exists(), f"{name}: code ran outside the sandbox: {marker.read_text()}"
        for student, points in ours.items():
            assert theirs[name][student] == pytest.approx(points, abs=1e-3), (name, student)


def _test_cells(nb: nbformat.NotebookNode) -> dict[str, float]:
    """The points nbgrader's ``SaveAutoGrades`` records for each test cell of ``nb``."""
    return {c.metadata.nbgrader.grade_id: determine_grade(c)[0]
            for c in nb.cells if is_grade(c) and not is_solution(c)}


def test_sandbox_grade_writes_the_engines_points_where_nbgrader_reads_them(tmp_path):
    """Each test cell scores what the engine gives; demo cells get a note and run nowhere."""
    nb = nbformat.read(ROOT / "source" / "ps1" / "ps1.ipynb", as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    slip = next(m.fn for m in MISTAKES["sigmoid"] if "float32" in m.message)
    cells["sigmoid"].source = flatten.function_source(slip, "sigmoid")  # partial credit
    cells["relu"].source = "1 / 0  # a load error: relu stays undefined\n"
    cells["test_relu_grad"].outputs = [nbformat.v4.new_output(  # a forged full score
        "execute_result", data={"text/plain": "1.0"}, execution_count=1)]
    cells["test_tanh_grad"].metadata.nbgrader.grade_id = "test_something_else"
    path = tmp_path / "ps1.ipynb"
    nbformat.write(nb, path)
    expected = {f"test_{p.name}": p.points
                for p in grade_submission(path, spec.load("ps1")).problems}
    del expected["test_tanh_grad"]
    expected["test_something_else"] = 0.0  # no function of ps1: scored 0, for a TA to grade
    resources = {"nbgrader": {"assignment": "ps1", "student": "s", "notebook": "ps1"}}
    SandboxGrade().preprocess(nb, resources)
    assert _test_cells(nb) == pytest.approx(expected)
    assert 0 < expected["test_sigmoid"] < 2 and expected["test_relu"] == 0
    assert expected["test_relu_grad"] == 1  # a right answer still scores in full
    for cell in nb.cells:
        demo = SKIP_TAG in cell.metadata.get("tags", [])
        graded = is_grade(cell) and not is_solution(cell)
        if cell.cell_type == "code" and not graded:
            assert [o.get("text") for o in cell.outputs] == ([DEMO_NOTE] if demo else [])
    feedback = {gid[5:]: "".join(o.get("text", "") for o in cells[gid].outputs)
                for gid in expected if gid in cells}
    assert f"sigmoid: {expected['test_sigmoid']:g} / 2 points" in feedback["sigmoid"]
    # the load error is told once, in the first test cell
    assert [f for f, text in feedback.items() if "ZeroDivisionError" in text] == ["sigmoid"]


def test_nbgrader_autograde_runs_sandbox_grade_in_place_of_execute():
    steps = autograde_preprocessors()
    assert SandboxGrade in steps and Execute not in steps
    assert steps.index(SandboxGrade) < steps.index(SaveAutoGrades)
