"""The hostile-class soak: a class with hostile submissions in it, graded by the real CLI.

Honest submissions (the flattened reference, correct and mistaken variants from
:func:`autograder.sample.make_class`) and hostile ones (the hardening issue's
findings, reused from ``test_attacks``, plus CPU hogs, fork and thread bombs and
stdout floods) are graded together with ``autograder grade ... --jobs 2`` as a
subprocess, per assignment (ps2 and ps4, their real specs).  The promise:

- every honest row is byte-identical to its row when the honest subset is graded alone:
  its gradebook row, its results JSON (minus the timing) and its feedback (the worker
  seeds the global RNGs, so even a submission that draws from ``np.random`` is no exception);
- every hostile row loses at most the points of what it attacks, and a row whose
  code probes the sandbox (namespaces, scratch, trusted callbacks) scores full
  points only because the probe found the sandbox holding;
- the grader's processes stay under :data:`GRADER_BOUND_MB` of summed peak RSS;
- the class takes at most :data:`TIME_FACTOR` times as long as the honest subset, plus
  what each hostile row may spend of its own time limits;
- nothing is left: no process of a sandbox uid, no scratch dir, no cgroup.

Everything runs inside an outer cgroup v1 memory group of :data:`OUTER_MB` that
the soak makes and removes, so a regression cannot take the machine down.  The
suite grades 30 submissions (12 hostile); ``bench/soak.py`` grades 100 (20 hostile).
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from test_attacks import (
    ABUSES_CALLBACKS,
    ATTACKS,
    CONTROL,
    FAKES_PURITY,
    FILL,
    FLOOD,
    HOARD,
    HUGE_TYPE_NAME,
    NAMESPACES,
    NEVER_READS,
    REMEMBERS,
    _every_text,
    _malformed_notebooks,
)
from test_reports import student_facing

from autograder import cases, cgroups, flatten, isolation, report, sample, sandbox, slots, spec

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT                     # the checkout whose ``autograder grade`` is soaked
JOBS = 2
TIMEOUT, LOAD_TIMEOUT = 2.0, 6.0  # the CLI's --timeout and --load-timeout, in seconds
GRADER_BOUND_MB = 1024            # summed peak RSS of the grader's processes, --jobs 2
TIME_FACTOR = 3                   # the class's time over the honest subset's
OUTER_MB = 6144                   # the outer memory cgroup around the whole soak
RUN_WALL = 900                    # seconds before a hung grader is killed
MEMORY_V1 = Path("/sys/fs/cgroup/memory")

# A thread bomb: no finding has one.
THREADS = """\
def _threads():
    import threading, time
    while True:
        try:
            threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
        except RuntimeError:
            pass
"""


# ---------------------------------------------------------------- the class

def _appended(snippet: str) -> str:
    """The reference with ``snippet`` appended (it replaces the functions it defines)."""
    return flatten.reference_source() + "\n" + textwrap.dedent(snippet)


def _aim(snippet: str, entry: str, fns, call: str = "np.zeros(3)") -> str:
    """The reference with ``snippet`` appended and each of ``fns`` replaced by a call of
    ``entry(call)``: an attack written against one function, aimed at others.

    ``entry`` itself is put back to the reference's, for the functions that use it."""
    wrappers = "".join(f"\ndef {fn}(*args, **kwargs):\n    return _attack({call})\n"
                       for fn in fns)
    restore = f"\n_attack = {entry}\n{entry} = getattr(ref, {entry!r}, {entry})\n"
    return _appended(snippet) + restore + wrappers


def _probe(snippet: str, fn: str, held: str) -> str:
    """The reference with ``snippet`` appended and ``fn`` answering correctly only if the
    expression ``held`` (run at import, within the load timeout) finds that the sandbox held."""
    return _appended(snippet) + textwrap.dedent(f"""
        _HELD = bool({held})
        _honest_{fn} = {fn}
        def {fn}(*args, **kwargs):
            return _honest_{fn}(*args, **kwargs) if _HELD else None
        """)


ANSI_ERROR = ("def l1_grad(W, lam, m):\n    raise ValueError('\\x1b[2J\\x1b[1A\\ralice 23/23 "
              "graded\\x1b]0;pwned\\x07\\x9b31m\\u202e')\n")


@dataclasses.dataclass(frozen=True)
class Hostile:
    """One hostile submission.

    Attributes
    ----------
    name : str
        The file's stem (the student's id).
    assignment : str
    source : str or None
        The file's text; None for a file :func:`_write_hostile` makes in its own way.
    targets : tuple of str
        The functions it attacks: they must lose points (unless ``holds``).
    holds : bool
        A probe of the sandbox: full points mean the sandbox held.
    status : str
        The row's status.
    suite : bool
        Part of the suite's smaller soak (the rest run in ``bench/soak.py``).
    """

    name: str
    assignment: str
    source: str | None
    targets: tuple[str, ...] = ()
    holds: bool = False
    status: str = "graded"
    suite: bool = True


def hostile_class() -> list[Hostile]:
    """The 20 hostile submissions, 12 of them in the suite."""
    loop, forks = ATTACKS["loop in a function"], ATTACKS["fork bomb"]
    return [
        # ps2: the channel (findings 1-3), hogs, bombs, floods
        Hostile("never_reads_replies", "ps2", _appended(NEVER_READS), ("gradient_descent",)),
        Hostile("forges_frames", "ps2", _appended(FLOOD), ("gradient_descent",)),
        Hostile("huge_type_name", "ps2", _aim(HUGE_TYPE_NAME, "tanh_grad", ["step_decay"]),
                ("step_decay",)),
        Hostile("cpu_hog", "ps2", _aim(loop, "sigmoid", ["inverse_time_decay",
                                                         "exponential_decay", "step_decay"]),
                ("inverse_time_decay", "exponential_decay", "step_decay")),
        Hostile("fork_bomb", "ps2", _aim(forks, "sigmoid", ["inverse_sqrt_decay"]),
                ("inverse_sqrt_decay",)),
        Hostile("thread_bomb", "ps2", _aim(THREADS, "_threads", ["inverse_time_decay"], call=""),
                ("inverse_time_decay",), suite=False),
        Hostile("floods_stdout", "ps2", _aim(ATTACKS["flood stdout with 1 GB"], "sigmoid",
                                             ["exponential_decay"]),
                ("exponential_decay",), suite=False),
        # ps4: callbacks (finding 4), the sandbox as a whole (5-7), files and reports (8-13)
        Hostile("abuses_callbacks", "ps4", _appended(ABUSES_CALLBACKS), ("cross_validate",),
                holds=True),
        Hostile("children_hoard_memory", "ps4", _aim(HOARD, "hoard", ["dropout_backward"],
                                                     call="6, 512"), ("dropout_backward",)),
        Hostile("unshares", "ps4", _probe(NAMESPACES, "l2_penalty", "make_namespaces() == []"),
                ("l2_penalty",), holds=True),
        Hostile("fills_scratch", "ps4",
                _probe(FILL, "l1_penalty", "(lambda w, n: w < 512 << 20 and n < 20000)"
                                           "(*fill(512, 20000))"),
                ("l1_penalty",), holds=True),
        Hostile("fakes_purity", "ps4", _appended(FAKES_PURITY.format(fn="l2_grad")), ("l2_grad",)),
        Hostile("copycat_link", "ps4", None, status="load-error"),
        Hostile('=HYPERLINK("evil.example","click")\x1b[2K', "ps4",
                flatten.reference_source() + "\n" + ANSI_ERROR, ("l1_grad",)),
        Hostile("deep_notebook", "ps4", None, status="load-error", suite=False),
        Hostile("n" * 252, "ps4", flatten.reference_source(), holds=True, suite=False),
        Hostile("leaks_hidden_inputs", "ps4",
                _aim(REMEMBERS, "peek", ["early_stopping"],
                     call="probe(np.asarray(args[0], float))"),
                ("early_stopping",), suite=False),
        Hostile("cpu_hog_ps4", "ps4", _aim(loop, "sigmoid", ["augment_noise", "augment_flip",
                                                             "augment_shift"]),
                ("augment_noise", "augment_flip", "augment_shift"), suite=False),
        Hostile("allocates_50_gb", "ps4", _aim(ATTACKS["allocate 50 GB"], "sigmoid",
                                               ["dropout_forward"]),
                ("dropout_forward",), suite=False),
        Hostile("fork_bomb_ps4", "ps4", _aim(forks, "sigmoid", ["train_val_test_split"]),
                ("train_val_test_split",), suite=False),
    ]


def _write_hostile(h: Hostile, folder: Path, spare: Path) -> None:
    """Write ``h`` into ``folder``; ``spare`` is a folder outside it, for link targets."""
    if h.name == "copycat_link":  # finding 8: a link to another student's file
        target = spare / "classmate.py"
        target.write_text(flatten.reference_source())
        (folder / "copycat_link.py").symlink_to(target)
    elif h.name == "deep_notebook":  # finding 13: nesting that would blow a parser's stack
        made = _malformed_notebooks(spare / "malformed")
        shutil.copy(made["deep"], folder / "deep_notebook.ipynb")
    else:
        (folder / f"{h.name}.py").write_text(h.source, encoding="utf-8")


def honest_class(assignment: spec.Assignment, folder: Path, n: int) -> list[Path]:
    """``n`` honest submissions (correct, mistaken and broken) from :func:`sample.make_class`,
    over as many seeds as it takes, without its malicious ones."""
    chosen: list[Path] = []
    for seed in range(n):
        pool = sample.make_class(assignment, folder / f"pool{seed}", seed=seed)
        honest = [p for p in pool if not p.name.startswith("malicious_")]
        for p in honest[: n - len(chosen)]:
            chosen.append(p.rename(folder / f"s{seed}_{p.name}"))
        shutil.rmtree(folder / f"pool{seed}")
        if len(chosen) == n:
            return chosen
    raise AssertionError(f"make_class gave fewer than {n} honest submissions")


# ---------------------------------------------------------------- the outer cgroup

@contextlib.contextmanager
def outer_cgroup(limit_mb: int = OUTER_MB):
    """A cgroup v1 memory group of ``limit_mb`` under this process's own; removed after.

    Yields its path.  Processes put in it are killed at exit, by pid, if any are left.
    """
    own = next((line.split(":", 2)[2] for line in Path("/proc/self/cgroup").read_text().split()
                if line.split(":")[1] == "memory"), None)
    if own is None or not (MEMORY_V1 / "memory.limit_in_bytes").exists():
        pytest.skip("needs a cgroup v1 memory hierarchy at /sys/fs/cgroup/memory")
    path = MEMORY_V1 / own.lstrip("/") / f"soak-{os.getpid()}"
    try:
        path.mkdir()
    except OSError as exc:
        pytest.skip(f"cannot make a memory cgroup at {path}: {exc.strerror}")
    try:
        (path / "memory.limit_in_bytes").write_text(str(limit_mb << 20))
        if (path / "memory.memsw.limit_in_bytes").exists():
            (path / "memory.memsw.limit_in_bytes").write_text(str(limit_mb << 20))
        yield path
    finally:
        for cg in sorted(path.rglob("cgroup.procs"), key=lambda p: -len(p.parts)):
            cgroups.remove_cgroup(cg.parent)  # kills what is left, then rmdir


def cgroup_pids(path: Path) -> list[int]:
    """Every process in the cgroup at ``path`` and in its descendants."""
    return [int(p) for f in path.rglob("cgroup.procs") for p in cgroups._read(f).split()]


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _sandbox_uid(uid: int) -> bool:
    return isolation.UID_BASE <= uid < isolation.UID_BASE + isolation.UID_COUNT


class Sampler(threading.Thread):
    """Samples the grader's processes (the outer cgroup's own, minus sandbox uids) every
    ``period`` seconds: the largest sum of their peak RSS (VmHWM), and the sandbox uids
    whose worker cgroups appeared under it."""

    def __init__(self, cgroup: Path, period: float = 0.05):
        super().__init__(daemon=True)
        self.cgroup, self.period = cgroup, period
        self.peak_mb, self.most_processes, self.uids = 0.0, 0, set()
        self.stop = threading.Event()

    def sample(self) -> None:
        kb, n = 0, 0
        for pid in cgroups._read(self.cgroup / "cgroup.procs").split():
            status = _status(int(pid))
            if status and not _sandbox_uid(int(status["Uid"].split()[0])):
                kb += int(status.get("VmHWM", "0 kB").split()[0])
                n += 1
        self.peak_mb = max(self.peak_mb, kb / 1024)
        self.most_processes = max(self.most_processes, n)
        base = self.cgroup / "autograder"
        if base.is_dir():
            self.uids.update(int(p.name) for p in base.iterdir() if p.name.isdigit())

    def run(self) -> None:
        while not self.stop.wait(self.period):
            self.sample()


# ---------------------------------------------------------------- one run of the CLI

@dataclasses.dataclass
class Run:
    """One ``autograder grade`` run: its wall time, the grader's peak memory, the uids used."""

    seconds: float
    peak_mb: float
    most_processes: int
    uids: set


def grade_cli(assignment: str, folder: Path, out: Path, cgroup: Path) -> Run:
    """``autograder grade`` as a subprocess inside ``cgroup``, sampled while it runs."""
    argv = [sys.executable, "-m", "autograder", "grade", assignment, str(folder), "--out",
            str(out), "--jobs", str(JOBS), "--timeout", str(TIMEOUT),
            "--load-timeout", str(LOAD_TIMEOUT)]
    procs = str(cgroup / "cgroup.procs")
    sampler = Sampler(cgroup)
    start = time.monotonic()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONPATH": str(ENGINE),
                               "TMPDIR": str(out.parent.parent / "tmpdir")}, cwd=out.parent,
                          preexec_fn=lambda: Path(procs).write_text("0")) as proc:
        sampler.start()
        try:
            stdout, stderr = proc.communicate(timeout=RUN_WALL)
        except subprocess.TimeoutExpired:  # the grader and its pool, by pid
            cgroups.kill_cgroup(cgroup)
            stdout, stderr = proc.communicate()
            stderr += f"\nsoak: the grader was killed after {RUN_WALL} s"
        finally:
            sampler.stop.set()
            sampler.join()
    seconds = time.monotonic() - start
    assert proc.returncode == 0, stderr[-3000:]
    for line in (stdout + stderr).splitlines():  # finding 11: no escapes reach the terminal
        assert not CONTROL.search(line), repr(line)
    assert "Traceback" not in stdout + stderr
    return Run(seconds, sampler.peak_mb, sampler.most_processes, sampler.uids)


def leftovers(cgroup: Path, uids) -> list[str]:
    """What the runs in ``cgroup`` left: processes in it, and for each of ``uids`` that no
    grader leases now, its processes, scratch dir and cgroups anywhere."""
    left = [f"process {pid} in {cgroup}" for pid in cgroup_pids(cgroup)]
    for uid in sorted(uids):
        try:
            lease = slots.UidLease(uid)
        except slots.UidsBusy:
            continue  # another grader's worker has it now
        try:
            left += [f"process {pid} of uid {uid}" for pid in os.listdir("/proc") if pid.isdigit()
                     and _status(int(pid)).get("Uid", "").split()[:1] == [str(uid)]]
            left += [str(p) for p in [slots.state_dir() / "workers" / str(uid)] if p.exists()]
            left += [str(p) for p in Path("/sys/fs/cgroup").glob(f"*/**/autograder/{uid}")]
        finally:
            lease.release()
    return left


# ---------------------------------------------------------------- reading the reports

def gradebook(out: Path) -> dict[str, dict[str, str]]:
    """The gradebook's rows (as written), by student: each a dict by column, in order."""
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def per_student(out: Path) -> dict[str, dict[str, str]]:
    """Each student's results JSON (minus its timing) and Markdown feedback, as text."""
    students = list(ta_rows(out))
    texts = {}
    for student, name in zip(students, report.file_names(students)):
        result = json.loads((out / "results" / f"{name}.json").read_text(encoding="utf-8"))
        result.pop("execution_time")
        texts[student] = {"results": json.dumps(result, sort_keys=True),
                          "feedback": (out / "feedback" / f"{name}.md").read_text(encoding="utf-8")}
    return texts


def ta_rows(out: Path) -> dict[str, dict]:
    """The TA's full results, by student."""
    lines = (out / "ta" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["student"]: r for r in map(json.loads, lines)}


# ---------------------------------------------------------------- the soak

@dataclasses.dataclass
class Soak:
    """What one soak measured, per assignment: the runs and the hostile rows."""

    honest: dict = dataclasses.field(default_factory=dict)     # assignment -> Run
    whole: dict = dataclasses.field(default_factory=dict)      # assignment -> Run
    hostile: dict = dataclasses.field(default_factory=dict)    # student -> (status, points, max)

    def numbers(self) -> str:
        lines = []
        for name in self.whole:
            h, w = self.honest[name], self.whole[name]
            lines.append(f"{name}: honest-only {h.seconds:.1f} s (grader peak {h.peak_mb:.0f} MB); "
                         f"whole class {w.seconds:.1f} s (grader peak {w.peak_mb:.0f} MB, "
                         f"{w.most_processes} processes at most, {len(w.uids)} sandbox uids)")
        honest = sum(r.seconds for r in self.honest.values())
        whole = sum(r.seconds for r in self.whole.values())
        lines.append(f"total: honest-only {honest:.1f} s, whole class {whole:.1f} s "
                     f"({whole / honest:.2f}x); grader peak "
                     f"{max(r.peak_mb for r in self.whole.values()):.0f} MB "
                     f"(bound {GRADER_BOUND_MB} MB)")
        lines += [f"  {report.clean(s)[:40]:<40} {st:<10} {p:g}/{m:g}"
                  for s, (st, p, m) in self.hostile.items()]
        return "\n".join(lines)


def soak(tmp: Path, honest_per_assignment: int, full: bool, result: Soak | None = None) -> Soak:
    """Grade ps2 and ps4, each with ``honest_per_assignment`` honest submissions and its
    hostile ones (all 20 if ``full``, else the suite's 12), and assert every promise.

    ``result``, if given, is filled in as the soak goes (its numbers survive a failure)."""
    if os.geteuid() != 0 or sandbox.isolation_mode() != "bwrap":
        pytest.skip("needs root and bubblewrap (isolation mode 'bwrap')")
    result = Soak() if result is None else result
    (tmp / "tmpdir").mkdir()
    graded = []  # every hostile submission graded
    with outer_cgroup() as cgroup:
        for name in ("ps2", "ps4"):
            hostile = [h for h in hostile_class() if h.assignment == name and (full or h.suite)]
            graded += hostile
            _soak_assignment(spec.load(name), tmp / name, honest_per_assignment, hostile,
                             cgroup, result)
        left = leftovers(cgroup, set().union(*(r.uids for r in result.whole.values())))
        assert left == [], left
    assert list((tmp / "tmpdir").iterdir()) == []  # the graders' TMPDIR: no autograder-* left
    whole = sum(r.seconds for r in result.whole.values())
    honest = sum(r.seconds for r in result.honest.values())
    # Each hostile row may spend its own time limits: a call timeout per function it
    # attacks, in the public and in the hidden phase, and one more for its load.  With
    # few honest rows (the suite's soak) that, not the ratio, is what bounds the class.
    own = sum(2 * (len(h.targets) + 1) * TIMEOUT for h in graded) / JOBS
    assert whole <= TIME_FACTOR * honest + own, result.numbers()
    return result


def _soak_assignment(assignment: spec.Assignment, tmp: Path, n_honest: int,
                     hostile: list[Hostile], cgroup: Path, result: Soak) -> None:
    honest_dir, class_dir, spare = tmp / "honest", tmp / "class", tmp / "spare"
    for d in (class_dir, spare):
        d.mkdir(parents=True)
    honest = honest_class(assignment, honest_dir, n_honest)
    for p in honest:
        shutil.copy(p, class_dir / p.name)
    for h in hostile:
        _write_hostile(h, class_dir, spare)

    name = assignment.name
    result.honest[name] = grade_cli(name, honest_dir, tmp / "out-honest", cgroup)
    result.whole[name] = run = grade_cli(name, class_dir, tmp / "out-class", cgroup)
    assert run.most_processes >= 1 + JOBS, run  # the sampler saw the grader and its pool
    assert run.peak_mb < GRADER_BOUND_MB, run
    assert run.uids, "no worker cgroup was seen under the outer cgroup"

    # Honest rows: byte-identical to the honest subset graded alone.
    alone, together = gradebook(tmp / "out-honest"), gradebook(tmp / "out-class")
    students = [p.stem for p in honest]
    assert set(alone) == set(students)
    assert set(together) == set(students) | {report.csv_cell(h.name) for h in hostile}
    texts_alone, texts_class = per_student(tmp / "out-honest"), per_student(tmp / "out-class")
    for s in students:
        assert together[s] == alone[s], (s, alone[s], together[s])
        assert texts_class[s] == texts_alone[s], s

    # Hostile rows: each loses at most what it attacks.
    full = alone[next(s for s in students if "correct_alice" in s)]
    rows = ta_rows(tmp / "out-class")
    for h in hostile:
        row = together[report.csv_cell(h.name)]
        result.hostile[h.name] = (row["status"], float(row["total"]), float(row["max"]))
        assert row["status"] == h.status, (h.name, row)
        if h.status != "graded":
            assert float(row["total"]) == 0, (h.name, row)
            continue
        for fn in assignment.points:
            if fn in h.targets and not h.holds:
                assert float(row[fn]) < float(full[fn]), (h.name, fn, row)
            else:
                assert row[fn] == full[fn], (h.name, fn, row, rows.get(h.name, {}).get("log"))
    _check_reports(tmp / "out-class", hostile, assignment)


def _check_reports(out: Path, hostile: list[Hostile], assignment: spec.Assignment) -> None:
    """No formula in the gradebook, no control character in any report, and no hidden
    input in what a student reads (findings 9 and 11)."""
    for row in gradebook(out).values():
        assert not [c for c in row.values() if c.startswith(("=", "+", "-", "@", "\t", "\r"))], row
    for name, text in _every_text(out).items():
        assert not CONTROL.search(text), (name, CONTROL.findall(text)[:5])
    if any(h.name == "leaks_hidden_inputs" for h in hostile):
        public, hidden = _first_inputs("early_stopping")
        ta = _remembered((out / "ta" / "results.jsonl").read_text(encoding="utf-8"))
        assert ta & hidden, ta  # the TA sees what the code remembered of the hidden cases
        for name, text in student_facing(out).items():
            assert _remembered(text) <= public, (name, _remembered(text) - public)


def _first_inputs(problem: str) -> tuple[set, set]:
    """The first element of the first argument of ``problem``'s cases (what ``REMEMBERS``'s
    probe keeps), as repr: of the public cases, and of the hidden ones only."""
    import numpy as np
    firsts = {False: set(), True: set()}
    for case in cases.BATTERIES[problem]():
        first = np.asarray(case.args[0], float).ravel()[:1]
        firsts[case.hidden].update(repr(float(x)) for x in first)
    return firsts[False], firsts[True] - firsts[False]


def _remembered(text: str) -> set:
    """The values ``REMEMBERS``'s probe printed or raised with, in ``text``."""
    lists = re.findall(r"I remember \[([^\]]*)\]", text)
    return ({v.strip() for items in lists for v in items.split(",") if v.strip()}
            | set(re.findall(r"probe saw ([-+\w.]+)", text)))


def test_a_hostile_class_costs_no_honest_student_anything(tmp_path):
    """30 submissions, 12 hostile, over ps2 and ps4 (``bench/soak.py`` grades 100)."""
    result = soak(tmp_path, honest_per_assignment=9, full=False)
    print(result.numbers())
