"""The grading data model: small dataclasses, each serialisable with ``to_dict``.

``CheckResult`` (one case) -> ``ProblemResult`` (one function, with points) ->
``SubmissionResult`` (one student).  Student-facing text (``message``,
``diagnosis``) is kept apart from the grader's own log (``log``).
"""
from __future__ import annotations

import dataclasses

STATUSES = ("graded", "load-error", "timeout", "crashed")
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
        The case's share of its problem's points.
    passed : bool
    message : str
        What went wrong, for the student (empty when passed).  For a hidden
        case, grader-written words only (``plugin.check_result`` sees to it).
    diagnosis : str or None
        The likely mistake, in plain words.
    log : str
        Grader-side detail for TAs (never shown to students).
    """

    problem: str
    name: str
    hidden: bool
    weight: float
    passed: bool
    message: str = ""
    diagnosis: str | None = None
    log: str = ""

    def student_message(self) -> str:
        """What a student may see: for a hidden case, no values and no text of the student's."""
        if self.passed:
            return ""
        text = (self.message or HIDDEN_FAILED) if self.hidden else self.message
        return text + (f" — likely mistake: {self.diagnosis}" if self.diagnosis else "")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class ProblemResult:
    """One graded function: its checks and the points they earn.

    Points are earned in part: ``max_points`` times the passed share of the
    cases' weights.
    """

    name: str
    max_points: float
    checks: list[CheckResult] = dataclasses.field(default_factory=list)

    @property
    def points(self) -> float:
        total = sum(c.weight for c in self.checks)
        if total == 0:
            return 0.0
        earned = sum(c.weight for c in self.checks if c.passed)
        return round(self.max_points * earned / total, 4)

    def to_dict(self) -> dict:
        return {"name": self.name, "points": self.points, "max_points": self.max_points,
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
