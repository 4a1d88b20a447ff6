"""Reports for TAs and students, written into the ``--out`` folder.

* ``gradebook.csv``: one row per submission: student, points per function,
  total, max, status, message.
* ``results/<student>.json``: Gradescope's results schema; hidden cases have
  visibility ``after_published``; its output gives each function's points as
  mathematics and robustness.
* ``feedback/<student>.md`` and ``.html``: each function's points as mathematics
  and robustness, what failed, why, and the likely mistake.  Never hidden
  inputs, hidden expected values or reference code.
* ``summary.md`` and ``summary.png``: class statistics.
* ``index.html`` and ``summary.json``: the class report in the browser (what the
  class got wrong, item statistics, a sortable table of students); see
  :mod:`autograder.classreport`.
* ``ta/results.jsonl``: the full grader-side record (hidden values, student
  output, grader logs): for TAs only, never to be shared with students.

Student ids and messages are the student's to choose (a file name, a forged load
error), so every text written or printed goes through :func:`clean` (control
characters, and so terminal escapes, made visible and inert), gradebook cells through :func:`csv_cell` (no
spreadsheet formulas), and file names come from :func:`file_names` (at most
``NAME_MAX`` bytes, distinct).  The TA's ``results.jsonl`` is kept verbatim, its
control characters escaped by JSON.
"""
from __future__ import annotations

import csv
import hashlib
import html
import json
import re
import statistics
from pathlib import Path

from . import classreport
from .results import SubmissionResult
from .spec import Assignment

#: Characters that act on a terminal or a display instead of showing: C0 and C1
#: controls and DEL (ESC starts every ANSI escape sequence), the Unicode bidi
#: controls (which reorder text on screen), and lone surrogates (undecodable bytes
#: of a file name, which no UTF-8 file or terminal accepts).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: Longest file-name suffix written per student, and the kernel's NAME_MAX (bytes).
_SUFFIX, NAME_MAX = ".json", 255


def clean(text, newlines: bool = False) -> str:
    """``text`` safe to print or write: no control character reaches a terminal.

    Each control character becomes a visible escape (``\\x1b``), so an ANSI
    sequence is inert text, and a name that differs from a classmate's only in
    hidden characters still looks different from it.

    Parameters
    ----------
    text : str
        Anything a student may control: a file name, a message, a load error.
    newlines : bool, default=False
        Keep newlines and tabs (multi-line text); otherwise they and CR become spaces.
    """
    def visible(match) -> str:
        char = match.group()
        if char in "\n\t" and newlines:
            return char
        if char in "\n\t\r":
            return " "
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    return _CONTROL.sub(visible, str(text))


def csv_cell(value) -> str:
    """A gradebook cell: clean, and not a formula in a spreadsheet (OWASP's advice:
    a cell that begins with ``= + - @``, tab or CR gets a leading single quote)."""
    text = clean(value)  # tabs and CRs become spaces, so look past leading spaces too
    return "'" + text if text.lstrip().startswith(("=", "+", "-", "@", "\t", "\r")) else text


def file_names(students: list[str]) -> list[str]:
    """A safe, distinct file name (without suffix) for each student id.

    Names that need changing, that are too long for ``NAME_MAX`` bytes with the
    longest suffix added, or that would collide (case-insensitively) with any
    name already given, a hashed one included, get a short hash of the id.
    """
    stem_max = NAME_MAX - len(_SUFFIX)
    names, seen = [], set()
    for student in students:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip(".") or "student"  # ASCII only
        name, salt = (base if base == student and len(base) <= stem_max else None), 0
        while name is None or name.lower() in seen:
            digest = hashlib.sha1(f"{student}\0{salt}".encode(errors="surrogatepass")).hexdigest()[:8]
            name, salt = f"{base[:stem_max - 9]}-{digest}", salt + 1
        seen.add(name.lower())
        names.append(name)
    return names


def write_all(results: list[SubmissionResult], assignment: Assignment, out: Path) -> None:
    """Write every report for ``results`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    write_gradebook(results, assignment, out / "gradebook.csv")
    for sub in ("results", "feedback", "ta"):
        (out / sub).mkdir(exist_ok=True)
    for r, name in zip(results, file_names([r.student for r in results])):
        (out / "results" / f"{name}.json").write_text(
            json.dumps(gradescope(r), indent=2), encoding="utf-8")
        md = feedback_markdown(r, assignment)
        (out / "feedback" / f"{name}.md").write_text(md, encoding="utf-8")
        (out / "feedback" / f"{name}.html").write_text(markdown_to_html(md, r.student),
                                                       encoding="utf-8")
    with open(out / "ta" / "results.jsonl", "w", encoding="utf-8") as fh:
        for r in results:
            fh.write(json.dumps(r.to_dict()) + "\n")
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

def gradescope(r: SubmissionResult) -> dict:
    """``results.json`` in Gradescope's autograder schema."""
    tests = []
    for p in r.problems:
        for c in p.checks:
            worth = round(p.check_max(c), 4)
            tests.append({
                "name": clean(f"{p.name}: {c.name}"),
                "score": worth if c.passed else 0.0,
                "max_score": worth,
                "status": "passed" if c.passed else "failed",
                "output": clean(c.student_message()),
                "visibility": "after_published" if c.hidden else "visible",
            })
    split = "".join(f"\n{p.name}: {p.split()}" for p in r.problems)
    return {"score": r.points, "execution_time": round(r.seconds, 3),
            "output": f"status: {clean(r.status)}" + (f"\n{clean(r.message)}" if r.message else "")
            + split,
            "stdout_visibility": "hidden", "tests": tests}


# ---------------------------------------------------------------- feedback

def feedback_markdown(r: SubmissionResult, assignment: Assignment) -> str:
    """Per-student feedback: points per function, and what each failure means."""
    lines = [f"# {clean(assignment.title)}: feedback for {clean(r.student)}", "",
             f"**{r.points:g} / {assignment.max_points:g} points** — status: {clean(r.status)}",
             ""]
    if r.message:
        lines += [f"> {clean(r.message)}", ""]
    lines += ["| function | points | of which |", "|---|---|---|"]
    lines += [f"| `{p.name}` | {p.points:g} / {p.max_points:g} | {p.split()} |"
              for p in r.problems]
    lines.append("")
    for p in r.problems:
        failed = [c for c in p.checks if not c.passed]
        if not failed:
            continue
        lines += [f"## `{p.name}`: {p.points:g} / {p.max_points:g} ({p.split()})", ""]
        for c in failed:
            label = f"{'hidden test' if c.hidden else 'test'}, {c.part}"
            text = c.student_message() if c.hidden else c.message
            lines.append(f"- **{clean(c.name)}** ({label}): {clean(text)}")
            if c.diagnosis and not c.hidden:
                lines.append(f"  - *Likely mistake:* {clean(c.diagnosis)}")
        lines.append("")
    if all(c.passed for p in r.problems for c in p.checks) and r.status == "graded":
        lines.append("Every test passed. Well done!")
    return "\n".join(lines) + "\n"


def markdown_to_html(md: str, title: str) -> str:
    """The small Markdown subset of :func:`feedback_markdown`, as escaped HTML."""
    body, in_list, in_table = [], False, False
    for raw in md.splitlines():
        line = html.escape(raw)
        line = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", line)
        line = re.sub(r"\*(.+?)\*", r"<i>\1</i>", line)
        line = re.sub(r"`(.+?)`", r"<code>\1</code>", line)
        if in_list and not raw.lstrip().startswith("- "):
            body.append("</ul>")
            in_list = False
        if in_table and not raw.startswith("|"):
            body.append("</table>")
            in_table = False
        if raw.startswith("# "):
            body.append(f"<h1>{line[2:]}</h1>")
        elif raw.startswith("## "):
            body.append(f"<h2>{line[3:]}</h2>")
        elif raw.startswith("&gt; ") or raw.startswith("> "):
            body.append(f"<blockquote>{line[5:]}</blockquote>")
        elif raw.startswith("|"):
            if raw.startswith("|---"):
                continue
            if not in_table:
                body.append("<table>")
                in_table = True
            cells = [c.strip() for c in line.strip("|").split("|")]
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        elif raw.lstrip().startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{line.lstrip()[2:]}</li>")
        elif raw.strip():
            body.append(f"<p>{line}</p>")
    body += ["</ul>"] if in_list else []
    body += ["</table>"] if in_table else []
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>Feedback: {html.escape(clean(title))}</title><style>"
            "body{font-family:sans-serif;max-width:50em;margin:2em auto}"
            "td{padding:.2em .8em;border-bottom:1px solid #ddd}code{background:#f3f3f3}"
            "</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


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
