"""Measure the batteries themselves: do they catch wrong code and pass right code?

For each graded function, every known wrong variant (``autograder/mistakes``)
and every correct variant written differently from the reference is spliced
into a full correct submission and graded through the real engine, sandbox
included.  A wrong variant is *caught* when it loses points on its function,
and *diagnosed* when its feedback names its own mistake.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import os
import tempfile
from pathlib import Path

from . import flatten, sandbox, spec
from .cases import CORRECT, MISTAKES, batteries
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


def _grade_variant(job):
    problem, source, folder, limits, seed = job
    if seed is not None:  # statistical checks draw from this seed (see problems/_kit.py)
        os.environ["AUTOGRADER_SEED"] = str(seed)
    path = Path(folder) / f"{problem}_{abs(hash(source)):x}_{seed}.py"
    path.write_text(source, encoding="utf-8")
    one = spec.Assignment("audit", "audit", {problem: 1.0}, Path(folder))
    return grade_submission(path, one, limits=limits).problems[0]


def audit(assignment: spec.Assignment, limits: sandbox.Limits = sandbox.Limits(),
          jobs: int | None = None, wrong: bool = True, seeds=(None,)) -> list[AuditRow]:
    """Grade every wrong (unless ``wrong=False``) and correct variant of each
    function of ``assignment``, in parallel, once per seed of the statistical
    checks (``None``: the default seed)."""
    batteries()  # registers the batteries and, through them, the known mistakes
    names = list(assignment.points)
    variants = [(p, "wrong", m.message, m.fn) for p in names for m in MISTAKES.get(p, [])
                if wrong]
    variants += [(p, "right", fn.__doc__ or fn.__name__, fn) for p in names
                 for fn in CORRECT.get(p, [])]
    rows = {p: AuditRow(p) for p in names}
    with tempfile.TemporaryDirectory(prefix="autograder-audit-") as tmp, \
            cf.ProcessPoolExecutor(jobs or os.cpu_count() or 1) as pool:
        variants = [v for v in variants for _ in seeds]
        jobs_ = [(p, flatten.submission_with(p, fn), tmp, limits, seed)
                 for (p, _, _, fn), seed in zip(variants, list(seeds) * len(variants))]
        for (problem, kind, message, _), result in zip(variants, pool.map(_grade_variant, jobs_)):
            row = rows[problem]
            if kind == "right":
                row.right += 1
                if result.points == result.max_points:
                    row.passed += 1
                else:
                    failed = [f"{c.name}: {c.log or c.message}"  # log: hidden cases' detail too
                              for c in result.checks if not c.passed]
                    row.rejected.append(f"{message}: {failed[:2]}")
                continue
            row.wrong += 1
            if result.points == result.max_points:
                row.escaped.append(message)
            elif any(c.diagnosis == message for c in result.checks):
                row.caught += 1
                row.diagnosed += 1
            else:
                row.caught += 1
                row.undiagnosed.append(message)
    return [rows[p] for p in names]


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
    print(format_table(audit(spec.Assignment("audit", "audit", {p: 1.0 for p in sys.argv[1:]},
                                             Path(".")))))
