"""The grading data model: small dataclasses, each serialisable with ``to_dict``.

``CheckResult`` (one case) -> ``ProblemResult`` (one function, with points) ->
``SubmissionResult`` (one student).  Student-facing text (``message``,
``diagnosis``) is kept apart from the grader's own log (``log``).
"""
from __future__ import annotations

import dataclasses

STATUSES = ("graded", "load-error", "timeout", "crashed")
#: The share of each function's points that its robustness cases (bad input, dtype,
#: purity) carry where an assignment does not say (``[grading] robustness``); the
#: README gives the reason.
DEFAULT_ROBUSTNESS = 0.1
#: The two parts of a function's points, in the order they are shown.
PARTS = ("mathematics", "robustness")
#: What a student reads of a failed hidden case, unless the grader says more.
HIDDEN_FAILED = "a hidden test failed"


@dataclasses.dataclass
class CheckResult:
    """The outcome of one case.

    Attributes
    ----------
    problem, name : str
        The function graded and the case's description.
    hidden : bool
        Hidden cases never show inputs or expected values to students.
    weight : float
        The case's share of its part of the problem's points.
    passed : bool
    message : str
        What went wrong, for the student (empty when passed).  For a hidden
        case, grader-written words only (``plugin.check_result`` sees to it).
    diagnosis : str or None
        The likely mistake, in plain words.
    log : str
        Grader-side detail for TAs (never shown to students).
    robust : bool
        A robustness case (bad input, dtype, purity); else mathematics.
    note : str
        A grader-written remark on a passed check: one that passed only with
        trusted stand-ins for the graded functions it calls (:mod:`standins`).
    """

    problem: str
    name: str
    hidden: bool
    weight: float
    passed: bool
    message: str = ""
    diagnosis: str | None = None
    log: str = ""
    robust: bool = False
    note: str = ""

    @property
    def part(self) -> str:
        """``"robustness"`` or ``"mathematics"``."""
        return PARTS[self.robust]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class ProblemResult:
    """One graded function: its checks and the points they earn.

    The points come in two parts.  Robustness (the robust checks: bad input,
    dtype, purity) carries ``robustness * max_points`` and mathematics (every
    other check) the rest; a part with no check gives its share to the other.
    Within a part, points are earned in proportion to the passed checks' weights.
    This is the only place points are computed.
    """

    name: str
    max_points: float
    checks: list[CheckResult] = dataclasses.field(default_factory=list)
    robustness: float = DEFAULT_ROBUSTNESS

    def part_max(self, part: str) -> float:
        """The points ``part`` (``"mathematics"`` or ``"robustness"``) is worth."""
        present = {c.part for c in self.checks if c.weight > 0} or set(PARTS)
        share = {"mathematics": 1 - self.robustness, "robustness": self.robustness}
        if present != set(PARTS):
            share = {p: float(p in present) for p in PARTS}
        return self.max_points * share[part]

    def check_max(self, check: CheckResult) -> float:
        """The points ``check`` is worth: its weight's share of its part."""
        total = sum(c.weight for c in self.checks if c.part == check.part)
        return self.part_max(check.part) * check.weight / total if total else 0.0

    def parts(self) -> dict[str, tuple[float, float]]:
        """``{part: (points earned, points possible)}`` for both parts, rounded."""
        earned = dict.fromkeys(PARTS, 0.0)
        for c in self.checks:
            earned[c.part] += self.check_max(c) if c.passed else 0.0
        return {p: (round(earned[p], 4), round(self.part_max(p), 4)) for p in PARTS}

    @property
    def points(self) -> float:
        if not self.checks:
            return 0.0
        return round(sum(self.check_max(c) for c in self.checks if c.passed), 4)

    def split(self) -> str:
        """The parts worth points, e.g. ``"mathematics 0.9/0.9, robustness 0.05/0.1"``."""
        return ", ".join(f"{part} {got:g}/{most:g}" for part, (got, most) in self.parts().items()
                         if most > 0)

    def to_dict(self) -> dict:
        return {"name": self.name, "points": self.points, "max_points": self.max_points,
                "robustness": self.robustness,
                "parts": {p: {"points": got, "max_points": most}
                          for p, (got, most) in self.parts().items()},
                "checks": [c.to_dict() for c in self.checks]}


@dataclasses.dataclass
class SubmissionResult:
    """Everything about one student's submission.

    Attributes
    ----------
    student : str
    path : str
        The submitted file.
    status : {"graded", "load-error", "timeout", "crashed"}
    problems : list of ProblemResult
    message : str
        Why the status is not "graded", or load warnings, for the student.
    output : str
        The start of what the student's code printed before it saw any hidden input.
    seconds : float
        Wall-clock time spent grading.
    log : str
        Grader-side detail for TAs (internal errors, what the student's code
        printed during the hidden tests); never shown to students.
    """

    student: str
    path: str
    status: str
    problems: list[ProblemResult] = dataclasses.field(default_factory=list)
    message: str = ""
    output: str = ""
    seconds: float = 0.0
    log: str = ""

    @property
    def points(self) -> float:
        return round(sum(p.points for p in self.problems), 4)

    @property
    def max_points(self) -> float:
        return round(sum(p.max_points for p in self.problems), 4)

    def to_dict(self) -> dict:
        return {"student": self.student, "path": self.path, "status": self.status,
                "points": self.points, "max_points": self.max_points,
                "message": self.message, "output": self.output, "seconds": self.seconds,
                "log": self.log,
                "problems": [p.to_dict() for p in self.problems]}

    @classmethod
    def from_dict(cls, d: dict) -> SubmissionResult:
        """The result whose :meth:`to_dict` is ``d``; derived keys (points, parts) are
        recomputed, unknown keys ignored.

        Raises
        ------
        KeyError, TypeError
            ``d`` is not a result's dict.
        """
        checks = {f.name for f in dataclasses.fields(CheckResult)}
        problems = [ProblemResult(p["name"], p["max_points"],
                                  [CheckResult(**{k: c[k] for k in checks if k in c})
                                   for c in p["checks"]], p["robustness"])
                    for p in d["problems"]]
        return cls(d["student"], d["path"], d["status"], problems, d["message"], d["output"],
                   d["seconds"], d["log"])
