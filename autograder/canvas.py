"""``autograder export canvas``: a gradebook, as a CSV that Canvas's gradebook import takes.

Input: the ``gradebook.csv`` of ``autograder grade`` (one row per student id: a
file's stem or an nbgrader folder) and the course's roster, the CSV that Canvas's
Grades > Export gives (UTF-8, often with a byte-order mark; a header row, then
maybe ``Points Possible`` and ``Manual Posting`` rows, then one row per student).

Output: Canvas's import format::

    Student,ID,SIS User ID,SIS Login ID,Section,<title> (<assignment id>)
    Points Possible,,,,,<points>
    "Lovelace, Ada",1001,S1001,ada,Section A,18.5

The five identity columns are copied from the roster, so Canvas finds each
student by ``ID``; with no ``--assignment-id`` the column is ``<title>`` and Canvas
makes a new assignment of it.  Only matched students get a row: Canvas leaves
the others' grades as they are.

Matching (``--match``), case-insensitive, surrounding spaces ignored:

* ``sis_login``: the student id equals the roster's ``SIS Login ID``;
* ``email``: the student id equals the roster's ``Email`` column (or, without
  one, the ``SIS Login ID``, which many schools set to the email), either whole
  or its part before ``@``.

Nothing is dropped silently: graded students not on the roster, and students
matching several roster rows (or sharing a roster row), are not exported and
are listed as errors; roster students with no submission are listed too.
Canvas's own "Student, Test" is skipped.

Scores: ``total / max * points`` (``--points``, default the gradebook's ``max``),
rounded to 2 decimals, minus a late penalty when ``--late`` gives submission
times (see :func:`parse_policy` and :func:`read_late`).
"""
from __future__ import annotations

import csv
import dataclasses
import math
import re
from datetime import datetime, timedelta
from pathlib import Path

from .feedback import clean

IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MATCH_RULES = ("sis_login", "email")
TEST_STUDENTS = ("student, test", "test student")
_UNITS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
_POLICY = re.compile(r"\s*(?P<rate>\d+(?:\.\d+)?)\s*%\s*(?:/|per)\s*(?P<unit>day|hour)\s*"
                     r"(?:,\s*max(?:imum)?\s+(?P<max>\d+)\s*(?P<max_unit>day|hour)s?\s*)?",
                     re.IGNORECASE)


class CanvasError(ValueError):
    """Bad input to the export: a missing column, a bad number, a bad policy."""


# ---------------------------------------------------------------- the late policy

@dataclasses.dataclass(frozen=True)
class LatePolicy:
    """A penalty of ``rate`` per started ``unit`` late, counted for at most ``max_units``.

    Attributes
    ----------
    rate : float
        Share of the score lost per unit, in (0, 1].
    unit : timedelta
        A day or an hour.
    max_units : int or None
        Units counted at most (None: no cap; the penalty never exceeds 100%).
    """

    rate: float
    unit: timedelta
    max_units: int | None = None

    def penalty(self, late: timedelta) -> float:
        """The share of the score lost, in [0, 1], for a submission ``late`` past due.

        ``penalty = min(1, rate * min(ceil(late / unit), max_units))``: 1 second late is
        one whole unit, and on time (``late <= 0``) is none.
        """
        if late <= timedelta(0):
            return 0.0
        units = math.ceil(late / self.unit)
        if self.max_units is not None:
            units = min(units, self.max_units)
        return min(1.0, self.rate * units)


def parse_policy(text: str) -> LatePolicy:
    """Parse ``"10%/day, max 3 days"`` (also ``per day``, ``/hour``; the max is optional).

    Raises
    ------
    CanvasError
        For anything else, naming the expected form.
    """
    m = _POLICY.fullmatch(text or "")
    if not m:
        raise CanvasError(f"--late-policy {text!r}: expected e.g. '10%/day, max 3 days' "
                          "(a percentage per day or hour, then optionally a maximum)")
    rate, unit = float(m["rate"]) / 100, _UNITS[m["unit"].lower()]
    if not 0 < rate <= 1:
        raise CanvasError(f"--late-policy {text!r}: the percentage must be in (0, 100], "
                          f"got {m['rate']}")
    max_units = None
    if m["max"] is not None:
        if _UNITS[m["max_unit"].lower()] != unit:
            raise CanvasError(f"--late-policy {text!r}: the maximum must be in {m['unit']}s, "
                              f"like the rate")
        max_units = int(m["max"])
    return LatePolicy(rate, unit, max_units)


# ---------------------------------------------------------------- reading

def _read_csv(path, what: str) -> tuple[list[str], list[dict]]:
    """The header and rows of the CSV ``path`` (UTF-8, a byte-order mark allowed)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            return [h.strip() for h in reader.fieldnames or []], [
                {(k or "").strip(): (v or "").strip() if isinstance(v, str) else ""
                 for k, v in row.items()} for row in rows]
    except FileNotFoundError:
        raise CanvasError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise CanvasError(f"{what} {path}: is a folder, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise CanvasError(f"{what} {path}: not UTF-8 text (byte {exc.start}); "
                          "save it as CSV UTF-8") from None
    except (OSError, csv.Error) as exc:
        raise CanvasError(f"{what} {path}: cannot read it ({exc})") from None


def _require(header: list[str], columns, what: str, path) -> None:
    missing = [c for c in columns if c not in header]
    if missing:
        raise CanvasError(f"{what} {path}: no column {', '.join(map(repr, missing))} "
                          f"(found: {', '.join(header) or 'nothing'})")


@dataclasses.dataclass(frozen=True)
class Grade:
    """One row of ``autograder grade``'s gradebook: the student id and the points."""

    student: str
    total: float
    max: float


def read_gradebook(path) -> list[Grade]:
    """The rows of a ``gradebook.csv`` written by ``autograder grade``."""
    header, rows = _read_csv(path, "gradebook")
    _require(header, ("student", "total", "max"), "gradebook", path)
    grades = []
    for i, row in enumerate(rows, start=2):
        try:
            total, most = float(row["total"]), float(row["max"])
        except ValueError:
            raise CanvasError(f"gradebook {path}, line {i}: total {row['total']!r} and max "
                              f"{row['max']!r} must be numbers") from None
        if not (math.isfinite(total) and math.isfinite(most) and most > 0):
            raise CanvasError(f"gradebook {path}, line {i}: max must be a positive number, "
                              f"got {row['max']!r}")
        grades.append(Grade(row["student"], total, most))
    return grades


def read_roster(path, rule: str) -> list[dict]:
    """The students of a Canvas gradebook export, in its order.

    Rows without an ``ID`` (``Points Possible``, ``Manual Posting``) and Canvas's
    test student are skipped; the identity columns a roster lacks are "".
    """
    header, rows = _read_csv(path, "roster")
    key = "SIS Login ID" if rule == "sis_login" or "Email" not in header else "Email"
    _require(header, ("Student", "ID", key), "roster", path)
    return [{c: row.get(c, "") for c in (*IDENTITY, "Email")} for row in rows
            if row["ID"] and row["Student"].lower() not in TEST_STUDENTS]


def read_late(path) -> dict[str, timedelta]:
    """How late each student submitted: a CSV with ``student``, ``submitted`` and ``due``.

    Times are ISO 8601 (``2026-03-01T23:59:00+01:00``); ``due`` is per row, so an
    extension is just a later ``due``.  Students not listed were on time.
    """
    header, rows = _read_csv(path, "--late")
    _require(header, ("student", "submitted", "due"), "--late", path)
    late = {}
    for i, row in enumerate(rows, start=2):
        try:
            submitted, due = (datetime.fromisoformat(row[k]) for k in ("submitted", "due"))
            late[row["student"]] = submitted - due
        except (ValueError, TypeError) as exc:
            raise CanvasError(f"--late {path}, line {i}: submitted {row['submitted']!r} and "
                              f"due {row['due']!r} must be ISO 8601 times, both with a time "
                              f"zone or both without ({exc})") from None
    return late


# ---------------------------------------------------------------- matching

def _keys(row: dict, rule: str) -> set[str]:
    """The student ids that match roster ``row`` under ``rule``, lower-cased."""
    if rule == "sis_login":
        return {row["SIS Login ID"].lower()} - {""}
    email = (row["Email"] or row["SIS Login ID"]).lower()
    return {email, email.split("@")[0]} - {""} if "@" in email else {email} - {""}


@dataclasses.dataclass
class Matching:
    """Who got a row, and who did not, and why.

    Attributes
    ----------
    pairs : list of (Grade, dict)
        Each exported grade with its roster row, in roster order.
    not_on_roster : list of Grade
        Graded students that match no roster row.
    ambiguous : list of (Grade, list of dict)
        Graded students that match several roster rows, or share one with another.
    no_submission : list of dict
        Roster students that no graded student matches.
    """

    pairs: list = dataclasses.field(default_factory=list)
    not_on_roster: list = dataclasses.field(default_factory=list)
    ambiguous: list = dataclasses.field(default_factory=list)
    no_submission: list = dataclasses.field(default_factory=list)


def match(grades: list[Grade], roster: list[dict], rule: str) -> Matching:
    """Pair each graded student with exactly one roster row under ``rule``."""
    found: dict[str, list[dict]] = {}
    for row in roster:
        for key in _keys(row, rule):
            found.setdefault(key, []).append(row)
    result, claims = Matching(), {}
    for g in grades:
        rows = list({r["ID"]: r for r in found.get(g.student.strip().lower(), [])}.values())
        if not rows:
            result.not_on_roster.append(g)
        elif len(rows) > 1:
            result.ambiguous.append((g, rows))
        else:
            claims.setdefault(rows[0]["ID"], []).append(g)
    for row in {r["ID"]: r for r in roster}.values():  # a student listed twice: once
        got = claims.get(row["ID"], [])
        if len(got) == 1:
            result.pairs.append((got[0], row))
        elif got:
            result.ambiguous += [(g, [row]) for g in got]
        else:
            result.no_submission.append(row)
    return result


# ---------------------------------------------------------------- writing

def score(grade: Grade, points: float | None, penalty: float = 0.0) -> float:
    """``total / max * points`` (``points``: default ``max``), less ``penalty``, 2 decimals."""
    scaled = grade.total / grade.max * (grade.max if points is None else points)
    return round(scaled * (1 - penalty), 2)


def column(title: str, assignment_id: str | None) -> str:
    """The assignment's column header: ``"<title> (<id>)"``, or a new assignment's ``<title>``."""
    return f"{title} ({assignment_id})" if assignment_id else title


@dataclasses.dataclass
class Export:
    """What :func:`export` did: the matching, the penalties, the Canvas points."""

    matching: Matching
    penalties: dict
    points: float
    late_unknown: list = dataclasses.field(default_factory=list)

    @property
    def lost(self) -> int:
        """Graded students whose grade is not in the file."""
        return len(self.matching.not_on_roster) + len(self.matching.ambiguous)

    def summary(self, out, rule: str) -> list[str]:
        """The report for the TA, one message per line; errors first."""
        m, lines = self.matching, []
        graded = len(m.pairs) + self.lost
        if m.not_on_roster:
            lines.append(f"error: {len(m.not_on_roster)} graded student(s) not on the roster "
                         f"by {rule}; their grades are NOT in {out}:")
            lines += [f"  {clean(g.student)} ({g.total:g}/{g.max:g})" for g in m.not_on_roster]
        if m.ambiguous:
            lines.append(f"error: {len(m.ambiguous)} graded student(s) match several roster "
                         f"rows, or share one; their grades are NOT in {out}:")
            lines += [f"  {clean(g.student)}: " + "; ".join(_who(r) for r in rows)
                      for g, rows in m.ambiguous]
        if m.no_submission:
            lines.append(f"note: {len(m.no_submission)} roster student(s) without a graded "
                         "submission (no row: Canvas keeps their grade as it is):")
            lines += [f"  {_who(r)}" for r in m.no_submission]
        if self.late_unknown:
            lines.append(f"warning: --late lists {len(self.late_unknown)} student(s) not in the "
                         "gradebook (no penalty applied to anyone by those rows): "
                         + ", ".join(clean(s) for s in self.late_unknown))
        for student, (late, penalty) in sorted(self.penalties.items()):
            lines.append(f"late: {clean(student)} {_duration(late)} late, -{penalty:.0%}")
        lines.append(f"wrote {out}: {len(m.pairs)} of {graded} graded student(s), out of "
                     f"{self.points:g} points")
        return lines


def _who(row: dict) -> str:
    return clean(f"{row['Student']} (ID {row['ID']}, {row['SIS Login ID'] or row['Email']}, "
                 f"{row['Section'] or 'no section'})")


def _duration(late: timedelta) -> str:
    hours = late.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 24 else f"{hours:.1f} hours"


def export(gradebook, roster, out, *, rule: str = "sis_login", points: float | None = None,
           late=None, policy: LatePolicy | None = None, title: str = "",
           assignment_id: str | None = None) -> Export:
    """Write the Canvas import CSV ``out`` from ``gradebook`` and the Canvas ``roster``.

    Parameters
    ----------
    gradebook, roster : path-like
        ``autograder grade``'s ``gradebook.csv`` and Canvas's gradebook export.
    out : path-like
    rule : {"sis_login", "email"}
    points : float, optional
        The assignment's points in Canvas (default: the gradebook's max).
    late : path-like, optional
        Submission times (:func:`read_late`); needs ``policy``.
    policy : LatePolicy, optional
    title : str
        The assignment's name in Canvas (default: the gradebook's folder name).
    assignment_id : str, optional
        Canvas's id of the assignment; without it, Canvas makes a new assignment.

    Returns
    -------
    Export
        The matching and penalties; ``lost`` counts graded students left out.
    """
    if rule not in MATCH_RULES:
        raise CanvasError(f"--match {rule!r}: expected one of {', '.join(MATCH_RULES)}")
    if (late is None) != (policy is None):
        raise CanvasError("--late and --late-policy go together: give both or neither")
    grades = read_gradebook(gradebook)
    if not grades:
        raise CanvasError(f"gradebook {gradebook}: no students")
    matching = match(grades, read_roster(roster, rule), rule)
    lateness = read_late(late) if late is not None else {}
    possible = points if points is not None else max(g.max for g in grades)
    penalties = {}
    for g, _ in matching.pairs:
        if g.student in lateness and (lost := policy.penalty(lateness[g.student])) > 0:
            penalties[g.student] = (lateness[g.student], lost)
    name = column(title or Path(gradebook).resolve().parent.name, assignment_id)
    try:
        with open(out, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([*IDENTITY, name])
            w.writerow(["Points Possible", "", "", "", "", f"{possible:g}"])
            for g, row in matching.pairs:
                penalty = penalties.get(g.student, (None, 0.0))[1]
                w.writerow([*(row[c] for c in IDENTITY), f"{score(g, points, penalty):g}"])
    except OSError as exc:
        raise CanvasError(f"--out {out}: cannot write it ({exc.strerror})") from None
    unknown = sorted(set(lateness) - {g.student for g in grades})
    return Export(matching, penalties, possible, unknown)
