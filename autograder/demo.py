"""``make demo``: the reference tour, a sample class graded for ps1-ps5, and the release.

Writes into ``--out``: ``<ps>/class/`` (the generated submissions),
``<ps>/report/`` (gradebook, Gradescope results, feedback, summary, the class
report ``index.html`` and its similar submissions ``similar/``) and
``course/`` (an nbgrader course: ``source/`` and ``release/<ps>/`` for students).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import report, sandbox, similar, spec
from .cli import Progress
from .grade import grade_all
from .sample import make_class


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.demo", description=__doc__)
    parser.add_argument("--out", default="demo-out", help="output folder (default: %(default)s)")
    parser.add_argument("--assignments", nargs="*", default=None, help="default: all")
    args = parser.parse_args(argv)
    out = Path(args.out)

    from reference import tour
    print("== The reference, on the bundled data ==")
    tour.main()

    limits = sandbox.Limits(call_timeout=3, cell_timeout=3, load_timeout=10)
    names = args.assignments or spec.available()
    print(f"\n== Grading a sample class for {', '.join(names)} "
          f"(isolation: {sandbox.isolation_mode()}) ==")
    for name in names:
        assignment = spec.load(name)
        paths = make_class(assignment, out / name / "class")
        start = time.monotonic()
        results = grade_all([(p.stem, p) for p in paths], assignment, limits=limits,
                            progress=Progress(len(paths)))
        similar.run(assignment, out / name / "class", out / name / "report" / "similar")
        report.write_all(results, assignment, out / name / "report")
        print(f"\n-- {name}: {assignment.title} ({len(paths)} submissions in "
              f"{time.monotonic() - start:.1f} s) --")
        print(report.gradebook_table(results, assignment))
        print(f"reports: {out / name / 'report'}")
        print(f"class report: {(out / name / 'report' / 'index.html').resolve()}")

    from .release import ReleaseError, release
    course = out / "course"
    print(f"\n== Building and releasing {', '.join(names)} into {course} ==")
    for name in names:
        if not (spec.load(name).folder / "notebook.md").is_file():
            print(f"{name}: no narrative yet (assignments/{name}/notebook.md); not released")
            continue
        try:
            print(f"{name}: {release(name, course)}")
        except ReleaseError as exc:
            print(f"{name}: release failed: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
