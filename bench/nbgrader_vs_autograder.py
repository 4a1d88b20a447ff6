"""``autograder grade`` against ``nbgrader autograde`` on the same notebooks, side by side.

Releases ps1 into a scratch nbgrader course, makes N student notebooks in
nbgrader's ``submitted/`` layout (honest and buggy mixed, from the reference and
the library of known mistakes), then times ``nbgrader autograde ps1`` and
``autograder grade ps1`` on them in one run.  Prints both times, the ratio and
whether every student's points agree.  Both grade in the sandbox (nbgrader's
autograde step is ``SandboxGrade``, see ``nbgrader_config.py``); nbgrader does
it one notebook at a time, with its own bookkeeping around each.

    .venv/bin/python bench/nbgrader_vs_autograder.py [--n 40] [--assignment ps1]
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np

from autograder import flatten, mistakes, sandbox, spec  # noqa: F401  (mistakes: registers them)
from autograder.cases import MISTAKES
from autograder.grade import grade_all
from autograder.release import release, run_nbgrader


def make_class(name: str, course: Path, n: int) -> None:
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    solution = {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        l for l in c.source.splitlines() if "### " not in l)
        for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    released = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    fns = list(spec.load(name).points)
    wrong = [(fn, m[1]) for fn in fns for m in MISTAKES.get(fn, [])]
    rng = np.random.default_rng(0)
    for k in range(n):
        nb = nbformat.from_dict(json.loads(json.dumps(released)))
        bad = {}
        if k % 3:
            for i in rng.choice(len(wrong), size=1 + k % 3, replace=False):
                bad[wrong[i][0]] = flatten.function_source(wrong[i][1], wrong[i][0])
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = bad.get(gid, solution[gid])
        target = course / "submitted" / f"student{k:03d}" / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--assignment", default="ps1")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    name = args.assignment
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        release(name, course)
        make_class(name, course, args.n)
        print(f"{args.n} notebooks of {name}; isolation: {sandbox.isolation_mode()}", flush=True)

        start = time.perf_counter()
        proc = run_nbgrader(["autograde", name, "--force"], course, timeout=7200)
        t_nbgrader = time.perf_counter() - start
        if proc.returncode:
            sys.exit(proc.stderr[-2000:])
        run_nbgrader(["export", f"--to={course / 'grades.csv'}"], course)
        theirs = {r["student_id"]: float(r["score"]) for r in csv.DictReader(open(course / "grades.csv"))
                  if r["assignment"] == name}

        subs = [(s.name, s / name / f"{name}.ipynb") for s in sorted((course / "submitted").iterdir())]
        start = time.perf_counter()
        results = grade_all(subs, spec.load(name), jobs=args.jobs)
        t_ours = time.perf_counter() - start
        ours = {r.student: r.points for r in results}

    agree = all(abs(ours[s] - theirs.get(s, -1)) < 1e-3 for s in ours)
    print(f"nbgrader autograde: {t_nbgrader:8.2f} s  ({t_nbgrader / args.n:.3f} s/notebook)")
    print(f"autograder grade:   {t_ours:8.2f} s  ({t_ours / args.n:.3f} s/notebook, {args.jobs} jobs)")
    print(f"ratio: {t_nbgrader / t_ours:.1f}x faster; scores agree: {agree}")


if __name__ == "__main__":
    main()
