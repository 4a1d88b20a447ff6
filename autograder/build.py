"""``autograder build``: generate nbgrader source notebooks from the assignments.

``assignments/<ps>/notebook.md`` holds the narrative; ``reference/`` holds the
solutions.  The build writes ``source/<ps>/<ps>.ipynb``:

* Markdown becomes markdown cells (a line ``---`` splits cells);
* ``<!-- exercise: FUNCTION -->`` becomes an exercise cell, whose solution region
  (between nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION``) is the
  reference function's own code, and a locked test cell worth the function's
  points: public checks first, every check inside ``### BEGIN HIDDEN TESTS``;
* a ```` ```python ```` block becomes a setup cell, which the grader's sandbox runs;
* a ```` ```python demo ```` block becomes a demo cell (data, experiments, plots),
  tagged so that ``autograder grade`` skips it.

Solution code is therefore written once, in ``reference/``.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap
from pathlib import Path

import nbformat

import reference

from . import flatten, spec
from .worker.serve import SKIP_TAG  # cell tag: the grader's worker does not run this cell

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "source"

_FENCE = re.compile(r"^```python( demo)?\s*$")
_EXERCISE = re.compile(r"^<!--\s*exercise:\s*(\w+)\s*-->\s*$")


class BuildError(spec.SpecError):
    """A narrative that does not fit its assignment."""


# ---------------------------------------------------------------- solution code

def _private_definitions(module_src: str) -> dict[str, ast.stmt]:
    """Module-level private definitions (``_name``) of a module's source."""
    found = {}
    for node in ast.parse(module_src).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.startswith("_"):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id.startswith("_"):
                    found[t.id] = node
    return found


def _privates(own: str) -> dict[str, tuple[str, ast.stmt]]:
    """Private helpers by name, ``own`` module first, then the other topic modules."""
    table = {}
    for module in [own, *(m for m in reference.TOPICS if m != own)]:
        src = inspect.getsource(importlib.import_module(f"reference.{module}"))
        for name, node in _private_definitions(src).items():
            table.setdefault(name, (src, node))
    return table


def _module_imports(module_src: str) -> list[tuple[str, set[str]]]:
    """Absolute imports of a module other than numpy: (source line, names bound)."""
    found = []
    for node in ast.parse(module_src).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
            names = {(a.asname or a.name).split(".")[0] for a in node.names}
            if names - {"np", "annotations"}:
                found.append((ast.get_source_segment(module_src, node), names))
    return found


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _drop_relative_imports(src: str) -> str:
    """Remove ``from .x import y`` statements: in a notebook, y is already defined."""
    lines = src.splitlines()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            for k in range(node.lineno - 1, node.end_lineno):
                lines[k] = None
    return "\n".join(line for line in lines if line is not None)


def solution_parts(name: str) -> tuple[str, str, str]:
    """Split the reference function ``name`` into (signature line, docstring, body).

    The body is the function's code after its docstring, preceded by the
    imports and private helpers (from any topic module) it uses, all dedented
    to column 0.  Relative imports are dropped: the notebook defines those names.
    """
    fn = getattr(reference, name)
    module = inspect.getmodule(fn)
    src = textwrap.dedent(inspect.getsource(fn))
    lines = src.splitlines()
    node = ast.parse(src).body[0]
    first = node.body[1] if ast.get_docstring(node) is not None else node.body[0]
    body = _drop_relative_imports(textwrap.dedent("\n".join(lines[first.lineno - 1:node.end_lineno])))
    privates = _privates(module.__name__.rsplit(".", 1)[1])
    needed, todo = [], [n for n in _names_used(node) if n in privates]
    while todo:
        helper = todo.pop()
        if helper in needed:
            continue
        needed.append(helper)
        todo += [n for n in _names_used(privates[helper][1]) if n in privates]
    rank = {src: i for i, src in enumerate(dict.fromkeys(v[0] for v in privates.values()))}
    needed.sort(key=lambda h: (rank[privates[h][0]], privates[h][1].lineno))  # stable output
    helpers = [_drop_relative_imports(ast.get_source_segment(*privates[h])) for h in needed]
    used = _names_used(node).union(*(_names_used(privates[h][1]) for h in needed))
    imports = {line for m in {privates[h][0] for h in needed} | {inspect.getsource(module)}
               for line, names in _module_imports(m) if names & used}
    if helpers:
        body = "\n\n".join(helpers) + "\n\n" + body
    if imports:
        body = "\n".join(sorted(imports)) + "\n\n" + body
    signature = f"def {name}{inspect.signature(fn)}:"
    return signature, inspect.getdoc(fn) or "", body


def exercise_source(name: str) -> str:
    """The exercise cell: signature, docstring, and the solution region."""
    signature, doc, body = solution_parts(name)
    return (f"{signature}\n{textwrap.indent(chr(34) * 3 + doc + chr(10) + chr(34) * 3, '    ')}\n"
            f"    ### BEGIN SOLUTION\n{textwrap.indent(body, '    ')}\n    ### END SOLUTION\n")


def test_grade_id(name: str) -> str:
    """The nbgrader ``grade_id`` of the test cell of function ``name``."""
    return f"test_{name}"


def test_source(name: str) -> str:
    """The locked test cell: public checks, then every check (hidden from students)."""
    return (f'check("{name}")  # the public tests: what passed, what failed and why\n'
            f"### BEGIN HIDDEN TESTS\n"
            f'grade("{name}")  # every test; the points earned\n'
            f"### END HIDDEN TESTS\n")


def setup_source() -> str:
    """The first code cell: the checks and the provided input-check helpers."""
    return ("# Provided: the checks, and helpers to validate inputs at the boundary.\n"
            "from autograder.notebook import check, grade\n\n"
            + flatten.module_source("_validate").replace("pass  # (import removed)\n", ""))


# ---------------------------------------------------------------- the notebook

def _meta(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked,
            "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def parse_narrative(text: str) -> list[tuple[str, str]]:
    """Split a narrative into ``(kind, text)`` items: markdown, setup, demo, exercise."""
    items, buf, kind = [], [], "markdown"

    def flush():
        body = "\n".join(buf).strip("\n")
        if body.strip():
            items.append((kind, body))
        buf.clear()

    for line in text.splitlines():
        if kind == "markdown":
            fence, ex = _FENCE.match(line), _EXERCISE.match(line)
            if fence:
                flush()
                kind = "demo" if fence.group(1) else "setup"
            elif ex:
                flush()
                items.append(("exercise", ex.group(1)))
            elif line.strip() == "---":
                flush()
            else:
                buf.append(line)
        elif line.strip() == "```":
            flush()
            kind = "markdown"
        else:
            buf.append(line)
    if kind != "markdown":
        raise BuildError("a ```python block is not closed")
    flush()
    return items


def build_notebook(assignment: spec.Assignment) -> nbformat.NotebookNode:
    """The nbgrader source notebook of ``assignment``."""
    path = assignment.folder / "notebook.md"
    if not path.is_file():
        raise BuildError(f"{path} is missing: write the assignment's narrative there")
    items = parse_narrative(path.read_text(encoding="utf-8"))
    exercises = [text for kind, text in items if kind == "exercise"]
    missing = [f for f in assignment.points if f not in exercises]
    extra = [f for f in exercises if f not in assignment.points]
    dupes = sorted({f for f in exercises if exercises.count(f) > 1})
    if missing or extra or dupes:
        raise BuildError(f"{path}: exercises must match [points] exactly; missing {missing}, "
                         f"not graded {extra}, repeated {dupes}")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"},
                   "language_info": {"name": "python"}}
    cells = []
    for kind, text in items:
        if kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "setup":
            cells.append(nbformat.v4.new_code_cell(text))
        elif kind == "demo":
            cells.append(nbformat.v4.new_code_cell(text, metadata={"tags": [SKIP_TAG]}))
        else:
            cells.append(nbformat.v4.new_code_cell(
                exercise_source(text), metadata=_meta(text, solution=True)))
            cells.append(nbformat.v4.new_code_cell(
                test_source(text), metadata=_meta(test_grade_id(text), grade=True, locked=True,
                                                  points=assignment.points[text])))
    setup = nbformat.v4.new_code_cell(setup_source(), metadata=_meta("setup", locked=True))
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    cells.insert(first_code, setup)
    nb.cells = cells
    for cell in nb.cells:  # stable ids, so a rebuild of the same input is byte-identical
        cell.pop("id", None)
    nb.nbformat, nb.nbformat_minor = 4, 4
    return nb


def notebook_text(assignment: spec.Assignment) -> str:
    """The source notebook, serialised exactly as it is written to disk."""
    return nbformat.writes(build_notebook(assignment)) + "\n"


def build(name: str, out: Path = SOURCE_DIR) -> Path:
    """Write ``out/<ps>/<ps>.ipynb`` for assignment ``name``; return its path."""
    assignment = spec.load(name)
    target = out / assignment.name / f"{assignment.name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(notebook_text(assignment), encoding="utf-8")
    return target


if __name__ == "__main__":  # python -m autograder.build ps1 ...
    for arg in sys.argv[1:] or spec.available():
        print(build(arg))
