"""What a student may read of a grading, and every rendering of it.

One model, decided once, rendered many ways.  :func:`shown_checks` turns each
:class:`~autograder.results.CheckResult` into a :class:`Shown` line: its points and
what a student may read of it.  That is the only place the rule lives:

* a public case shows its message (what failed, with the public values) and the
  likely mistake;
* a hidden case shows grader-written words only: the message when it is one
  of the grader's own hidden-case sentences (:data:`results.HIDDEN_FAILED`
  onwards, as :func:`student.check_result` writes it), else that sentence
  alone, and the likely mistake (a name from the mistakes library, never a value);
* the TA-only ``log`` is never read here.

Every string goes through :func:`clean` (no terminal escapes, no control
characters).  The renderings, all built from that model:

* :func:`markdown` and :func:`html`: ``feedback/<student>.md`` and ``.html``; the
  HTML is built from the model with each field escaped, never parsed back
  from the Markdown;
* :func:`check_report`: ``autograder check``, the student's public check;
* :func:`notebook_check` and :func:`problem_summary`: a notebook's ``check`` and
  ``grade`` cells, and the test cells that ``nbgrader autograde`` fills;
* :func:`check_output`: the output of one test in Gradescope's ``results.json``.

:func:`file_names` gives each student's pages a safe, distinct name.
"""
from __future__ import annotations

import dataclasses
import hashlib
import html as _html
import re
from typing import TYPE_CHECKING

from .results import HIDDEN_FAILED, CheckResult, ProblemResult, SubmissionResult

if TYPE_CHECKING:
    from .spec import Assignment

#: Characters that act on a terminal or a display instead of showing: C0 and C1
#: controls and DEL (ESC starts every ANSI escape sequence), the Unicode bidi
#: controls (which reorder text on screen), and lone surrogates (undecodable bytes
#: of a file name, which no UTF-8 file or terminal accepts).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: Longest file-name suffix written per student, and the kernel's NAME_MAX (bytes).
_SUFFIX, NAME_MAX = ".json", 255
_STYLE = ("body{font-family:sans-serif;max-width:50em;margin:2em auto}"
          "td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}"
          "code{background:#f3f3f3}")


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


# ---------------------------------------------------------------- the model

@dataclasses.dataclass(frozen=True)
class Shown:
    """One check, as a student may see it.

    Attributes
    ----------
    name : str
        The case's description.
    hidden, passed : bool
    part : {"mathematics", "robustness"}
    points, max_points : float
        What the check earned, and what it is worth.
    text : str
        What went wrong (empty when passed).
    diagnosis : str
        The likely mistake, or empty.
    note : str
        A grader's remark on a passed check (it passed with trusted stand-ins for
        the functions it calls), or empty.
    """

    name: str
    hidden: bool
    passed: bool
    part: str
    points: float
    max_points: float
    text: str = ""
    diagnosis: str = ""
    note: str = ""

    @property
    def label(self) -> str:
        """``"hidden test, robustness"``, ``"test, mathematics"``, ..."""
        return f"{'hidden test' if self.hidden else 'test'}, {self.part}"

    @property
    def remarkable(self) -> bool:
        """Failed, or passed with a note: worth a line in the feedback."""
        return not self.passed or bool(self.note)

    def sentence(self) -> str:
        """What failed and the likely mistake, or the note of a pass, in one line."""
        if self.passed:
            return f"passed: {self.note}" if self.note else ""
        return self.text + (f" — likely mistake: {self.diagnosis}" if self.diagnosis else "")


def student_text(check: CheckResult) -> str:
    """What a student may read of why ``check`` failed (see the module doc)."""
    if check.passed:
        return ""
    if not check.hidden:
        return check.message
    return check.message if check.message.startswith(HIDDEN_FAILED) else HIDDEN_FAILED


def shown(problem: ProblemResult, check: CheckResult) -> Shown:
    """``check`` of ``problem`` as a student may see it."""
    worth = round(problem.check_max(check), 4)
    return Shown(clean(check.name), check.hidden, check.passed, check.part,
                 worth if check.passed else 0.0, worth, clean(student_text(check)),
                 clean(check.diagnosis or "") if not check.passed else "",
                 clean(check.note) if check.passed else "")


def shown_checks(problem: ProblemResult) -> list[Shown]:
    """Every check of ``problem``, as a student may see it, in order."""
    return [shown(problem, c) for c in problem.checks]


def all_passed(r: SubmissionResult) -> bool:
    """Graded, and every check passed: hidden ones included (otter#138)."""
    return r.status == "graded" and all(c.passed for p in r.problems for c in p.checks)


# ---------------------------------------------------------------- feedback pages

def markdown(r: SubmissionResult, assignment: Assignment) -> str:
    """``feedback/<student>.md``: points per function, and what each failure means."""
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
        said = [s for s in shown_checks(p) if s.remarkable]
        if said:
            lines += [f"## `{p.name}`: {p.points:g} / {p.max_points:g} ({p.split()})", ""]
            for s in said:
                lines.append(f"- **{s.name}** ({s.label}): {s.text or s.sentence()}")
                if s.diagnosis:
                    lines.append(f"  - *Likely mistake:* {s.diagnosis}")
            lines.append("")
    if all_passed(r):
        lines.append("Every test passed. Well done!")
    return "\n".join(lines) + "\n"


def html(r: SubmissionResult, assignment: Assignment) -> str:
    """``feedback/<student>.html``: the same page as :func:`markdown`, built from the
    model with every field escaped."""
    def e(text) -> str:
        return _html.escape(clean(text))

    body = [f"<h1>{e(assignment.title)}: feedback for {e(r.student)}</h1>",
            f"<p><b>{r.points:g} / {assignment.max_points:g} points</b> — status: {e(r.status)}</p>"]
    if r.message:
        body.append(f"<blockquote>{e(r.message)}</blockquote>")
    body.append("<table><tr><th>function</th><th>points</th><th>of which</th></tr>")
    body += [f"<tr><td><code>{e(p.name)}</code></td><td>{p.points:g} / {p.max_points:g}</td>"
             f"<td>{e(p.split())}</td></tr>" for p in r.problems]
    body.append("</table>")
    for p in r.problems:
        said = [s for s in shown_checks(p) if s.remarkable]
        if said:
            body.append(f"<h2><code>{e(p.name)}</code>: {p.points:g} / {p.max_points:g} "
                        f"({e(p.split())})</h2><ul>")
            for s in said:
                mistake = (f"<ul><li><i>Likely mistake:</i> {e(s.diagnosis)}</li></ul>"
                           if s.diagnosis else "")
                body.append(f"<li><b>{e(s.name)}</b> ({e(s.label)}): "
                            f"{e(s.text or s.sentence())}{mistake}</li>")
            body.append("</ul>")
    if all_passed(r):
        body.append("<p>Every test passed. Well done!</p>")
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>Feedback: {e(r.student)}</title><style>{_STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


# ---------------------------------------------------------------- Gradescope

def check_output(problem: ProblemResult, check: CheckResult) -> str:
    """One test's output in Gradescope's ``results.json`` (Markdown)."""
    return inert_markdown(shown(problem, check).sentence())


def inert_markdown(text) -> str:
    """``text`` safe inside Markdown that a page renders: clean, and no HTML."""
    return _html.escape(clean(text), quote=False)


# ---------------------------------------------------------------- the student's check

def check_report(r: SubmissionResult) -> str:
    """``autograder check``: each function's public tests, what failed and why."""
    lines = []
    if r.status != "graded":
        lines += [f"Your file could not be graded ({clean(r.status)}): {clean(r.message)}", ""]
    elif r.message:
        lines += [f"Note: {clean(r.message)}", ""]
    for p in r.problems:
        if not p.checks:  # e.g. cases that need the grader's own fit/score functions
            lines.append(f"----  {p.name}  (no public test: it is checked when your TA grades)")
            continue
        checks = shown_checks(p)
        failed = [s for s in checks if not s.passed]
        split = f"; {p.split()}" if any(c.robust for c in p.checks) else ""  # hidden: robust
        lines.append(f"{'FAIL' if failed else 'PASS'}  {p.name}  ({len(checks) - len(failed)}"
                     f"/{len(checks)} public tests{split})")
        for s in failed:
            lines.append(f"      - {s.name}: {s.text}")
            if s.diagnosis:
                lines.append(f"        likely mistake: {s.diagnosis}")
    checked = [p for p in r.problems if p.checks]
    passed = sum(1 for p in checked if all(c.passed for c in p.checks))
    robustness = r.problems[0].robustness if r.problems else 0
    lines += ["", f"{passed} of {len(checked)} functions pass their public tests. "
              "Hidden tests run when your TA grades"
              + (f"; they include the robustness tests (bad input, dtype, inputs unchanged), "
                 f"worth {robustness:.0%} of each function's points." if robustness else ".")]
    return "\n".join(lines)


# ---------------------------------------------------------------- notebooks

def notebook_check(problem: ProblemResult) -> str:
    """A notebook's ``check(name)`` cell: each public test, and a closing line."""
    name, checks = problem.name, shown_checks(problem)
    lines = []
    for s in checks:
        lines.append(f"{'PASS' if s.passed else 'FAIL'}  {name}: {s.name}")
        if s.note:
            lines.append(f"      {s.note}")
        if not s.passed:
            lines.append(f"      {s.text}")
            if s.diagnosis:
                lines.append(f"      likely mistake: {s.diagnosis}")
    failed = sum(not s.passed for s in checks)
    if not checks:
        lines.append(f"{name}: no public tests here; hidden tests run when your work is graded.")
    elif failed:
        lines.append(f"\n{failed} of {len(checks)} public tests of {name} failed.")
    else:
        n = len(checks)
        lines.append(f"\n{'The public test' if n == 1 else f'All {n} public tests'} of {name} "
                     "passed (hidden tests run when your work is graded).")
    return "\n".join(lines)


def problem_summary(problem: ProblemResult) -> str:
    """A function's points, then each failed test as a student may read it (a
    notebook's ``grade`` cell, and nbgrader's test cells)."""
    lines = [f"{problem.name}: {problem.points:g} / {problem.max_points:g} points "
             f"({problem.split()})"]
    lines += [f"  - {s.name}: {s.sentence()}" for s in shown_checks(problem) if s.remarkable]
    return "\n".join(lines)
