"""Turn ``reference/`` into one self-contained student-style ``.py`` file.

The sample class, the audit of the batteries and the release all need the
solutions as a student would hand them in: one file, numpy only, no package.
Relative imports are replaced by ``pass``; every module's code is kept as is,
so solution code is still written once, in ``reference/``.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import reference

#: Modules in the order they are concatenated (helpers first).
MODULES = ["_validate", *reference.TOPICS]
CURRICULUM = [name for names in reference.TOPICS.values() for name in names]


def _strip_relative_imports(source: str) -> str:
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.level > 0 or node.module == "__future__"):
            indent = lines[node.lineno - 1][: node.col_offset]
            lines[node.lineno - 1] = indent + "pass  # (import removed)"
            for k in range(node.lineno, node.end_lineno):
                lines[k] = ""
    return "\n".join(lines)


def module_source(module: str) -> str:
    """The source of ``reference/<module>.py`` with its relative imports removed."""
    path = Path(reference.__file__).parent / f"{module}.py"
    return _strip_relative_imports(path.read_text(encoding="utf-8"))


def reference_source() -> str:
    """Every reference topic module, flattened into one importable file."""
    parts = ["# The reference solutions, flattened into one file.", "import types as _types"]
    parts += [f"# ---- {m}\n" + module_source(m) for m in MODULES]
    # ``ref`` holds the correct functions, for wrong variants that call others.
    names = ", ".join(f"{n}={n}" for n in CURRICULUM)
    parts.append(f"ref = _types.SimpleNamespace({names})")
    return "\n\n".join(parts) + "\n"


def function_source(fn, name: str | None = None) -> str:
    """The source of ``fn`` without decorators, renamed to ``name``."""
    src = textwrap.dedent(inspect.getsource(fn))
    tree = ast.parse(src)
    node = tree.body[0]
    node.decorator_list = []
    if name:
        node.name = name
    return ast.unparse(node)


def submission_with(problem: str, fn) -> str:
    """A full correct submission in which ``problem`` is replaced by ``fn``."""
    return reference_source() + f"\n\n# ---- the variant under test\n{function_source(fn, problem)}\n"


def stub_source(functions: list[str], title: str = "") -> str:
    """A student stub module: each function's signature and docstring, then
    ``raise NotImplementedError``.  No solution code."""
    parts = [f'"""{title or "Exercises"}: implement every function below."""',
             "import numpy as np"]
    for name in functions:
        fn = getattr(reference, name)
        sig = inspect.signature(fn)
        doc = textwrap.indent(f'"""{inspect.getdoc(fn)}\n"""', "    ")
        parts.append(f"def {name}{sig}:\n{doc}\n    raise NotImplementedError(\"{name}\")")
    return "\n\n\n".join(parts) + "\n"
