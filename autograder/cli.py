"""The ``autograder`` command.

    autograder grade ASSIGNMENT SUBMISSIONS --out DIR [--jobs N] [--force] [--timeout S]
                     [--cell-timeout S] [--load-timeout S] [--scheduler ADDRESS|local:N]
    autograder check ASSIGNMENT FILE [--timeout S] [--cell-timeout S] [--load-timeout S]
    autograder audit ASSIGNMENT
    autograder export canvas GRADEBOOK ROSTER --out FILE [--match sis_login|email]
                     [--points N] [--late TIMES.csv --late-policy POLICY]
                     [--title T] [--assignment-id ID]
    autograder build [ASSIGNMENT ...]
    autograder release [ASSIGNMENT ...] [--course DIR]
    autograder gradescope ASSIGNMENT [--out DIR]
    autograder similar ASSIGNMENT SUBMISSIONS --out DIR [--threshold T]

Bad input (a missing path, an unknown assignment, a malformed notebook, a bad
option) gets a one-line error and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from . import canvas, feedback, journal, report, sandbox, spec, submissions
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


def _share(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


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
    g.add_argument("--force", action="store_true",
                   help="grade every submission again, even those the journal in "
                        "OUT/ta/results.jsonl already holds")
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

    e = sub.add_parser("export", help="export a gradebook for a learning platform (TA)")
    targets = e.add_subparsers(dest="target", required=True, parser_class=_Parser)
    cv = targets.add_parser("canvas", help="a CSV for Canvas's gradebook import")
    cv.add_argument("gradebook", help="the gradebook.csv of autograder grade")
    cv.add_argument("roster", help="the course's gradebook export from Canvas (Grades > Export)")
    cv.add_argument("--out", required=True, help="the CSV to write, for Grades > Import")
    cv.add_argument("--match", choices=canvas.MATCH_RULES, default="sis_login",
                    help="how student ids find roster rows (default: %(default)s)")
    cv.add_argument("--points", type=_positive(float), default=None,
                    help="the assignment's points in Canvas (default: the gradebook's max)")
    cv.add_argument("--late", default=None, metavar="SUBMISSION_TIMES.csv",
                    help="columns student, submitted, due (ISO 8601 times)")
    cv.add_argument("--late-policy", default=None, metavar="POLICY",
                    help="e.g. '10%%/day, max 3 days' (with --late)")
    cv.add_argument("--title", default="",
                    help="the assignment's name in Canvas (default: the gradebook's folder)")
    cv.add_argument("--assignment-id", default=None,
                    help="Canvas's id of the assignment (without it, the import makes a new one)")

    gs = sub.add_parser("gradescope", help="write <ps>-gradescope.zip, a Gradescope autograder "
                                           "(instructor)")
    gs.add_argument("assignment", help="assignment name (e.g. ps1) or folder")
    gs.add_argument("--out", default=".", help="folder for the zip (default: %(default)s)")
    s = sub.add_parser("similar", help="find pairs of similar submissions (TA)")
    s.add_argument("assignment", help="assignment name (e.g. ps1) or folder")
    s.add_argument("submissions", help="folder of .py/.ipynb files, or nbgrader's submitted/ layout")
    s.add_argument("--out", required=True,
                   help="folder for the pages (the grade's --out folder + /similar: linked "
                        "from its index.html)")
    s.add_argument("--threshold", type=_share, default=None,
                   help="report pairs from this score on, 0-1 (default: 0.7)")

    a = sub.add_parser("audit", help="grade known wrong and correct variants (instructor)")
    a.add_argument("assignment", help="assignment name (e.g. ps1) or folder")
    a.add_argument("--json", help="also write the audit as JSON to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        commands = {"grade": cmd_grade, "check": cmd_check, "audit": cmd_audit,
                    "build": cmd_build, "release": cmd_release, "export": cmd_export,
                    "gradescope": cmd_gradescope,
                    "similar": cmd_similar}
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
    with _open_journal(out, assignment, limits) as ledger, \
            _executor(args.scheduler, assignment) as executor:
        gradable = [s for s in found if not s.problem]
        todo = ledger.plan(gradable, force=args.force)
        where = (executor.description if executor else
                 f"with {args.jobs} job(s); isolation: {sandbox.isolation_mode()}")
        print(f"grading {len(todo)} of {len(found)} submission(s) of {assignment.name} "
              f"({assignment.title}) {where}", file=sys.stderr)
        if len(todo) < len(gradable):
            print(f"resuming: {len(gradable) - len(todo)} already graded in {ledger.path} "
                  "(--force grades them again)", file=sys.stderr)
        bar = Progress(len(todo))

        def finished(done: int, total: int, result) -> None:  # every result comes here
            ledger.append(result)
            bar(done, total, result)
        grade_all([(s.student, s.path) for s in todo], assignment, jobs=args.jobs,
                  limits=limits, executor=executor, progress=finished)
        # Rendered from the journal, graded now or before alike (see autograder.journal).
        results = [load_error(s.student, s.path, assignment, s.problem) if s.problem
                   else ledger.result(s.student) for s in found]
        try:
            report.write_all(results, assignment, out)
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot write the reports ({exc.strerror})") from None
    print(report.gradebook_table(results, assignment))
    print(f"\nwrote {out}/gradebook.csv, results/, feedback/ and summary.md", file=sys.stderr)
    return 0


def _open_journal(out: Path, assignment: spec.Assignment, limits) -> journal.Journal:
    """``OUT/ta/results.jsonl``, open and locked, with a warning for the lines it cannot read."""
    try:
        ledger = journal.Journal(out / "ta" / "results.jsonl",
                                 journal.battery_version(assignment, limits))
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot open the journal ({exc.strerror})") from None
    except journal.Busy as exc:
        raise UsageError(f"--out {out}: {exc}; wait for it, or choose another --out") from None
    if ledger.skipped:
        print(f"warning: skipped {ledger.skipped} unreadable line(s) of {ledger.path}; "
              "their submissions are graded again", file=sys.stderr)
    return ledger


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
    print(feedback.check_report(result))
    ok = result.status == "graded" and all(c.passed for p in result.problems for c in p.checks)
    return 0 if ok else 1


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


# ---------------------------------------------------------------- export

def cmd_export(args) -> int:
    """``export canvas``: the summary on stderr; status 1 when a graded student is left out."""
    try:
        policy = canvas.parse_policy(args.late_policy) if args.late_policy is not None else None
        done = canvas.export(args.gradebook, args.roster, args.out, rule=args.match,
                             points=args.points, late=args.late, policy=policy,
                             title=args.title, assignment_id=args.assignment_id)
    except canvas.CanvasError as exc:
        raise UsageError(str(exc)) from None
    print("\n".join(done.summary(args.out, args.match)), file=sys.stderr)
    return 1 if done.lost else 0


# ---------------------------------------------------------------- gradescope

def cmd_gradescope(args) -> int:
    gradescope = _instructor_module("gradescope")
    assignment = spec.load(args.assignment)
    try:
        path = gradescope.build_zip(assignment, Path(args.out))
    except gradescope.GradescopeError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot write the zip ({exc.strerror})") from None
    print(path)
    return 0


# ---------------------------------------------------------------- similar

def cmd_similar(args) -> int:
    similar = _instructor_module("similar")
    assignment = spec.load(args.assignment)
    out = Path(args.out)
    try:
        pairs = similar.run(assignment, args.submissions, out,
                            threshold=args.threshold or similar.THRESHOLD)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write the pages ({exc.strerror})") from None
    for p in pairs:
        print(f"{p.score:5.0%}  {report.clean(p.a.student)}  {report.clean(p.b.student)}")
    print(f"{len(pairs)} similar pair(s); wrote {out}/index.html", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- audit

def cmd_audit(args) -> int:
    from .audit import audit, format_table, rule_coverage
    assignment = spec.load(args.assignment)
    rows = audit(assignment)
    coverage = rule_coverage(assignment, rows)
    print(format_table(rows))
    print(coverage.format())
    if args.json:
        Path(args.json).write_text(json.dumps({"functions": [r.to_dict() for r in rows],
                                               "rules": dataclasses.asdict(coverage)}, indent=2))
    ok = all(r.caught == r.wrong and r.passed == r.right for r in rows) and not coverage.uncovered
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
