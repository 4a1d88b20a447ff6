"""The ``autograder`` command.

    autograder grade ASSIGNMENT SUBMISSIONS --out DIR [--jobs N] [--timeout S]
                     [--cell-timeout S] [--load-timeout S] [--scheduler ADDRESS|local:N]
    autograder check ASSIGNMENT FILE [--timeout S] [--cell-timeout S] [--load-timeout S]
    autograder audit ASSIGNMENT
    autograder build [ASSIGNMENT ...]
    autograder release [ASSIGNMENT ...] [--course DIR]

Bad input (a missing path, an unknown assignment, a malformed notebook, a bad
option) gets a one-line error and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from . import report, sandbox, spec, submissions
from .submissions import SubmissionsError, discover

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if not 0 < value < float("inf"):  # also refuses nan and inf
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value
    return parse


def _timeout_options(parser: argparse.ArgumentParser) -> None:
    """``--timeout``, ``--cell-timeout`` and ``--load-timeout``, for ``grade`` and ``check``."""
    parser.add_argument("--timeout", type=_positive(float), default=sandbox.Limits.call_timeout,
                        help="seconds allowed per function call (default: %(default)s)")
    parser.add_argument("--cell-timeout", type=_positive(float), default=None,
                        help="seconds allowed per notebook cell (or top-level statement) while "
                             "loading; a slower one keeps only its definitions (default: the "
                             f"assignment's [grading] table, else {sandbox.Limits.cell_timeout:g})")
    parser.add_argument("--load-timeout", type=_positive(float), default=None,
                        help="seconds allowed to load one submission in all (default: the "
                             f"assignment's [grading] table, else {sandbox.Limits.load_timeout:g})")


def _limits(args, assignment: spec.Assignment) -> sandbox.Limits:
    """The sandbox limits: the command line's, then the assignment's, then the defaults."""
    from .grade import limits_for
    return limits_for(assignment, call_timeout=args.timeout, cell_timeout=args.cell_timeout,
                      load_timeout=args.load_timeout)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="autograder", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    g = sub.add_parser("grade", help="grade a whole class (TA)")
    g.add_argument("assignment", help="assignment name (e.g. ps1) or folder")
    g.add_argument("submissions", help="folder of .py/.ipynb files, or nbgrader's submitted/ layout")
    g.add_argument("--out", required=True, help="folder for the gradebook and reports")
    g.add_argument("--jobs", type=_positive(int), default=os.cpu_count() or 1,
                   help="submissions graded in parallel (default: number of CPUs)")
    g.add_argument("--scheduler", default=None,
                   help="grade on a Dask cluster: a scheduler's address (tcp://HOST:8786), or "
                        "local:N for N worker processes here (--jobs is then unused); "
                        "needs pip install '.[cluster]'")
    _timeout_options(g)

    c = sub.add_parser("check", help="check your own work on the public tests (student)")
    c.add_argument("assignment", help="assignment name (e.g. ps1) or folder")
    c.add_argument("file", help="your .py or .ipynb file")
    _timeout_options(c)

    b = sub.add_parser("build", help="generate source/<ps>/<ps>.ipynb from assignments/ (instructor)")
    b.add_argument("assignments", nargs="*", help="assignment names (default: all)")

    r = sub.add_parser("release", help="make release/<ps>/ for students with nbgrader (instructor)")
    r.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    r.add_argument("--course", default=None,
                   help="nbgrader course folder (default: this repository)")

    a = sub.add_parser("audit", help="grade known wrong and correct variants (instructor)")
    a.add_argument("assignment", help="assignment name (e.g. ps1) or folder")
    a.add_argument("--json", help="also write the audit as JSON to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        commands = {"grade": cmd_grade, "check": cmd_check, "audit": cmd_audit,
                    "build": cmd_build, "release": cmd_release}
        return commands[args.command](args)
    except (UsageError, spec.SpecError, SubmissionsError) as exc:
        print(f"autograder: error: {report.clean(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("autograder: interrupted", file=sys.stderr)
        return 130


# ---------------------------------------------------------------- grade

class Progress:
    """A one-line progress bar on stderr (a line per 10% when not a terminal)."""

    def __init__(self, total: int, stream=None):
        stream = stream or sys.stderr
        self.total, self.stream, self.start = total, stream, time.monotonic()
        self.tty = stream.isatty()
        self.last_decile = -1

    def __call__(self, done: int, total: int, result) -> None:
        rate = done / max(time.monotonic() - self.start, 1e-9)
        text = (f"[{'#' * (30 * done // total):<30}] {done}/{total} "
                f"({rate:.1f}/s) {report.clean(result.student)[:20]}: {result.status} "
                f"{result.points:g}")
        if self.tty:
            self.stream.write("\r" + text.ljust(100) + ("\n" if done == total else ""))
        elif 10 * done // total != self.last_decile or done == total:
            self.last_decile = 10 * done // total
            self.stream.write(text + "\n")
        self.stream.flush()


def cmd_grade(args) -> int:
    from .grade import grade_all, load_error
    assignment = spec.load(args.assignment)
    found = discover(args.submissions, assignment.name)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    limits = _limits(args, assignment)
    with _executor(args.scheduler, assignment) as executor:
        where = (executor.description if executor else
                 f"with {args.jobs} job(s); isolation: {sandbox.isolation_mode()}")
        print(f"grading {len(found)} submission(s) of {assignment.name} ({assignment.title}) "
              f"{where}", file=sys.stderr)
        gradable = [(s.student, s.path) for s in found if not s.problem]
        graded = iter(grade_all(gradable, assignment, jobs=args.jobs, limits=limits,
                                executor=executor,
                                progress=Progress(len(gradable)) if gradable else None))
    results = [load_error(s.student, s.path, assignment, s.problem) if s.problem else next(graded)
               for s in found]
    try:
        report.write_all(results, assignment, out)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write the reports ({exc.strerror})") from None
    print(report.gradebook_table(results, assignment))
    print(f"\nwrote {out}/gradebook.csv, results/, feedback/ and summary.md", file=sys.stderr)
    return 0


@contextlib.contextmanager
def _executor(scheduler: str | None, assignment: spec.Assignment):
    """None (``grade_all``'s local processes), or ``--scheduler``'s Dask cluster."""
    if not scheduler:
        yield None
        return
    from . import cluster
    try:
        with cluster.executor(scheduler, assignment) as pool:
            yield pool
    except cluster.ClusterError as exc:
        raise UsageError(str(exc)) from None


# ---------------------------------------------------------------- check

def cmd_check(args) -> int:
    from .grade import grade_submission
    assignment = spec.load(args.assignment)
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    if path.suffix not in (".py", ".ipynb"):
        raise UsageError(f"{path.name} is not a .py or .ipynb file")
    try:
        submissions.check_readable(path.resolve())  # the student's own file: links are fine
    except submissions.Unreadable as exc:
        raise UsageError(str(exc)) from None
    result = grade_submission(path.resolve(), assignment, public_only=True,
                              limits=_limits(args, assignment))
    print(format_check(result))
    ok = result.status == "graded" and all(c.passed for p in result.problems for c in p.checks)
    return 0 if ok else 1


def format_check(result) -> str:
    """Readable per-function feedback for a student's public check."""
    lines, clean = [], report.clean
    if result.status != "graded":
        lines += [f"Your file could not be graded ({result.status}): {clean(result.message)}", ""]
    elif result.message:
        lines += [f"Note: {clean(result.message)}", ""]
    for p in result.problems:
        if not p.checks:  # e.g. cases that need the grader's own fit/score functions
            lines.append(f"----  {p.name}  (no public test: it is checked when your TA grades)")
            continue
        failed = [c for c in p.checks if not c.passed]
        mark = "PASS" if not failed else "FAIL"
        split = f"; {p.split()}" if any(c.robust for c in p.checks) else ""  # hidden: robust
        lines.append(f"{mark}  {p.name}  ({len(p.checks) - len(failed)}/{len(p.checks)} public "
                     f"tests{split})")
        for c in failed:
            lines.append(f"      - {clean(c.name)}: {clean(c.message)}")
            if c.diagnosis:
                lines.append(f"        likely mistake: {clean(c.diagnosis)}")
    checked = [p for p in result.problems if p.checks]
    passed = sum(1 for p in checked if all(c.passed for c in p.checks))
    robustness = result.problems[0].robustness if result.problems else 0
    lines += ["", f"{passed} of {len(checked)} functions pass their public tests. "
              "Hidden tests run when your TA grades"
              + (f"; they include the robustness tests (bad input, dtype, inputs unchanged), "
                 f"worth {robustness:.0%} of each function's points." if robustness else ".")]
    return "\n".join(lines)


# ---------------------------------------------------------------- build, release

def _instructor_module(name: str):
    import importlib
    try:
        return importlib.import_module(f"autograder.{name}")
    except ImportError:
        raise UsageError(f"'{name}' is for instructors: it needs the full project "
                         "with reference/, not the student kit") from None


def cmd_build(args) -> int:
    build = _instructor_module("build")
    for name in args.assignments or spec.available():
        print(build.build(name))
    return 0


def cmd_release(args) -> int:
    release = _instructor_module("release")
    course = Path(args.course) if args.course else release.ROOT
    if not course.is_dir():
        raise UsageError(f"--course {course} is not a folder")
    for name in args.assignments or spec.available():
        try:
            print(release.release(name, course))
        except release.ReleaseError as exc:
            print(f"autograder: error: {exc}", file=sys.stderr)
            return 1
    return 0


# ---------------------------------------------------------------- audit

def cmd_audit(args) -> int:
    from .audit import audit, format_table
    assignment = spec.load(args.assignment)
    rows = audit(assignment)
    print(format_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_dict() for r in rows], indent=2))
    ok = all(r.caught == r.wrong and r.passed == r.right for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
