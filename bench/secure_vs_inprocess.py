"""What does the sandbox cost?  The same checks, secure and in-process, side by side.

Generates N submissions per assignment (correct and buggy mixed, from the
reference and the library of known mistakes), then grades them twice in one
run: through the secure path (bubblewrap worker per submission) and with the
student code called in the grader's own process.  Prints submissions per
second for each and their ratio.  Target: secure within 2x of in-process.

    .venv/bin/python bench/secure_vs_inprocess.py [--n 200] [--jobs 2]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from autograder import flatten, mistakes, sandbox, spec  # noqa: F401  (mistakes: registers them)
from autograder.cases import MISTAKES
from autograder.grade import grade_all


def make_submissions(assignment, folder: Path, n: int, seed: int = 0) -> list[tuple[str, Path]]:
    rng = np.random.default_rng(seed)
    ref = flatten.reference_source()
    wrong = [(fn, m[1]) for fn in assignment.points for m in MISTAKES.get(fn, [])]
    subs = []
    for k in range(n):
        body = ref
        if k % 3:  # two thirds buggy, one to three mistakes each
            for i in rng.choice(len(wrong), size=1 + k % 3, replace=False):
                body += "\n\n" + flatten.function_source(wrong[i][1], wrong[i][0]) + "\n"
        path = folder / f"s{k:04d}.py"
        path.write_text(body)
        subs.append((path.stem, path))
    return subs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions per assignment")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignments", nargs="*", default=["ps1", "ps3"])
    args = parser.parse_args()
    print(f"isolation: {sandbox.isolation_mode()}; {args.n} submissions per assignment; "
          f"{args.jobs} jobs")
    print(f"{'assignment':<10} {'secure/s':>10} {'in-process/s':>13} {'ratio':>7} {'same scores':>12}")
    for name in args.assignments:
        assignment = spec.load(name)
        with tempfile.TemporaryDirectory() as tmp:
            subs = make_submissions(assignment, Path(tmp), args.n)
            rates, scores = {}, {}
            for isolated in (True, False):
                start = time.perf_counter()
                results = grade_all(subs, assignment, jobs=args.jobs, isolated=isolated)
                rates[isolated] = len(subs) / (time.perf_counter() - start)
                scores[isolated] = [r.points for r in results]
        same = scores[True] == scores[False]
        print(f"{name:<10} {rates[True]:>10.1f} {rates[False]:>13.1f} "
              f"{rates[False] / rates[True]:>6.2f}x {str(same):>12}")


if __name__ == "__main__":
    main()
