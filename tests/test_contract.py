"""The curriculum contract: every function of CURRICULUM.md, with that exact signature.

CURRICULUM.md lives in ``shared/`` beside this repository.
"""
import functools
import inspect
import re
from pathlib import Path

import pytest

import reference
from autograder import spec

CURRICULUM = Path(__file__).resolve().parents[2] / "shared" / "CURRICULUM.md"


@functools.lru_cache(maxsize=None)
def _contract() -> dict[str, str]:
    """name -> signature text, from the Topics table's second column."""
    assert CURRICULUM.is_file(), f"the contract is missing: {CURRICULUM}"
    found = {}
    for line in CURRICULUM.read_text(encoding="utf-8").splitlines():
        cells = line.split("|")
        if len(cells) < 4:
            continue
        for text in re.findall(r"`([a-z_0-9]+\(.*?\))`", cells[2]):
            found[text.split("(")[0]] = text
    return found


#: the graded functions, in the order of reference.TOPICS
IN_ORDER = [n for names in reference.TOPICS.values() for n in names]
NAMES = sorted(IN_ORDER)


def _parameters(text: str) -> list[tuple]:
    """(name, kind, default) of each parameter of a signature written as text."""
    import ast
    args = ast.parse(f"def {text}: pass").body[0].args
    plain = args.args
    defaults = [None] * (len(plain) - len(args.defaults)) + list(args.defaults)
    rows = [(a.arg, "positional", d) for a, d in zip(plain, defaults)]
    rows += [(a.arg, "keyword", d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    return [(n, k, ast.literal_eval(d) if d is not None else inspect.Parameter.empty)
            for n, k, d in rows]


def test_the_contract_was_read():
    """CURRICULUM.md's Topics table and reference.TOPICS list the same functions, in one order."""
    contract = list(_contract())
    missing, extra = sorted(set(contract) - set(NAMES)), sorted(set(NAMES) - set(contract))
    assert not missing and not extra, (f"in CURRICULUM.md but not in reference.TOPICS: {missing}; "
                                       f"in reference.TOPICS but not in CURRICULUM.md: {extra}")
    assert len(contract) == len(IN_ORDER) == len(set(IN_ORDER)), "a function is listed twice"
    assert contract == IN_ORDER, "reference.TOPICS lists the functions in another order"


@pytest.mark.parametrize("name", NAMES)
def test_reference_has_the_exact_signature(name):
    fn = getattr(reference, name)
    kinds = {inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
             inspect.Parameter.KEYWORD_ONLY: "keyword"}
    ours = [(p.name, kinds.get(p.kind, str(p.kind)), p.default)
            for p in inspect.signature(fn).parameters.values()]
    assert ours == _parameters(_contract()[name])
    assert fn.__doc__ and len(fn.__doc__) > 80, f"{name} needs a numpydoc docstring"


def test_every_function_is_graded_in_exactly_one_assignment():
    graded = [fn for a in spec.available() for fn in spec.load(a).points]
    assert sorted(graded) == NAMES
