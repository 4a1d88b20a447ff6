"""Loading a submission in the sandbox worker: its cells or statements, one by one.

Part of the untrusted side (see :mod:`serve`): it imports only the standard
library and numpy.  :func:`load` runs a ``.py`` file statement by statement or a
notebook cell by cell, reporting each start through ``progress`` (the grader
budgets each), keeps going past errors, runs only the definitions of the cells
named in ``definitions_only``, and stubs plotting and seeds the global random
generators first.
"""
from __future__ import annotations

import ast
import importlib.abc
import importlib.util
import json
import os
import re
import sys
import traceback
import types
from typing import NamedTuple

if __package__:  # imported by the grader; else by serve.py, as a script in the sandbox
    from . import codec
else:
    import codec

SKIP_TAG = "autograder-skip"
_MAGIC = re.compile(r"^\s*[%!]")
_SHELL_ASSIGN = re.compile(r"^\s*[\w, ]+=\s*!")
_TIMED = re.compile(r"^(\s*)%(?:time|timeit)\s+(.*)$")  # %time stmt
_NEWLINE = re.compile(r"\r\n|\r|\n")  # what ends a line of Python source


class Unit(NamedTuple):
    """One unit of loading: a notebook cell, or a ``.py``'s top-level statements on one line."""

    key: int     # the cell's index in the notebook, or the statement's first line number
    label: str   # the file name its tracebacks show: "cell 7", or the .py's name
    code: object  # its source (a notebook cell) or its statements (an ast.Module)
    first: str   # its first line, for the TA


def notebook_cells(path: str) -> list[Unit]:
    """Return a :class:`Unit` for each runnable code cell of a notebook.

    Test cells (nbgrader ``grade`` cells that are not also solution cells) and
    demo cells (tagged ``autograder-skip``) are skipped; IPython magics and shell
    lines are stripped.
    """
    with open(path, encoding="utf-8") as fh:
        nb = json.load(fh)
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            continue
        if SKIP_TAG in cell.get("metadata", {}).get("tags", []):
            continue  # a demo cell: data, experiments, plots
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        lines = src.splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            if not lines[0].lstrip().startswith(("%%time", "%%capture")):
                continue  # %%bash, %%writefile...: not Python
            lines = lines[1:]
        src = strip_magics("\n".join(lines))
        first = next((line for line in src.splitlines() if line.strip()), "")
        cells.append(Unit(i, f"cell {i}", src, first))
    return cells


def file_units(path: str) -> list[Unit]:
    """Return the top-level statements of a ``.py`` as :class:`Unit` s, one per line.

    A file that does not parse is one unit, whose run reports the error.
    """
    with open(path, encoding="utf-8", errors="replace") as fh:
        src = fh.read()
    label = os.path.basename(path)
    try:
        body = ast.parse(src, label).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [Unit(1, label, src, src.split("\n", 1)[0])]
    lines, units = _NEWLINE.split(src), []  # numbered as Python numbers them
    for stmt in body:
        if units and stmt.lineno == units[-1].key:  # "a = 1; b = 2": one unit
            units[-1].code.body.append(stmt)
        else:
            units.append(Unit(stmt.lineno, label, ast.Module([stmt], []), lines[stmt.lineno - 1]))
    return units


def definitions(tree: ast.Module) -> tuple[ast.Module, list[str]]:
    """Split a cell into its definitions and the global names the rest would set.

    Definitions are ``def``, ``class``, imports, and assignments of literal values
    to plain names (``EPS = 1e-8``); loops, calls and other statements are dropped.
    A definition is kept whole: its decorators, default values and class body run.
    """
    kept, unset = [], []
    for stmt in tree.body:
        if _is_definition(stmt):
            kept.append(stmt)
        else:
            unset += _bound_names(stmt)
    return ast.Module(kept, []), unset


def _is_definition(stmt: ast.stmt) -> bool:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                         ast.Import, ast.ImportFrom)):
        return True
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets = [stmt.target]
    else:
        return False
    try:
        ast.literal_eval(stmt.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return all(_plain_target(t) for t in targets)


def _plain_target(node: ast.expr) -> bool:
    """A name, or a tuple or list of them: what a literal assignment may bind."""
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_plain_target(e) for e in node.elts)
    return isinstance(node, ast.Name)


_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _bound_names(node: ast.AST) -> list[str]:
    """The global names a statement binds, not looking inside nested scopes."""
    names = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(child.name)
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.append(child.id)
        elif isinstance(child, ast.alias):
            names.append((child.asname or child.name).split(".")[0])
        elif not isinstance(child, _SCOPES):
            names += _bound_names(child)
    return names


def strip_magics(src: str) -> str:
    """Remove IPython line magics and shell lines from a cell's source.

    A cell that already compiles is left alone (a ``% n`` continuation line is
    Python); otherwise ``%time stmt`` keeps ``stmt`` and other magic or shell
    lines are dropped.
    """
    try:
        compile(src, "<cell>", "exec")
        return src
    except SyntaxError:
        pass
    keep = []
    for line in src.splitlines():
        timed = _TIMED.match(line)
        if timed:  # indent the statement as the code around it needs
            prev = next((k for k in reversed(keep) if k.strip()), "")
            indent = len(prev) - len(prev.lstrip()) + (4 if prev.rstrip().endswith(":") else 0)
            keep.append(" " * indent + timed.group(2))
        elif not (_MAGIC.match(line) or _SHELL_ASSIGN.match(line)):
            keep.append(line)
    return "\n".join(keep)


class Loaded(NamedTuple):
    """What loading a submission gives.

    ``unset`` maps each global that only the skipped part of a definitions-only
    cell would have set to that cell's key.
    """

    ns: dict
    errors: list
    fatal: bool
    unset: dict


def load(path: str, stub_plots: bool = True, definitions_only=frozenset(),
         progress=None) -> Loaded:
    """Execute a submission, unit by unit (see :class:`Unit`).

    A ``.py`` file stops at its first error, as an import would: that is fatal,
    unless a unit before it ran definitions-only (the error may well follow from
    that).  A notebook runs every cell, like "Run All" with errors allowed; only an
    unreadable notebook is fatal.  Units whose key is in ``definitions_only`` run
    only their :func:`definitions`; ``progress(unit)`` is called as each starts.
    """
    ns = {"__name__": "submission", "__file__": path, "__builtins__": __builtins__}
    sys.modules["submission"] = types.ModuleType("submission")
    _seed_global_rngs()
    if stub_plots:
        _stub_plotting()
    if path.endswith(".ipynb"):
        # what an IPython kernel provides without an import
        ns["display"] = ns["get_ipython"] = _Absorb()
        try:
            units, keep_going = notebook_cells(path), True
        except (ValueError, UnicodeDecodeError, AttributeError, TypeError, RecursionError,
                MemoryError) as exc:
            error = f"not a valid Jupyter notebook ({type(exc).__name__}: {exc})"[:300]
            return Loaded(ns, [error], True, {})
    else:
        units, keep_going = file_units(path), False
    errors, unset = [], {}
    ns["__labels__"] = {unit.label for unit in units}
    for unit in units:
        if progress is not None:
            progress(unit)
        try:
            code = unit.code
            if unit.key in definitions_only:
                tree = code if isinstance(code, ast.Module) else ast.parse(code, unit.label)
                code, names = definitions(tree)
                unset.update(dict.fromkeys(names, unit.key))
                keep_going = True
            exec(compile(code, unit.label, "exec"), ns)
        except BaseException as exc:  # noqa: BLE001  SystemExit and KeyboardInterrupt too
            errors.append(_describe(exc, unit.label))
            if not keep_going:
                return Loaded(ns, errors, True, {})
    return Loaded(ns, errors, False, {n: k for n, k in unset.items() if n not in ns})


class _Absorb:
    """A do-nothing stand-in for plotting objects: every use returns itself."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __getitem__(self, key):
        return self

    def __setitem__(self, key, value):
        pass

    def __iter__(self):
        return iter(())


def _subplots(nrows=1, ncols=1, *args, **kwargs):
    import numpy as np
    if nrows == 1 and ncols == 1:
        return _Absorb(), _Absorb()
    axes = np.empty((nrows, ncols), dtype=object)
    for idx in np.ndindex(axes.shape):
        axes[idx] = _Absorb()
    return _Absorb(), axes.squeeze()


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports every ``matplotlib``, ``mpl_toolkits`` and ``IPython`` module as a
    no-op stand-in: plots cost time and show nothing in the sandbox."""

    ROOTS = ("matplotlib", "mpl_toolkits", "IPython")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.ROOTS:
            return importlib.util.spec_from_loader(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module):
        module.__path__ = []
        module.__getattr__ = _Absorb().__getattr__
        if module.__name__ == "matplotlib.pyplot":
            module.subplots = _subplots


def _seed_global_rngs() -> None:
    """Seed numpy's and Python's global RNGs, which the contract forbids but students use:
    then grading the same file twice gives the same points, even for such code."""
    import random

    import numpy as np
    random.seed(0)
    np.random.seed(0)


def _stub_plotting():
    """Make plotting and the notebook checks no-ops inside the sandbox."""
    for name in list(sys.modules):
        if name.split(".")[0] in _StubFinder.ROOTS:
            del sys.modules[name]
    sys.meta_path.insert(0, _StubFinder())
    # A notebook's setup cell imports the checks; here they are no-ops.
    for name in ("autograder", "autograder.notebook"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["autograder"].notebook = sys.modules["autograder.notebook"]
    sys.modules["autograder.notebook"].check = sys.modules["autograder.notebook"].grade = \
        lambda *args, **kwargs: None


def _describe(exc: BaseException, where: str) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    line = next((f" (line {fr.lineno})" for fr in reversed(tb) if fr.filename == where), "")
    kind, message = _error(exc)
    return codec.clean(f"{where}{line}: {kind}: {message}", 500)


def _error(exc: BaseException) -> list[str]:
    """``[type name, message]`` of a student's exception, both bounded and printable."""
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001  a __str__ that raises
        message = "(the exception's message could not be read)"
    return [codec.clean(type(exc).__name__, 100), codec.clean(message, 500)]
