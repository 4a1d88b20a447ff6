"""Scale: grade synthetic ps1 classes of 100 to 10,000 submissions, locally and on Dask.

    .venv/bin/python bench/scale.py --n 100 [--workers 2] [--modes local,cluster] [--baseline 40]
    .venv/bin/python bench/scale.py --pipeline 1000,10000

The class comes from ``sample.make_class``'s generator, one seed per 23 files, mixed
as a real class: half correct, 45% with known mistakes, 4% broken (syntax error,
missing function, untouched stubs, malformed notebook) and 1% hostile (hangs at
import, exits, forks forever, patches numpy, imports the reference), a quarter of
them notebooks.  Each mode runs in a fresh process, as ``autograder grade`` does:
discovery, ``grade_all`` (``--jobs W``, or a ``LocalCluster`` of W one-thread
workers), then the reports, each phase timed, and the grading process's peak RSS
(the TA's process; sandbox and Dask workers are not counted).  It prints one
Markdown row per mode:

* submissions per second, and seconds per submission per core (wall x W / n:
  flat in n means no step grows faster than the class);
* the grader's CPU seconds per submission: this process and the processes it
  waited for (grading processes, Dask nannies and workers), grading and reports
  included, a cost that the machine's other load does not inflate.  The sandbox
  workers' CPU is not in it: they are reaped inside their own pid namespace;
* per-core efficiency: that rate over W times the rate of one process grading
  the first ``--baseline`` submissions alone (``--jobs 1``);
* the discovery, report and summary seconds per 1,000 submissions;
* on the cluster, the scheduler's overhead per task: the wall time per task of
  shipping each submission's bytes to a worker and back through the same
  executor, with no grading (``len`` instead);
* the machine's load average over 5 minutes (other users' processes slow the
  wall-clock figures).

``--pipeline`` times discovery and the reports alone, for class sizes too large
to grade on one machine: discovery of one-line files, and the reports of real
graded rows (one sample class's, repeated).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import grade, report, sample, spec, submissions  # noqa: E402  (found through the path set above)

#: Of every 100 submissions: which kind of sample file fills each position.
MIX = ["correct"] * 50 + ["mistaken"] * 45 + ["broken"] * 4 + ["malicious"]
#: Sample classes generated at most (23 files each); past them, files repeat.
SEEDS = 40


def make_class(n: int, folder: Path, assignment: spec.Assignment) -> None:
    """Write ``n`` submissions into ``folder``: ``MIX``, drawn from sample classes of
    seeds 0, 1, ... in turn (at most :data:`SEEDS`, then each kind's files cycle)."""
    folder.mkdir(parents=True, exist_ok=True)
    pools: dict[str, list[Path]] = {kind: [] for kind in set(MIX)}
    taken = dict.fromkeys(pools, 0)
    parts, seed = folder.parent / f"{folder.name}-parts", 0
    for i in range(n):
        kind = MIX[i % len(MIX)]
        while taken[kind] >= len(pools[kind]) and seed < SEEDS:  # used up: one more seed
            for path in sample.make_class(assignment, parts / str(seed), seed=seed):
                pools[path.name.split("_")[0]].append(path)
            seed += 1
        path = pools[kind][taken[kind] % len(pools[kind])]
        taken[kind] += 1
        shutil.copyfile(path, folder / f"{i:05d}_{path.name}")
    shutil.rmtree(parts)


def run(mode: str, folder: Path, out: Path, workers: int, limit: int | None) -> dict:
    """One grading, as ``autograder grade`` does it, each phase timed (in this process)."""
    assignment = spec.load("ps1")
    t0 = time.perf_counter()
    found = submissions.discover(folder, assignment.name)[:limit]
    discover_s = time.perf_counter() - t0
    gradable = [(s.student, s.path) for s in found if not s.problem]
    overhead = None
    if mode == "cluster":
        from autograder import cluster
        with cluster.executor(f"local:{workers}", assignment) as pool:
            t1 = time.perf_counter()  # the cluster's start is not the class's cost
            graded = grade.grade_all(gradable, assignment, executor=pool)
            t2 = time.perf_counter()
            overhead = _scheduler_overhead(pool, gradable)
    else:
        t1 = time.perf_counter()
        graded = grade.grade_all(gradable, assignment, jobs=workers)
        t2 = time.perf_counter()
    cpu_s = sum(_cpu(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    graded = iter(graded)
    results = [grade.load_error(s.student, s.path, assignment, s.problem) if s.problem
               else next(graded) for s in found]
    report.write_all(results, assignment, out)
    t3 = time.perf_counter()
    report.summary_markdown(results, assignment)
    report.summary_plot(results, assignment, out / "summary-again.png")
    t4 = time.perf_counter()
    statuses = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return {"mode": mode, "n": len(found), "workers": workers, "discover_s": discover_s,
            "grade_s": t2 - t1, "cpu_s": cpu_s, "load": os.getloadavg()[1],
            "reports_s": t3 - t2, "summary_s": t4 - t3,
            "overhead_s": overhead, "statuses": statuses,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _cpu(who) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _scheduler_overhead(pool, gradable) -> float:
    """Seconds per task of shipping each submission to a worker and back, not graded."""
    import concurrent.futures as cf
    import zlib

    from autograder.cluster import ShippedJob
    jobs = [ShippedJob(s, str(p), zlib.compress(p.read_bytes(), 6), "ps1", pool.version, None)
            for s, p in gradable]
    start = time.perf_counter()
    for fut in cf.as_completed([pool.submit(_noop, job) for job in jobs]):
        fut.result()
    return (time.perf_counter() - start) / max(len(jobs), 1)


def _noop(job) -> int:
    return len(job.data)


def pipeline(sizes: list[int]) -> None:
    """Time the steps around grading alone, for classes too large to grade here.

    Discovery of ``n`` one-line files; then rows of real size (the graded results of
    one sample class, minus its two slow hostile files, each copied through pickle as
    a cluster's arrive) for the reports and the summary, and this process's peak RSS.
    """
    assignment = spec.load("ps1")
    tmp = Path(tempfile.mkdtemp(prefix="scale-pipeline-"))
    try:
        paths = [p for p in sample.make_class(assignment, tmp / "sample")
                 if p.name not in ("malicious_hangs_at_import.py", "malicious_forks_forever.py")]
        real = grade.grade_all([(p.stem, p) for p in paths], assignment)
        print("| n | discover s | reports s/1k | summary s/1k | peak RSS MB |\n|---|---|---|---|---|")
        for n in sizes:
            folder = tmp / str(n)
            folder.mkdir()
            for i in range(n):
                (folder / f"s{i:06d}.py").write_text("x = 1\n")
            t0 = time.perf_counter()
            found = submissions.discover(folder, assignment.name)
            t1 = time.perf_counter()
            rows = [dataclasses.replace(pickle.loads(pickle.dumps(real[i % len(real)])),
                                        student=s.student, path=str(s.path))
                    for i, s in enumerate(found)]
            t2 = time.perf_counter()
            report.write_all(rows, assignment, folder / "out")
            t3 = time.perf_counter()
            report.summary_markdown(rows, assignment)
            t4 = time.perf_counter()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| {n:,} | {t1 - t0:.2f} | {(t3 - t2) * 1000 / n:.1f} | "
                  f"{(t4 - t3) * 1000 / n:.3f} | {rss:.0f} |", flush=True)
            del rows
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def child(mode: str, folder: Path, workers: int, limit: int | None) -> dict:
    """Run :func:`run` in a fresh Python, so that its peak memory is its own."""
    out = Path(tempfile.mkdtemp(prefix=f"scale-{mode}-"))
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--class-dir", str(folder),
             "--out", str(out), "--workers", str(workers)]
            + (["--limit", str(limit)] if limit else []),
            capture_output=True, text=True, check=False)
        if proc.returncode:
            raise SystemExit(f"{mode} failed:\n{proc.stderr[-3000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def row(r: dict, base_rate: float | None) -> str:
    rate = r["n"] / r["grade_s"]
    eff = f"{rate / (r['workers'] * base_rate):.0%}" if base_rate else "-"
    per_k = 1000 / r["n"]
    over = f"{1000 * r['overhead_s']:.1f} ms" if r["overhead_s"] is not None else "-"
    return (f"| {r['mode']} | {r['n']:,} | {r['workers']} | {rate:.2f} | "
            f"{r['grade_s'] * r['workers'] / r['n']:.2f} | {r['cpu_s'] / r['n']:.2f} | {eff} | "
            f"{r['peak_rss_mb']:.0f} | "
            f"{r['discover_s'] * per_k:.3f} | {r['reports_s'] * per_k:.2f} | "
            f"{r['summary_s'] * per_k:.3f} | {over} | {r['load']:.1f} |")


HEADER = ("| mode | n | cores | subs/s | core-s/sub | grader CPU-s/sub | per-core eff. | "
          "peak RSS MB | discover s/1k | reports s/1k | summary s/1k | sched. overhead/task | load (5 min) |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100, help="submissions (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="grading processes, locally and on the cluster (default: CPUs)")
    parser.add_argument("--modes", default="local,cluster", help="default: %(default)s")
    parser.add_argument("--baseline", type=int, default=40,
                        help="submissions graded by one process for the per-core efficiency "
                             "(0: skip; default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the generated class")
    parser.add_argument("--pipeline", default=None,
                        help="instead, time discovery and reports alone for these class "
                             "sizes, e.g. 1000,10000")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--class-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child, args.class_dir, args.out, args.workers, args.limit)))
        return 0
    if args.pipeline:
        pipeline([int(n) for n in args.pipeline.split(",")])
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="scale-"))
    try:
        start = time.perf_counter()
        make_class(args.n, tmp / "class", spec.load("ps1"))
        print(f"generated {args.n} submissions in {time.perf_counter() - start:.1f} s "
              f"({tmp / 'class'})", file=sys.stderr)
        base_rate = None
        if args.baseline:
            base = child("local", tmp / "class", 1, args.baseline)
            base_rate = base["n"] / base["grade_s"]
            print(f"one process: {base_rate:.2f} submissions/s on the first {base['n']}",
                  file=sys.stderr)
        print(HEADER)
        for mode in args.modes.split(","):
            result = child(mode, tmp / "class", args.workers, None)
            print(row(result, base_rate), flush=True)
            print(f"  {mode}: {json.dumps(result)}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
