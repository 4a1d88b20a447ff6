"""The class report: what the class got wrong, in ``index.html`` and ``summary.json``.

``index.html`` is one self-contained page (inline CSS, matplotlib plots as PNG
data URIs, a few lines of inline JavaScript, no network) that opens from a
laptop or an e-mail attachment.  Its sections:

* **Overview**: score distribution, status counts, median time per submission.
* **Per function**: each case's pass rate (public and hidden marked), hardest
  first, and the function's discrimination (below), flagged when it is near
  zero or negative: a broken or too strict test.
* **Misconceptions**: per function, the known mistakes the class made, how many
  students made each, and an example of the feedback; then the ten most common,
  worded as things to re-teach.
* **Unexplained failures**: failed cases that no known mistake explains,
  grouped by their message (numbers masked): where the mistakes library is
  missing an entry.
* **Students**: a table that sorts on a click, linking each student's feedback.

Every number on the page is in ``summary.json`` (the page is rendered from it
alone).  The definitions:

* Case pass rates, discrimination, misconceptions and unexplained failures count
  the submissions with status "graded" only: a load error fails every case for a
  reason of its own, and is counted under its status.
* A student's *misconception* in a function is the most frequent diagnosis of
  its failed cases (ties: the first), shown with how many of them it explains.  It counts only when every function it
  calls in ``reference/`` (transitively, :func:`calls`) passes all its cases;
  otherwise its failures are *downstream* of that function's (a wrong
  ``sigmoid`` fails ``neuron_forward`` too, and a replay may then match some
  mistake of ``neuron_forward`` by chance).  Downstream failures appear in
  neither the misconceptions nor the unexplained failures, only as a count.
* *Discrimination* is the point-biserial correlation between full marks on a
  function (0 or 1) and the rest of the total (the total minus that function's
  points), over graded submissions; it is undefined (None) when everyone or
  no one has full marks, and flagged below :data:`FLAG_BELOW` (from
  :data:`FLAG_FROM` graded submissions on).
"""
from __future__ import annotations

import ast
import collections
import importlib
import inspect
import json
import re
import statistics
from pathlib import Path

from .classpage import render
from .feedback import clean, file_names, student_text
from .results import HIDDEN_FAILED, SubmissionResult
from .spec import Assignment

try:  # the TA side; the student kit ships no reference, and grades nothing
    import reference
except ImportError:  # pragma: no cover
    reference = None

#: A function whose discrimination is below this is flagged (near zero or negative),
#: once at least FLAG_FROM submissions are graded (fewer say little).
FLAG_BELOW, FLAG_FROM = 0.1, 10
#: Misconceptions worded as things to re-teach, most common first.
TOP = 10
#: Where ``autograder similar ... --out <report>/similar`` writes its index.
SIMILAR_INDEX = "similar/index.html"
_NUMBER = re.compile(r"(?<![A-Za-z_\d])[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def write(results: list[SubmissionResult], assignment: Assignment, out: Path) -> None:
    """Write ``out/summary.json`` and ``out/index.html`` for ``results``."""
    stats = class_statistics(results, assignment, similar=(out / SIMILAR_INDEX).is_file())
    (out / "summary.json").write_text(json.dumps(stats, indent=1), encoding="utf-8")
    (out / "index.html").write_text(render(stats), encoding="utf-8")


def link_similar(folder: Path) -> bool:
    """Link ``folder/similar/index.html`` from the class report in ``folder``, if both
    exist (``autograder similar`` run after ``grade``); the page is rendered again from
    ``summary.json``.  Returns whether the report was updated."""
    summary = folder / "summary.json"
    if not (summary.is_file() and (folder / SIMILAR_INDEX).is_file()):
        return False
    try:
        stats = {**json.loads(summary.read_text(encoding="utf-8")), "similar": SIMILAR_INDEX}
        page = render(stats)
    except (ValueError, KeyError, TypeError):  # not a class report's summary.json
        return False
    summary.write_text(json.dumps(stats, indent=1), encoding="utf-8")
    (folder / "index.html").write_text(page, encoding="utf-8")
    return True


# ---------------------------------------------------------------- statistics

def class_statistics(results: list[SubmissionResult], assignment: Assignment,
                     similar: bool = False) -> dict:
    """Every number of the class report, JSON-ready.

    Parameters
    ----------
    results : list of SubmissionResult
        One per submission, in the gradebook's order.
    assignment : Assignment
    similar : bool, default=False
        Whether ``similar/index.html`` exists beside the report (then linked).
    """
    graded = [r for r in results if r.status == "graded"]
    deps = calls(list(assignment.points))
    scores = {id(r): (r.points, {p.name: p.points for p in r.problems}) for r in results}
    return {"assignment": assignment.name, "title": assignment.title,
            "max_points": assignment.max_points, "flag_below": FLAG_BELOW,
            "flag_from": FLAG_FROM, "top_n": TOP,
            "similar": SIMILAR_INDEX if similar else None,
            "overview": _overview(results, assignment, scores),
            "functions": [_function(name, graded, scores) for name in assignment.points],
            **_mistakes(graded, deps),
            "students": _students(results, scores)}


def _overview(results: list[SubmissionResult], assignment: Assignment, scores: dict) -> dict:
    totals = [scores[id(r)][0] for r in results]
    bins = min(20, max(5, len(results)))
    width = assignment.max_points / bins if assignment.max_points else 1.0
    counts = [0] * bins
    for t in totals:
        counts[min(int(t / width), bins - 1)] += 1
    status = collections.Counter(r.status for r in results)
    return {"submissions": len(results),
            "status": {s: status[s] for s in sorted(status, key=lambda s: -status[s])},
            "mean": _round(statistics.mean(totals), 2) if totals else None,
            "median": _round(statistics.median(totals)) if totals else None,
            "min": min(totals, default=None), "max": max(totals, default=None),
            "median_seconds": _round(statistics.median(r.seconds for r in results), 3)
            if results else None,
            "histogram": {"edges": [_round(k * width) for k in range(bins + 1)], "counts": counts}}


def _function(name: str, graded: list[SubmissionResult], scores: dict) -> dict:
    """Pass rate per case (hardest first), mean share of points and discrimination.
    ``scores``: ``id(result) -> (total, {function: points})``, computed once."""
    cases: dict[str, dict] = {}
    own, rest, shares, max_points = [], [], [], 0.0
    for r in graded:
        p = _problem(r, name)
        if p is None:
            continue
        total, points = scores[id(r)]
        max_points = p.max_points
        shares.append(points[name] / p.max_points if p.max_points else 0.0)
        own.append(float(points[name] >= p.max_points))
        rest.append(total - points[name])
        for c in p.checks:
            case = cases.setdefault(c.name, {"case": clean(c.name), "hidden": c.hidden,
                                             "part": c.part, "passed": 0, "total": 0})
            case["passed"] += c.passed
            case["total"] += 1
    for case in cases.values():
        case["pass_rate"] = _round(case["passed"] / case["total"])
    r_pb = point_biserial(own, rest)
    return {"function": name, "max_points": max_points,
            "mean_share": _round(statistics.mean(shares)) if shares else None,
            "full_marks": int(sum(own)), "graded": len(own), "discrimination": r_pb,
            "flagged": r_pb is not None and r_pb < FLAG_BELOW and len(own) >= FLAG_FROM,
            "cases": sorted(cases.values(), key=lambda c: c["pass_rate"])}


def point_biserial(item: list[float], rest: list[float]) -> float | None:
    """The Pearson correlation of the 0/1 ``item`` with ``rest``: the point-biserial
    ``r = (M1 - M0) / s * sqrt(p q)`` (population ``s``); None when either is constant."""
    if len(item) < 2 or len(set(item)) < 2 or len(set(rest)) < 2:
        return None
    return _round(statistics.correlation(item, rest))


def _mistakes(graded: list[SubmissionResult], deps: dict[str, set[str]]) -> dict:
    """Misconceptions per function, the top ones, unexplained failures, downstream count."""
    found: dict[tuple[str, str], dict] = {}
    unexplained: dict[tuple[str, str], dict] = {}
    downstream = 0
    for r in graded:
        failing = {p.name for p in r.problems if any(not c.passed for c in p.checks)}
        for p in r.problems:
            failed = [c for c in p.checks if not c.passed]
            if not failed:
                continue
            if deps.get(p.name, set()) & failing:
                downstream += len(failed)
                continue
            diagnosed = [c for c in failed if c.diagnosis]
            if diagnosed:
                top = collections.Counter(c.diagnosis for c in diagnosed).most_common(1)[0][0]
                example = min((c for c in diagnosed if c.diagnosis == top),
                              key=lambda c: c.hidden)  # a public case's words, if any
                entry = found.setdefault((p.name, top), {
                    "function": p.name, "mistake": clean(top), "students": [],
                    "evidence": [], "example": clean(student_text(example))})
                entry["students"].append(clean(r.student))
                entry["evidence"].append([sum(c.diagnosis == top for c in diagnosed), len(failed)])
            for c in failed:
                if not c.diagnosis:
                    text = _masked(c.log or c.message or HIDDEN_FAILED)
                    group = unexplained.setdefault((p.name, text), {
                        "function": p.name, "message": text, "count": 0, "students": []})
                    group["count"] += 1
                    if clean(r.student) not in group["students"]:
                        group["students"].append(clean(r.student))
    n = len(graded)
    misconceptions = sorted(found.values(), key=lambda m: -len(m["students"]))
    for m in misconceptions:
        m["count"] = len(m["students"])
        m["share"] = _round(m["count"] / n) if n else 0.0
    return {"graded": n, "misconceptions": misconceptions,
            "top": [{"function": m["function"], "mistake": m["mistake"], "count": m["count"],
                     "share": m["share"]} for m in misconceptions[:TOP]],
            "unexplained": sorted(unexplained.values(), key=lambda g: -g["count"]),
            "downstream_failures": downstream}


def _students(results: list[SubmissionResult], scores: dict) -> list[dict]:
    return [{"student": clean(r.student), "feedback": f"feedback/{name}.html",
             "points": scores[id(r)][0], "max_points": r.max_points, "status": r.status,
             "lost": [p.name for p in r.problems if scores[id(r)][1][p.name] < p.max_points]}
            for r, name in zip(results, file_names([r.student for r in results]))]


def _problem(r: SubmissionResult, name: str):
    return next((p for p in r.problems if p.name == name), None)


def _masked(text: str) -> str:
    """A failure's first line, its numbers replaced by ``#`` so that like groups with like."""
    return _NUMBER.sub("#", clean(str(text).split("\n")[0]))[:200]


def _round(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


def calls(functions: list[str]) -> dict[str, set[str]]:
    """For each of ``functions``, the others it calls in ``reference/``, transitively.

    Read from the reference's source: a function calls every top-level function
    of a topic module whose name it uses (helpers included), and what they call.
    Empty where ``reference`` is not installed (the student kit).
    """
    if reference is None:
        return {f: set() for f in functions}
    uses: dict[str, set[str]] = {}
    for topic in reference.TOPICS:
        tree = ast.parse(inspect.getsource(importlib.import_module(f"reference.{topic}")))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                uses[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    graded = set(functions)
    closure = {}
    for f in functions:
        seen, todo = set(), list(uses.get(f, ()))
        while todo:
            name = todo.pop()
            if name not in seen and name != f:
                seen.add(name)
                todo += uses.get(name, ())
        closure[f] = seen & graded
    return closure
