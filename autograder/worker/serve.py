"""The sandbox worker: loads one submission, then serves calls.

Runs as ``python -I -S serve.py IN_FD OUT_FD [SITE_DIR ...]`` inside the sandbox,
as an untrusted process.  Nothing here is secret: the worker never sees reference code,
expected values or the comparison.  It imports only the standard library, numpy
and the codec beside it.

Protocol (frames of :mod:`codec`), grader -> worker:

* ``{"load": file, "definitions_only": [keys]}`` once: the submission, in the
  working directory (the worker may be started before its submission is known),
  and the cells to run with only their definitions (see :func:`definitions`)
* ``{"call": name, "args": [...], "kwargs": {...}, "echo": bool[, "standins": [names]]}``;
  with echo, the reply also carries the arguments as the call left them; each
  name in ``standins`` is rebound, for this call only, to a :class:`StandIn` that
  asks the grader (see :func:`standing_in`)
* ``{"reaches": name, "graded": [names]}``: which of ``graded`` the function
  ``name`` calls (see :func:`reaches`)
* ``{"return": value[, "rngs": [generators]]}`` / ``{"raise": [type name, message]}``:
  the answer to a callback or a stand-in; a built-in exception type is raised as
  itself, so the student's code sees what it would see in-process; ``rngs`` are
  the stand-in's generator arguments as its call left them

worker -> grader:

* ``{"cell": key, "line": first line}`` while loading, as each cell starts: a
  notebook cell's key is its index, a ``.py`` statement's its first line
  number; keys only increase.  The grader gives each cell its own time budget
  and the whole load another; a cell past its budget gets the worker killed and
  restarted with that cell's key in ``definitions_only``.
* ``{"ready": [names of callables], "errors": [load errors], "fatal": bool,
  "unset": [[name, key], ...]}`` once, after loading; ``unset`` names the globals
  that only the skipped part of a definitions-only cell would have set
* ``{"result": value[, "after": [args, kwargs]][, "warnings": [...]]}`` or ``{"error": [type, message]}`` per call
* ``{"callback": i, "args": [...], "kwargs": {...}}`` while a call runs
* ``{"standin": name, "args": [...], "kwargs": {...}}`` while a call runs: a stand-in
  asks the grader for the reference's ``name`` on these arguments
* ``{"reaches": [names]}`` per ``reaches`` request
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import importlib.abc
import importlib.util
import json
import os
import re
import signal
import sys
import traceback
import types
import warnings
from typing import NamedTuple

if __package__:          # imported by the grader (in-process worker, build)
    from . import codec
else:                    # run as a script inside the sandbox, without site:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.extend(sys.argv[3:])  # where numpy lives
    import codec  # noqa: E402  (stdlib + numpy only)
import numpy as np  # (found through the path above, in the sandbox)

SKIP_TAG = "autograder-skip"
MAX_ERRORS = 20  # load errors reported (a notebook keeps going past each)
MAX_UNSET = 200  # globals reported as left unset by definitions-only cells
MAX_CODES = 1000  # code objects :func:`reaches` walks (a function, its helpers, nested code)
_MAGIC = re.compile(r"^\s*[%!]")
_SHELL_ASSIGN = re.compile(r"^\s*[\w, ]+=\s*!")
_TIMED = re.compile(r"^(\s*)%(?:time|timeit)\s+(.*)$")  # %time stmt
_NEWLINE = re.compile(r"\r\n|\r|\n")  # what ends a line of Python source


# ---------------------------------------------------------------- loading

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
        except BaseException as exc:  # SystemExit and KeyboardInterrupt too
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


# ---------------------------------------------------------------- serving

class Server:
    """Serve calls on ``fd_in``/``fd_out`` against a loaded namespace."""

    def __init__(self, ns: dict, fd_in: int, fd_out: int):
        self.ns, self.fd_in, self.fd_out = ns, fd_in, fd_out
        self.pid = os.getpid()

    def send(self, message) -> None:
        if os.getpid() != self.pid:
            os._exit(0)  # a forked child of student code must not answer
        try:
            payload = codec.encode(message)
        except Exception as exc:  # e.g. a result whose encoding overflowed
            payload = codec.encode({"error": ["EncodeError", str(exc)[:300]]})
        codec.write_frame(self.fd_out, payload)

    def receive(self):
        return codec.decode(codec.read_frame(self.fd_in), callback_caller=self.callback)

    def callback(self, index, args, kwargs):
        self.send({"callback": index, "args": list(args), "kwargs": dict(kwargs)})
        return answer(self.receive(), args, kwargs)

    def stand_in(self, name, args, kwargs):
        """Ask the grader for the reference's ``name`` on these arguments (see :class:`StandIn`)."""
        self.send({"standin": name, "args": list(args), "kwargs": dict(kwargs)})
        return answer(self.receive(), args, kwargs)

    def serve_forever(self) -> None:
        while True:
            try:
                request = self.receive()
            except EOFError:
                return
            self.send(self.handle(request))

    def handle(self, request) -> dict:
        if "reaches" in request:
            return {"reaches": reaches(self.ns, request["reaches"], request.get("graded", ()))}
        name = request.get("call")
        fn = self.ns.get(name)
        if not callable(fn):
            return {"error": ["NameError", f"the submission defines no function {name!r}"]}
        args, kwargs = request.get("args", []), request.get("kwargs", {})
        try:
            with warnings.catch_warnings(record=True) as caught, \
                    standing_in(self.ns, request.get("standins", ()), self.stand_in):
                warnings.simplefilter("always")
                reply = {"result": fn(*args, **kwargs)}
            if caught:  # e.g. "overflow encountered in exp": a check may forbid it
                reply["warnings"] = [codec.clean(w.message, 200) for w in caught[:5]]
            if request.get("echo"):  # the arguments as the call left them: a purity check
                reply["after"] = [args, kwargs]
            return reply
        except BaseException as exc:  # the student's exception, whatever it is
            labels = self.ns.get("__labels__", ())
            tb = traceback.extract_tb(exc.__traceback__)
            where = next((f" ({fr.filename}, line {fr.lineno})" for fr in reversed(tb)
                          if fr.filename in labels), "")
            kind, message = _error(exc)
            return {"error": [kind, message + where]}


# ---------------------------------------------------------------- stand-ins

def answer(reply: dict, args, kwargs):
    """The value of the grader's reply to a callback or a stand-in; raise what it says to raise.

    A stand-in's reply also carries its generator arguments as the reference's call
    left them: their states are copied into the caller's, so the draws advance as a
    real call's would.
    """
    if "raise" in reply:
        kind, message = (list(reply["raise"]) + ["", ""])[:2]
        error = getattr(builtins, str(kind), None)
        if not (isinstance(error, type) and issubclass(error, Exception)):
            error, message = RuntimeError, f"{kind}: {message}"
        raise error(message)
    for mine, after in zip(generators([args, kwargs]), reply.get("rngs", ())):
        if isinstance(after, np.random.Generator):
            mine.bit_generator.state = after.bit_generator.state
    return reply["return"]


def leaves(value, depth: int = 0):
    """The values inside ``value``'s lists, tuples and dict values (to the codec's depth),
    in order: both sides walk a stand-in's arguments alike."""
    if depth < codec.MAX_DEPTH and isinstance(value, (list, tuple, dict)):
        for item in (value.values() if isinstance(value, dict) else value):
            yield from leaves(item, depth + 1)
    else:
        yield value


def generators(value) -> list:
    """The ``numpy.random.Generator`` s among ``value``'s :func:`leaves`."""
    return [leaf for leaf in leaves(value) if isinstance(leaf, np.random.Generator)]


class StandIn:
    """Stands in a submission's namespace, during one call, for one of its graded functions.

    Calling it asks the grader for the reference's result (``ask(name, args,
    kwargs)``).  After its call it refuses; the grader, which alone holds the
    reference, refuses too, whatever the student's code does to this object.
    """

    def __init__(self, name: str, ask):
        self.__name__ = self.__qualname__ = name
        self._ask, self.live = ask, True

    def __call__(self, *args, **kwargs):
        if not self.live:
            raise RuntimeError(f"the grader's stand-in for {self.__name__}() works only "
                               "inside the call it was given to")
        return self._ask(self.__name__, args, kwargs)


@contextlib.contextmanager
def standing_in(ns: dict, names, ask):
    """Rebind each of ``names`` that ``ns`` defines to a :class:`StandIn` while the block
    runs; restore the student's own functions afterwards, also when the block raises."""
    saved = {name: ns[name] for name in names if type(name) is str and name in ns}
    stubs = [StandIn(name, ask) for name in saved]
    ns.update((stub.__name__, stub) for stub in stubs)
    try:
        yield
    finally:
        ns.update(saved)
        for stub in stubs:
            stub.live = False


def reaches(ns: dict, name: str, graded) -> list[str]:
    """The functions among ``graded`` that ``ns[name]`` calls by their global names.

    Walks the global names (``co_names``) of the function's code, of the code nested
    in it, and of the submission's other functions it calls (helpers), transitively;
    graded functions end the walk, since a stand-in replaces each whole.
    """
    graded = {g for g in graded if type(g) is str} if isinstance(graded, (list, tuple)) else set()
    found, seen = set(), set()
    todo = [getattr(ns.get(name), "__code__", None)]
    while todo and len(seen) < MAX_CODES:
        code = todo.pop()
        if not isinstance(code, types.CodeType) or code in seen:
            continue
        seen.add(code)
        todo += [const for const in code.co_consts if isinstance(const, types.CodeType)]
        for used in code.co_names:
            fn = ns.get(used)
            if used in graded and used != name and callable(fn):
                found.add(used)
            elif isinstance(fn, types.FunctionType) and fn.__globals__ is ns:
                todo.append(fn.__code__)
    return sorted(found)


def defined_functions(ns: dict) -> list[str]:
    """The functions a loaded submission defines that may be graded: its callables
    whose names do not start with an underscore, sorted."""
    return sorted(k for k, v in ns.items() if callable(v) and not k.startswith("_"))


def main(argv: list[str]) -> None:
    fd_in, fd_out = int(argv[1]), int(argv[2])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a full output file fails writes, not us
    try:  # started ahead of time: wait to be told which file to load
        request = codec.decode(codec.read_frame(fd_in))
    except EOFError:
        return
    server = Server({}, fd_in, fd_out)
    loaded = load(str(request["load"]), definitions_only=set(request["definitions_only"]),
                  progress=lambda unit: server.send({"cell": unit.key, "line": unit.first[:200]}))
    server.ns = loaded.ns
    server.send({"ready": [n[:100] for n in defined_functions(loaded.ns)[:1000]],
                 "errors": loaded.errors[:MAX_ERRORS],
                 "fatal": loaded.fatal,
                 "unset": [[n[:100], k] for n, k in sorted(loaded.unset.items())[:MAX_UNSET]]})
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
