"""The student kit's public cases: inputs, expected values and known mistakes, as data.

At release time the public cases of each function are evaluated on the TA side
and saved with the safe codec into ``assignments/<ps>/public_cases.bin``.  The
kit (which ships neither ``reference/`` nor the batteries) loads them back as
:class:`~autograder.cases.Case` objects, so ``autograder check`` and the
notebook's check cells run exactly the public checks of ``autograder grade``.

Only cases that are pure data can travel: a public case whose inputs hold a
function (an optimizer, a ``fit``) or whose check is custom code stays TA-side.
Each carries the outputs of the known mistakes that fail it, so the kit names
mistakes exactly as the grader does (:func:`autograder.diagnosis.nearest`).
In the kit, :func:`autograder.cases.batteries` takes :func:`public_batteries` in
place of the batteries it does not ship.
"""
from __future__ import annotations

import copy
import functools

from . import spec
from .cases import Case, cases_for
from .diagnosis import case_explanations
from .worker import codec

FILENAME = "public_cases.bin"
_FIELDS = ("problem", "name", "args", "kwargs", "weight", "kind", "rtol", "atol", "sets", "silent")


def exportable(case: Case) -> bool:
    """True when ``case`` is public and pure data (no functions, no custom check)."""
    if case.hidden or case.kind == "custom":
        return False
    return _plain(codec.decode(codec.encode([case.args, case.kwargs])))


def _plain(value) -> bool:
    if isinstance(value, codec.Unsafe):
        return False
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    return True


def export_public(assignment: spec.Assignment) -> bytes:
    """Evaluate the public, data-only cases of ``assignment``; encode them."""
    rows = []
    for problem in assignment.points:
        for case in cases_for(problem):
            if not exportable(case):
                continue
            row = {f: getattr(case, f) for f in _FIELDS}
            row["expected"] = case.expected()
            row["wrong"] = [[m, out] for m, out in case_explanations(case)]
            rows.append(row)
    return codec.encode(rows)


def write_public(assignment: spec.Assignment, folder) -> None:
    """Write the public cases of ``assignment`` into ``folder``."""
    (folder / FILENAME).write_bytes(export_public(assignment))


def _constant(value, *args, **kwargs):
    return copy.deepcopy(value)


@functools.lru_cache(maxsize=None)
def public_batteries() -> dict[str, list[Case]]:
    """Every public case found beside the kit's assignment specs, by function."""
    batteries: dict[str, list[Case]] = {}
    for name in spec.available():
        path = spec.ASSIGNMENTS_DIR / name / FILENAME
        if not path.is_file():
            continue
        for row in codec.decode(path.read_bytes()):
            case = Case(**{f: row[f] for f in _FIELDS},
                        expect=functools.partial(_constant, row["expected"]),
                        wrong=[(str(m), out) for m, out in row["wrong"]])
            batteries.setdefault(case.problem, []).append(case)
    return batteries
