"""Reports for TAs and students, written into the ``--out`` folder.

* ``gradebook.csv``: one row per submission: student, points per function,
  total, max, status, message.
* ``results/<student>.json``: Gradescope's results schema; hidden cases have
  visibility ``after_published``; its output gives each function's points as
  mathematics and robustness.
* ``feedback/<student>.md`` and ``.html``: each function's points as mathematics
  and robustness, what failed, why, and the likely mistake.  Never hidden
  inputs, hidden expected values or reference code: :mod:`feedback` decides
  what a student may read, and renders it.
* ``summary.md`` and ``summary.png``: class statistics.
* ``index.html`` and ``summary.json``: the class report in the browser (what the
  class got wrong, item statistics, a sortable table of students); see
  :mod:`autograder.classreport`.
* ``ta/results.jsonl``: the full grader-side record (hidden values, student
  output, grader logs): for TAs only, never to be shared with students.  It is
  also ``grade``'s journal, and :mod:`autograder.journal` its one writer.

Student ids and messages are the student's to choose (a file name, a forged load
error), so every text written or printed goes through :func:`feedback.clean`
(control characters, and so terminal escapes, made visible and inert), gradebook
cells through :func:`csv_cell` (no spreadsheet formulas), and file names come
from :func:`file_names` (at most ``NAME_MAX`` bytes, distinct).  The TA's
``results.jsonl`` is kept verbatim, its control characters escaped by JSON.
"""
from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

from . import classreport, feedback, journal
from .feedback import clean, file_names
from .results import SubmissionResult
from .spec import Assignment


def csv_cell(value) -> str:
    """A gradebook cell: clean, and not a formula in a spreadsheet (OWASP's advice:
    a cell that begins with ``= + - @``, tab or CR gets a leading single quote)."""
    text = clean(value)  # tabs and CRs become spaces, so look past leading spaces too
    return "'" + text if text.lstrip().startswith(("=", "+", "-", "@", "\t", "\r")) else text


def write_all(results: list[SubmissionResult], assignment: Assignment, out: Path) -> None:
    """Write every report for ``results`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    write_gradebook(results, assignment, out / "gradebook.csv")
    for sub in ("results", "feedback", "ta"):
        (out / sub).mkdir(exist_ok=True)
    for r, name in zip(results, file_names([r.student for r in results])):
        (out / "results" / f"{name}.json").write_text(
            json.dumps(gradescope(r), indent=2), encoding="utf-8")
        (out / "feedback" / f"{name}.md").write_text(feedback.markdown(r, assignment),
                                                     encoding="utf-8")
        (out / "feedback" / f"{name}.html").write_text(feedback.html(r, assignment),
                                                       encoding="utf-8")
    journal.write(out / "ta" / "results.jsonl", results)
    (out / "summary.md").write_text(summary_markdown(results, assignment), encoding="utf-8")
    summary_plot(results, assignment, out / "summary.png")
    classreport.write(results, assignment, out)


# ---------------------------------------------------------------- gradebook

def write_gradebook(results: list[SubmissionResult], assignment: Assignment, path: Path) -> None:
    """One row per submission, columns in the assignment's order."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["student", *assignment.points, "total", "max", "status", "message"])
        for r in results:
            pts = {p.name: p.points for p in r.problems}
            w.writerow([csv_cell(x) for x in (
                r.student, *(f"{pts.get(k, 0.0):g}" for k in assignment.points),
                f"{r.points:g}", f"{assignment.max_points:g}", r.status, clean(r.message)[:300])])


def gradebook_table(results: list[SubmissionResult], assignment: Assignment) -> str:
    """The gradebook as a plain-text table, for the terminal (no escapes or controls)."""
    names = [clean(r.student) for r in results]
    width = max([len(n) for n in names] + [7])
    lines = [f"{'student':<{width}}  {'points':>13}  status      message"]
    for r, name in zip(results, names):
        lines.append(f"{name:<{width}}  {r.points:>6g}/{assignment.max_points:<6g}  "
                     f"{clean(r.status):<10}  {clean(r.message)[:60]}")
    return "\n".join(lines)


# ---------------------------------------------------------------- Gradescope

def gradescope(r: SubmissionResult, *, leaderboard: list[dict] | None = None,
               extra: dict | None = None) -> dict:
    """``results.json`` in Gradescope's autograder schema.

    One test per case, numbered ``<function>.<case>``, tagged with the function's
    topic, its output Markdown: what failed and the likely mistake (a hidden case:
    the grader's words only), hidden cases ``after_published``.  The top-level
    output sums up each function's points; stdout (the grader's log) is for TAs.

    Parameters
    ----------
    r : SubmissionResult
    leaderboard : list of dict, optional
        Gradescope's ``leaderboard`` entries (``name``, ``value``, ``order``), if any.
    extra : dict, optional
        ``extra_data``: stored by Gradescope, never shown to students.
    """
    topics = _topics()
    tests = []
    for i, p in enumerate(r.problems, 1):
        for j, c in enumerate(p.checks, 1):
            worth = round(p.check_max(c), 4)
            tests.append({
                "name": clean(f"{p.name}: {c.name}"),
                "number": f"{i}.{j}",
                "score": worth if c.passed else 0.0,
                "max_score": worth,
                "status": "passed" if c.passed else "failed",
                "output": feedback.check_output(p, c),
                "output_format": "md",
                "tags": [topics[p.name]] if p.name in topics else [],
                "visibility": "after_published" if c.hidden else "visible",
            })
    lines = [f"**{r.points:g} / {r.max_points:g} points** (status: {clean(r.status)})"]
    lines += [f"> {feedback.inert_markdown(r.message)}"] if r.message else []
    lines += [""] + [f"- {clean(p.name)}: {p.split()} ({p.points:g} / {p.max_points:g} points)"
                     for p in r.problems]
    data = {"score": r.points, "execution_time": round(r.seconds, 3),
            "output": "\n".join(lines), "output_format": "md",
            "stdout_visibility": "hidden", "tests": tests}
    if leaderboard is not None:
        data["leaderboard"] = leaderboard
    if extra:
        data["extra_data"] = extra
    return data


def _topics() -> dict[str, str]:
    """Graded function -> its lecture topic (none where ``reference`` is absent)."""
    try:
        import reference
    except ImportError:
        return {}
    return {fn: topic for topic, names in reference.TOPICS.items() for fn in names}


# ---------------------------------------------------------------- class summary

def summary_markdown(results: list[SubmissionResult], assignment: Assignment) -> str:
    """Class statistics: totals, each function's mean, status counts."""
    totals = [r.points for r in results]
    lines = [f"# {assignment.title}: class summary", "",
             f"{len(results)} submissions; max {assignment.max_points:g} points.", ""]
    if totals:
        lines += [f"- mean {statistics.mean(totals):.2f}, median {statistics.median(totals):g}, "
                  f"min {min(totals):g}, max {max(totals):g}", ""]
    counts = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    lines += ["| status | count |", "|---|---|"] + [f"| {k} | {v} |" for k, v in counts.items()]
    lines += ["", "| function | mean points | full marks |", "|---|---|---|"]
    for name, pts in assignment.points.items():
        got = [p.points for r in results for p in r.problems if p.name == name]
        full = sum(1 for g in got if g == pts)
        mean = statistics.mean(got) if got else 0.0
        lines.append(f"| `{name}` | {mean:.2f} / {pts:g} | {full} / {len(results)} |")
    return clean("\n".join(lines), newlines=True) + "\n"


def summary_plot(results: list[SubmissionResult], assignment: Assignment, path: Path) -> None:
    """A histogram of totals and each function's mean share of its points."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(assignment.points)
    share = []
    for name, pts in assignment.points.items():
        got = [p.points for r in results for p in r.problems if p.name == name]
        share.append(100 * statistics.mean(got) / pts if got and pts else 0.0)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    ax1.hist([r.points for r in results], bins=min(20, max(5, len(results))),
             range=(0, assignment.max_points), color="#4C72B0", edgecolor="white")
    ax1.set(title=f"{assignment.title}: total points", xlabel="points", ylabel="students")
    ax2.barh(names[::-1], share[::-1], color="#55A868")
    ax2.set(title="class mean, % of each function's points", xlim=(0, 100))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
