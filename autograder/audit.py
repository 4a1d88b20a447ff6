"""Measure the batteries themselves: do they catch wrong code and pass right code?

For each graded function, every known wrong variant (``autograder/mistakes``)
and every correct variant written differently from the reference is spliced
into a full correct submission and graded through the real engine, sandbox
included.  A wrong variant is *caught* when it loses points on its function,
and *diagnosed* when its feedback names its own mistake.
"""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from . import flatten, sandbox, spec
from .cases import CORRECT, MISTAKES
from .grade import grade_submission


@dataclasses.dataclass
class AuditRow:
    """The audit of one function."""

    problem: str
    wrong: int = 0
    caught: int = 0
    diagnosed: int = 0
    right: int = 0
    passed: int = 0
    escaped: list = dataclasses.field(default_factory=list)   # wrong variants not caught
    rejected: list = dataclasses.field(default_factory=list)  # correct variants not passed
    undiagnosed: list = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _grade_variant(problem: str, fn, folder: Path, limits: sandbox.Limits):
    path = folder / f"{problem}_{fn.__name__}_{id(fn)}.py"
    path.write_text(flatten.submission_with(problem, fn), encoding="utf-8")
    one = spec.Assignment("audit", "audit", {problem: 1.0}, folder)
    return grade_submission(path, one, limits=limits).problems[0]


def audit_problem(problem: str, limits: sandbox.Limits = sandbox.Limits()) -> AuditRow:
    """Grade every wrong and correct variant of ``problem``."""
    from . import mistakes  # noqa: F401  (registers the variants)
    row = AuditRow(problem)
    with tempfile.TemporaryDirectory(prefix="autograder-audit-") as tmp:
        for message, fn in MISTAKES.get(problem, []):
            row.wrong += 1
            result = _grade_variant(problem, fn, Path(tmp), limits)
            if result.points < result.max_points:
                row.caught += 1
                if any(c.diagnosis == message for c in result.checks):
                    row.diagnosed += 1
                else:
                    row.undiagnosed.append(message)
            else:
                row.escaped.append(message)
        for fn in CORRECT.get(problem, []):
            row.right += 1
            result = _grade_variant(problem, fn, Path(tmp), limits)
            if result.points == result.max_points:
                row.passed += 1
            else:
                failed = [f"{c.name}: {c.message}" for c in result.checks if not c.passed]
                row.rejected.append(f"{fn.__doc__ or fn.__name__}: {failed[:2]}")
    return row


def audit(assignment: spec.Assignment, limits: sandbox.Limits = sandbox.Limits()) -> list[AuditRow]:
    """Audit every function of ``assignment``."""
    return [audit_problem(p, limits) for p in assignment.points]


def format_table(rows: list[AuditRow]) -> str:
    """A plain-text table: caught, passed and diagnosed per function."""
    lines = [f"{'function':<22} {'wrong caught':>13} {'right passed':>13} {'diagnosed':>10}"]
    for r in rows:
        diag = f"{100 * r.diagnosed / r.caught:.0f}%" if r.caught else "-"
        lines.append(f"{r.problem:<22} {r.caught:>6}/{r.wrong:<6} {r.passed:>6}/{r.right:<6} {diag:>10}")
    tw = sum(r.wrong for r in rows)
    tc = sum(r.caught for r in rows)
    tr = sum(r.right for r in rows)
    tp = sum(r.passed for r in rows)
    td = sum(r.diagnosed for r in rows)
    lines.append(f"{'total':<22} {tc:>6}/{tw:<6} {tp:>6}/{tr:<6} "
                 f"{(f'{100 * td / tc:.0f}%' if tc else '-'):>10}")
    for r in rows:
        for m in r.escaped:
            lines.append(f"  ESCAPED  {r.problem}: {m}")
        for m in r.rejected:
            lines.append(f"  REJECTED {r.problem}: {m}")
        for m in r.undiagnosed:
            lines.append(f"  no diagnosis {r.problem}: {m}")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m autograder.audit sigmoid relu ...
    import sys
    print(format_table([audit_problem(p) for p in sys.argv[1:]]))
