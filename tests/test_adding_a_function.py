"""What the README's "Adding a function" section promises: the topic lists come from
``reference.TOPICS``, and every known variant can be spliced into a submission."""
from __future__ import annotations

import ast
import builtins
import importlib
import tomllib
from pathlib import Path

import pytest

import reference
from autograder import flatten
from autograder.cases import CORRECT, MISTAKES, batteries

PROJECT = Path(__file__).resolve().parent.parent


def _free_names(fn) -> set[str]:
    """The global names ``fn``'s source reads: what the submission it is spliced into
    must define (builtins aside)."""
    tree = ast.parse(flatten.function_source(fn))
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return read - bound - set(dir(builtins))


def _ref_attributes(fn) -> set[str]:
    """The names ``fn`` reads as ``ref.<name>``."""
    tree = ast.parse(flatten.function_source(fn))
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "ref"}


def _variants():
    batteries()  # registers the batteries and, through them, the known mistakes
    return ([(p, m.fn) for p, ms in MISTAKES.items() for m in ms]
            + [(p, fn) for p, fns in CORRECT.items() for fn in fns])


def test_every_variant_uses_only_np_ref_and_builtins():
    """The audit splices a variant's own source into a flattened submission, where
    its module's other names do not exist."""
    variants = _variants()
    assert len(variants) > 100
    bad = {f"{p}: {fn.__qualname__} reads {sorted(extra)}" for p, fn in variants
           if (extra := _free_names(fn) - {"np", "ref"})}
    bad |= {f"{p}: {fn.__qualname__} reads ref.{sorted(unknown)}" for p, fn in variants
            if (unknown := _ref_attributes(fn) - set(flatten.CURRICULUM))}
    assert not bad, sorted(bad)


def test_the_free_name_finder_sees_a_module_helper():
    def _helper(z):
        return z

    def variant(z, k=2):
        y = _helper(z) * k
        return np.abs(y) + ref.sigmoid(z) + len([w for w in (y,)])  # noqa: F821
    assert _free_names(variant) == {"_helper", "np", "ref"}
    assert _ref_attributes(variant) == {"sigmoid"}



@pytest.mark.parametrize("package", ["autograder.mistakes", "autograder.problems"])
def test_the_topic_packages_import_one_module_per_reference_topic(package, monkeypatch):
    module = importlib.import_module(package)
    assert {t for t in reference.TOPICS if hasattr(module, t)} == set(reference.TOPICS)
    monkeypatch.setitem(reference.TOPICS, "no_such_topic", ["no_such_function"])
    with pytest.raises(ModuleNotFoundError, match="no_such_topic"):
        importlib.reload(module)


def test_the_package_data_pyproject_declares_exists():
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    declared = project["tool"]["setuptools"]["package-data"]
    missing = [f"{pkg}/{name}" for pkg, names in declared.items() for name in names
               if not (PROJECT / pkg / name).exists()]
    assert not missing
