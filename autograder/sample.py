"""A sample class for the demo: honest, mistaken, broken and malicious submissions.

Generated, deterministically, from the reference (flattened), the library of
known mistakes and a few hostile snippets, so it always matches the current
assignment specs.
"""
from __future__ import annotations

import ast
import collections
import functools
import json
from pathlib import Path

import numpy as np

import reference

from . import build, flatten, mistakes, notebook, release  # noqa: F401  (mistakes: registers the variants)
from .cases import CORRECT, MISTAKES
from .classreport import calls
from .diagnosis import Mistake
from .spec import Assignment

HOSTILE = {
    "hangs_at_import": "while True:\n    pass\n",
    "exits_at_import": "import sys\nsys.exit('bye')\n",
}
HOSTILE_AFTER = {
    "forks_forever": "def {fn}(*args, **kwargs):\n    import os\n    while True:\n"
                     "        try:\n            os.fork()\n        except OSError:\n            pass\n",
    "patches_numpy": "import numpy, numpy.testing\nnumpy.allclose = lambda *a, **k: True\n"
                     "numpy.testing.assert_allclose = lambda *a, **k: None\n"
                     "def {fn}(*args, **kwargs):\n    return 0.0\n",
    "reads_reference": "def {fn}(*args, **kwargs):\n    import reference\n"
                       "    return getattr(reference, '{fn}')(*args, **kwargs)\n",
}


def to_notebook(source: str) -> str:
    """Wrap Python source into a minimal notebook, one cell per top-level block."""
    blocks, current = [], []
    for line in source.splitlines(keepends=True):
        if line.startswith(("def ", "class ", "@")) and current and not current[-1].startswith("@"):
            blocks.append("".join(current))
            current = []
        current.append(line)
    blocks.append("".join(current))
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": b} for b in blocks if b.strip()]
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# My solutions"}, *cells],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1)


def planted(assignment: Assignment, seed: int = 0) -> dict[str, dict[str, Mistake]]:
    """The known mistakes that :func:`make_class` plants: ``{student: {function: mistake}}``.

    Student ``mistaken_k`` (k = 0..9) gets ``1 + k % 3`` of them, in distinct functions
    none of which calls another (:func:`classreport.calls`), so that each is the only
    wrong function on its call path and the class report can count it; and only
    mistakes that the batteries name (:func:`named`), so that it does.
    """
    rng = np.random.default_rng(seed)
    fns = list(assignment.points)
    deps = calls(fns)
    wrong = [(fn, m) for fn in fns for m in MISTAKES.get(fn, [])]
    plants = {}
    for k in range(10):
        chosen: dict[str, Mistake] = {}
        for i in rng.permutation(len(wrong)):
            fn, m = wrong[i]
            if len(chosen) < 1 + k % 3 and not any(
                    fn == other or fn in deps[other] or other in deps[fn] for other in chosen) \
                    and named(fn, m.message):
                chosen[fn] = m
        plants[f"mistaken_{k:02d}"] = chosen
    return plants


@functools.lru_cache(maxsize=None)
def named(fn: str, message: str) -> bool:
    """Whether the batteries name the known mistake ``message`` of ``fn`` when it is a
    submission's only wrong function: it is the most frequent diagnosis of ``fn``'s
    failed cases, as the class report counts (run in process: trusted code)."""
    variant = next(m.fn for m in MISTAKES[fn] if m.message == message)
    namespace = {name: getattr(reference, name) for name in reference.__all__}
    namespace[fn] = variant
    said = [c.diagnosis for c in notebook.run(fn, namespace, hidden=True).checks
            if not c.passed and c.diagnosis]
    return bool(said) and collections.Counter(said).most_common(1)[0][0] == message


def make_class(assignment: Assignment, folder: Path, seed: int = 0) -> list[Path]:
    """Write at least 20 submissions for ``assignment`` into ``folder``: the mistaken
    ones carry the mistakes of :func:`planted` (same ``seed``)."""
    folder.mkdir(parents=True, exist_ok=True)
    fns = list(assignment.points)
    ref = flatten.reference_source()
    files: dict[str, str] = {"correct_alice.py": ref, "correct_bob.py": ref}
    variants = [(fn, v) for fn in fns for v in CORRECT.get(fn, [])]
    files["correct_carol.py"] = ref + "".join(
        f"\n\n{flatten.function_source(v, fn)}\n" for fn, v in variants[:6])
    files["correct_dave.ipynb"] = to_notebook(ref)
    for k, (student, chosen) in enumerate(planted(assignment, seed).items()):
        body = ref + "".join(f"\n\n{flatten.function_source(m.fn, fn)}\n"
                             for fn, m in chosen.items())
        name = student + (".ipynb" if k % 4 == 3 else ".py")
        files[name] = to_notebook(body) if name.endswith(".ipynb") else body
    files["broken_syntax.py"] = ref + "\ndef oops(:\n    pass\n"
    files["broken_missing_function.py"] = ref + f"\ndel {fns[0]}\n"
    files["broken_untouched_stubs.py"] = flatten.stub_source(fns, assignment.title)
    files["broken_notebook.ipynb"] = '{"cells": [ {"cell_type": "code", "source": '
    for name, code in HOSTILE.items():
        files[f"malicious_{name}.py"] = code + ref
    for name, code in HOSTILE_AFTER.items():
        files[f"malicious_{name}.py"] = ref + "\n" + code.format(fn=fns[-1])
    paths = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# ---------------------------------------------------------------- a class for the similarity check

_MIRROR = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


class _Rewrite(ast.NodeTransformer):
    """Rewrites that keep a function's meaning and change its tokens, each at random:
    operands of ``+`` and ``*`` swapped, comparisons mirrored, a returned expression
    named first.  Honest students write the same mathematics in such different ways."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, (ast.Add, ast.Mult)) and self.rng.random() < 0.5 and not any(
                isinstance(side, (ast.Constant, ast.JoinedStr)) and isinstance(
                    getattr(side, "value", None), str) for side in (node.left, node.right)):
            node.left, node.right = node.right, node.left
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        op = type(node.ops[0]) if len(node.ops) == 1 else None
        if op in _MIRROR and self.rng.random() < 0.5:
            return ast.Compare(node.comparators[0], [_MIRROR[op]()], [node.left])
        return node

    def visit_Return(self, node):
        self.generic_visit(node)
        if node.value is not None and not isinstance(node.value, ast.Name) \
                and self.rng.random() < 0.5:
            name = str(self.rng.choice(["out", "result", "res", "value", "ans"]))
            return [ast.Assign([ast.Name(name, ast.Store())], node.value, lineno=0),
                    ast.Return(ast.Name(name, ast.Load()))]
        return node


def _honest_function(options: list[str], rng: np.random.Generator) -> str:
    """One honest student's version of a function: one of its ``options`` (the
    reference's exercise, or a correct variant), rewritten at random (:class:`_Rewrite`)."""
    tree = ast.parse(options[rng.integers(len(options))])
    return ast.unparse(ast.fix_missing_locations(_Rewrite(rng).visit(tree)))


#: Statements of a student's own exploration, filled with numbers of their choosing.
_EXPLORE = [
    "z = np.linspace(-{a}, {a}, {n})",
    "X_try = np.random.default_rng({n}).standard_normal(({n}, {k}))",
    "print('max:', np.round(np.max(np.abs(z)), {k}))",
    "for step in range({n}):\n    z = z * {f} + {a}",
    "scores = [round(float(v), {k}) for v in z[:{n}]]",
    "if len(z) > {n}:\n    print('long', len(z) - {k})",
    "lr_grid = [{f}, {f} / {a}, {f} * {k}]",
    "X_try = X_try[X_try[:, 0] > {f}]",
    "history = {{'lr': {f}, 'epochs': {n}, 'batch': {k}}}",
]


def _exploration(rng: np.random.Generator) -> str:
    """A student's own scratch code: a few statements of :data:`_EXPLORE`, own numbers."""
    picks = rng.choice(len(_EXPLORE), size=6)
    return "\n".join(_EXPLORE[i].format(a=int(rng.integers(1, 50)), n=int(rng.integers(2, 500)),
                                         k=int(rng.integers(2, 9)),
                                         f=round(float(rng.uniform(0.001, 2)), 3))
                     for i in picks) + "\n"


def _disguised(source: str, rng: np.random.Generator) -> str:
    """A copy of ``source`` as a student might disguise it: every name of its own
    renamed, its functions in another order, its comments changed."""
    tree = ast.parse(source)
    own = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    own |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
            for a in n.args + n.kwonlyargs}
    rename = {name: f"{name}_{rng.integers(100)}x" for name in own}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in rename:
            node.id = rename[node.id]
        elif isinstance(node, (ast.arg, ast.keyword)) and node.arg in rename:
            node.arg = rename[node.arg]
    defs = [k for k, n in enumerate(tree.body) if isinstance(n, ast.FunctionDef)]
    functions = [tree.body[k] for k in defs]
    for k, j in zip(defs, rng.permutation(len(defs))):
        tree.body[k] = functions[j]
    blocks = [ast.unparse(node) for node in tree.body]
    return "\n\n".join(f"# step {rng.integers(1000)}: my own work\n{b}" for b in blocks) + "\n"


def similarity_class(assignment: Assignment, folder: Path, n: int = 40, copies: int = 3,
                     seed: int = 0) -> list[tuple[str, str]]:
    """Write ``n`` submissions into ``folder``: ``n - copies`` honest ones, each
    function written its own way (:func:`_honest_function`), and ``copies`` that
    disguise an honest one (:func:`_disguised`).  Every one keeps the provided
    setup code and docstrings, as students who fill in the released notebook do,
    and ends with some exploration of its own (:func:`_exploration`).

    Returns
    -------
    list of (str, str)
        The planted pairs: (original, copy) student ids.
    """
    rng = np.random.default_rng(seed)
    options = {fn: [build.exercise_source(fn)] + [flatten.function_source(v, fn)
                                                  for v in CORRECT.get(fn, [])]
               for fn in assignment.points}
    folder.mkdir(parents=True, exist_ok=True)
    setup = release.setup_code(assignment)
    sources = {}
    for k in range(n - copies):
        fns = [_honest_function(options[fn], rng) for fn in assignment.points]
        sources[f"student_{k:03d}"] = (setup + "\n\n" + "\n\n\n".join(fns) + "\n\n"
                                       + _exploration(rng))
    pairs = []
    for k, original in enumerate(rng.choice(sorted(sources), size=copies, replace=False)):
        sources[f"copier_{k:03d}"] = _disguised(sources[original], rng)
        pairs.append((str(original), f"copier_{k:03d}"))
    for k, (student, text) in enumerate(sources.items()):
        as_notebook = k % 5 == 4
        (folder / f"{student}{'.ipynb' if as_notebook else '.py'}").write_text(
            to_notebook(text) if as_notebook else text, encoding="utf-8")
    return pairs
