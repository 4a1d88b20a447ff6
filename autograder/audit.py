"""Measure the batteries themselves: do they catch wrong code and pass right code?

For each graded function, every known wrong variant (``autograder/mistakes``)
and every correct variant written differently from the reference is spliced
into a full correct submission and graded through the real engine, sandbox
included.  A wrong variant is *caught* when it loses points on its function,
and *diagnosed* when its feedback names its own mistake.

A rule that the assignment's narrative states (:mod:`autograder.rules`) is
*covered* when a known mistake that breaks that rule alone is caught.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import functools
import os
import tempfile
from pathlib import Path

from . import flatten, rules, sandbox, spec
from .cases import CORRECT, MISTAKES, batteries
from .grade import grade_submission
from .worker import codec


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
    problem, source, folder, limits, seeds, standins = job
    path = Path(folder) / f"{problem}_{abs(hash(source)):x}.py"
    path.write_text(source, encoding="utf-8")
    one = spec.Assignment("audit", "audit", {problem: 1.0}, Path(folder), standins=standins)
    registry = batteries()
    make = registry[problem]
    if seeds:  # this process's registry only, and only for this grading
        registry[problem] = functools.partial(with_seeds, make, seeds)
    try:
        return grade_submission(path, one, limits=limits).problems[0]
    finally:
        registry[problem] = make


def with_seeds(make, seeds) -> list:
    """The cases of battery ``make``, then again, once per seed in ``seeds``, each case
    that seed of the statistical checks may change (see ``problems/_kit.statistical_seed``):
    one whose inputs it changes, and every custom case, whose check may draw at run time.

    One grading session then tries every seed, where a session per seed would pay for a
    fresh sandbox each time.
    """
    cases = make()
    first = [_inputs(case) for case in cases]
    for seed in seeds:
        with _seed(seed):
            again = make()
        cases += [dataclasses.replace(case, name=f"{case.name} [seed {seed}]",
                                      check=case.check and functools.partial(_check_with_seed,
                                                                             case.check, seed))
                  for case, inputs in zip(again, first)
                  if case.check is not None or _inputs(case) != inputs]
    return cases


def _check_with_seed(check, seed, student, case) -> None:
    with _seed(seed):
        check(student, case)


@contextlib.contextmanager
def _seed(seed):
    """``AUTOGRADER_SEED=seed`` in this process for a while."""
    saved = os.environ.get("AUTOGRADER_SEED")
    os.environ["AUTOGRADER_SEED"] = str(seed)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("AUTOGRADER_SEED", None)
        else:
            os.environ["AUTOGRADER_SEED"] = saved


def _inputs(case) -> bytes:
    """A case's inputs as bytes (functions in them as markers), to see what a seed changes."""
    return codec.encode([case.args, case.kwargs])


def audit(assignment: spec.Assignment, limits: sandbox.Limits = sandbox.Limits(),
          jobs: int | None = None, wrong: bool = True, seeds=()) -> list[AuditRow]:
    """Grade every wrong (unless ``wrong=False``) and correct variant of each
    function of ``assignment``, in parallel.  With ``seeds``, each grading also
    runs the statistical cases drawn with each of those seeds (:func:`with_seeds`).

    Each variant is graded as ``assignment`` grades it, with the same stand-ins
    (see :mod:`standins`): a wrong variant must be caught even when its failed
    cases are graded again with trusted stand-ins for the functions it calls.
    """
    batteries()  # registers the batteries and, through them, the known mistakes
    names = list(assignment.points)
    variants = [(p, "wrong", m.message, m.fn) for p in names for m in MISTAKES.get(p, [])
                if wrong]
    variants += [(p, "right", fn.__doc__ or fn.__name__, fn) for p in names
                 for fn in CORRECT.get(p, [])]
    rows = {p: AuditRow(p) for p in names}
    with tempfile.TemporaryDirectory(prefix="autograder-audit-") as tmp, \
            cf.ProcessPoolExecutor(jobs or os.cpu_count() or 1) as pool:
        jobs_ = [(p, flatten.submission_with(p, fn), tmp, limits, tuple(seeds),
                  assignment.standins) for p, _, _, fn in variants]
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


@dataclasses.dataclass
class RuleCoverage:
    """Which rules an assignment states, and the caught mistake that covers each.

    Attributes
    ----------
    stated : dict
        ``{rule id: the sentence that states it}``.
    covered : dict
        ``{rule id: "function: mistake"}``, for a caught mistake that breaks that rule.
    """

    stated: dict
    covered: dict

    @property
    def uncovered(self) -> list[str]:
        return [r for r in self.stated if r not in self.covered]

    def format(self) -> str:
        lines = [f"rules covered: {len(self.covered)}/{len(self.stated)}"]
        lines += [f"  UNCOVERED {r}: {self.stated[r]}" for r in self.uncovered]
        return "\n".join(lines)


def rule_coverage(assignment: spec.Assignment, rows: list[AuditRow]) -> RuleCoverage:
    """The rules ``assignment`` states, and which of them a caught mistake covers."""
    escaped = {(r.problem, m) for r in rows for m in r.escaped}
    stated = rules.stated(assignment)
    covered = {}
    for rule in stated:
        caught = [(p, m) for p, m in rules.mistakes_for(rule, [r.problem for r in rows])
                  if (p, m) not in escaped]
        if caught:
            covered[rule] = f"{caught[0][0]}: {caught[0][1]}"
    return RuleCoverage(stated, covered)


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
