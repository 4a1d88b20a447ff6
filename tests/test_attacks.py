"""Malicious submissions: none may gain a point, stop the batch, or touch another's grade.

Each attack is a full correct submission (the flattened reference) with one
function replaced by hostile code, or with hostile code at import.  It is graded
through the real engine, sandbox included, in one batch with honest submissions.
The fork bomb and the 50 GB allocation run only under bubblewrap with a dropped
uid, where the rlimits hold.
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from test_cli import FAST, GOOD, assert_usage_error, notebook, read_gradebook
from test_cli import assignment as make_assignment
from test_reports import student_facing
from test_worker import running

import reference
from autograder import cases, cli, flatten, problems, report, sandbox, spec
from autograder.cases import BATTERIES, Case, Guarded
from autograder.grade import grade_all, grade_submission
from autograder.problems._kit import small_args
from autograder.problems.model_selection import _guarded, r2_score

ACT = {"sigmoid": 2.0, "relu": 1.0, "tanh_grad": 1.0}
LIMITS = sandbox.Limits(call_timeout=3, load_timeout=8)
SECRET = Path(__file__).resolve().parent.parent / "reference" / "activation.py"

# The wrong sigmoid that every "trick" wraps: honest points for it are 0.
WRONG = "def _wrong(z):\n    return z * 0.0\n"

ATTACKS = {
    "loop at import": "while True:\n    pass\n",
    "loop in a function": "def sigmoid(z):\n    while True:\n        pass\n",
    "sys.exit at import": "import sys\nsys.exit(0)\n",
    "os._exit in a function": "def sigmoid(z):\n    import os\n    os._exit(0)\n",
    "raise KeyboardInterrupt": "def sigmoid(z):\n    raise KeyboardInterrupt\n",
    "raise SystemExit": "def sigmoid(z):\n    raise SystemExit(0)\n",
    "monkeypatch numpy": WRONG + textwrap.dedent("""
        import numpy, numpy.testing, builtins
        numpy.allclose = lambda *a, **k: True
        numpy.isclose = lambda a, b, *x, **k: numpy.ones(numpy.shape(a), bool)
        numpy.testing.assert_allclose = lambda *a, **k: None
        numpy.array_equal = lambda *a, **k: True
        builtins.abs = lambda x: 0
        def sigmoid(z):
            return _wrong(z)
        """),
    "read the reference": WRONG + textwrap.dedent(f"""
        def sigmoid(z):
            import numpy as np, os
            for path in [{str(SECRET)!r}, "/work/main/reference/activation.py"]:
                try:
                    open(path).read()
                    return 1 / (1 + np.exp(-z))      # it could read it: cheat
                except OSError:
                    pass
            try:
                import reference
                return reference.sigmoid(z)
            except ImportError:
                pass
            for root, dirs, files in os.walk("/"):
                if "_validate.py" in files or ("cases.py" in files and "problems" in dirs):
                    return 1 / (1 + np.exp(-z))             # found reference/ or the batteries
                dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
            return _wrong(z)
        """),
    "write outside the scratch dir": WRONG + textwrap.dedent("""
        def sigmoid(z):
            import os
            for path in ["/work/main/PWNED", "/tmp/../PWNED", "/usr/PWNED", os.path.expanduser("~/PWNED"),
                         os.environ.get("PWNED_TARGET", "/PWNED")]:
                try:
                    open(path, "w").write("x")
                except OSError:
                    pass
            return _wrong(z)
        """),
    "allocate 50 GB": "def sigmoid(z):\n    import numpy as np\n    return np.ones(50 * 10**9 // 8)[:z.size].reshape(z.shape)\n",
    "fork bomb": textwrap.dedent("""
        def sigmoid(z):
            import os
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """),
    "flood stdout with 1 GB": "def sigmoid(z):\n    import sys\n    chunk = 'x' * 2**20\n"
                              "    for _ in range(1024):\n        sys.stdout.write(chunk)\n"
                              "    return z * 0.0\n",
    "lying __eq__": textwrap.dedent("""
        class Liar:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __array__(self, *a, **k):
                import numpy as np
                return np.zeros(0)
        def sigmoid(z):
            return Liar()
        """),
    "ndarray subclass": textwrap.dedent("""
        import numpy as np
        class Always(np.ndarray):
            def __eq__(self, other): return np.ones(np.shape(other), bool)
            def __array_finalize__(self, obj): pass
        def sigmoid(z):
            return np.zeros_like(z).view(Always)
        """),
    "kill the parent": WRONG + textwrap.dedent("""
        def sigmoid(z):
            import os, signal
            for pid in (os.getppid(), 1, -1):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            return _wrong(z)
        """),
}
NEEDS_BWRAP = {"fork bomb"}
AT_IMPORT = {"loop at import", "sys.exit at import"}


@pytest.fixture(scope="module")
def assignment(tmp_path_factory):
    return spec.Assignment("attacks", "attacks", dict(ACT), tmp_path_factory.mktemp("spec"))


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("honest")
    good = folder / "good.py"
    good.write_text(flatten.reference_source())
    half = folder / "half.py"  # a plausible student: relu right, tanh_grad wrong
    half.write_text(flatten.reference_source() + "\ndef tanh_grad(z):\n    return 1 - z**2\n")
    return [good, half]


def _attack_file(folder: Path, name: str) -> Path:
    path = folder / (name.replace(" ", "_").replace(".", "_") + ".py")
    code = ATTACKS[name]
    path.write_text(code + "\n" + flatten.reference_source() if name in AT_IMPORT
                    else flatten.reference_source() + "\n" + code)
    return path


def test_the_whole_class_survives_every_attack(assignment, honest, tmp_path):
    """All attacks in one parallel batch with honest submissions around them."""
    bwrap = sandbox.isolation_mode() == "bwrap"
    names = [n for n in ATTACKS if bwrap or n not in NEEDS_BWRAP]
    attacks = [(n, _attack_file(tmp_path, n)) for n in names]
    batch = [("good-first", honest[0]), *attacks, ("half", honest[1]), ("good-last", honest[0])]
    alone = {p: grade_submission(p, assignment, limits=LIMITS) for p in honest}
    results = grade_all(batch, assignment, jobs=2, limits=LIMITS)

    assert [r.student for r in results] == [s for s, _ in batch]  # one row each, in order
    by = {r.student: r for r in results}
    # Honest submissions get exactly what they get when graded alone.
    assert by["good-first"].points == by["good-last"].points == alone[honest[0]].points == 4
    assert by["half"].points == alone[honest[1]].points
    assert 0 < by["half"].points < 4
    for name, _ in attacks:
        r = by[name]
        points = {p.name: p.points for p in r.problems}
        assert points["sigmoid"] == 0, (name, r.to_dict())
        if name in AT_IMPORT:
            assert r.status in ("timeout", "load-error") and r.points == 0, name
        else:  # only the hostile function loses its points; the rest grade normally
            assert r.status == "graded", (name, r.message)
            assert points["relu"] == 1 and points["tanh_grad"] == 1, (name, points)
    assert not Path("/work/main/PWNED").exists() and not Path("/PWNED").exists()
    assert not Path("/usr/PWNED").exists()


def test_timeouts_are_reported_to_the_student(assignment, tmp_path):
    r = grade_submission(_attack_file(tmp_path, "loop in a function"), assignment, limits=LIMITS)
    sigmoid = next(p for p in r.problems if p.name == "sigmoid")
    messages = [c.message for c in sigmoid.checks]
    assert any("did not return within" in m for m in messages)
    assert any("timed out in an earlier test" in m for m in messages)  # not re-run each time


def test_grading_twice_gives_the_same_scores(assignment, honest):
    first = [grade_submission(p, assignment, limits=LIMITS).to_dict() for p in honest]
    second = [grade_submission(p, assignment, limits=LIMITS).to_dict() for p in honest]
    for a, b in zip(first, second):
        a.pop("seconds"), b.pop("seconds")
        assert a == b


@pytest.mark.skipif(os.geteuid() != 0, reason="dedicated uids need root")
def test_workers_get_distinct_uids_and_release_them():
    leases = [sandbox._UidLease() for _ in range(3)]
    assert len({lease.uid for lease in leases}) == 3
    for lease in leases:
        lease.release()


# ---- submissions and reports: findings 8-11 and 13 of the hardening issue

#: Control characters no report or terminal line may carry (newline and tab aside).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _grade_cli(asg: Path, submissions: Path, out: Path, capsys) -> tuple[dict, str]:
    """``autograder grade`` on ``submissions``: the gradebook's rows and the terminal text."""
    code = cli.main(["grade", str(asg), str(submissions), "--out", str(out), "--jobs", "1",
                     *FAST])
    stdout, stderr = capsys.readouterr()
    assert code == 0 and "Traceback" not in stdout + stderr, stderr
    return read_gradebook(out), stdout + stderr


def _every_text(out: Path) -> dict[str, str]:
    """Every report, by name: results.json as its decoded strings (what Gradescope shows);
    the TA's results.jsonl as written (a faithful record, its controls JSON-escaped)."""
    texts = {}
    for f in sorted(out.rglob("*")):
        if f.suffix in (".csv", ".md", ".html", ".jsonl"):
            texts[str(f)] = f.read_text(encoding="utf-8")
        elif f.suffix == ".json":
            texts[str(f)] = json.dumps(json.loads(f.read_text()), ensure_ascii=False)
    return texts


def test_finding_8_symlinks_are_refused_not_followed(tmp_path, capsys):
    """Links to the course's solution, to a classmate's file, to a root-only file and to
    folders: each gets its own load-error row, and nothing they point at is read."""
    asg = make_assignment(tmp_path / "ps_test")
    course = tmp_path / "course"
    solution = course / "source" / "ps_test" / "ps_test.ipynb"
    solution.parent.mkdir(parents=True)
    solution.write_text(notebook(GOOD))
    secret = tmp_path / "shadow"
    secret.write_text("ROOT_ONLY_4711\n")
    secret.chmod(0o600)
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "alice.py").write_text(GOOD)
    links = {"sol.ipynb": solution, "copycat.py": flat / "alice.py", "snoop.py": secret,
             "dir.py": course}
    for name, target in links.items():
        (flat / name).symlink_to(target)
    rows, terminal = _grade_cli(asg, flat, tmp_path / "out1", capsys)
    assert {s: (r["status"], float(r["total"])) for s, r in rows.items()} == {
        "alice": ("graded", 3.0), **{Path(n).stem: ("load-error", 0.0) for n in links}}
    assert all(rows[Path(n).stem]["message"] == "symlinks are not accepted" for n in links)

    # nbgrader's layout: a student folder, an assignment folder and a notebook that are links
    sub = course / "submitted"
    (sub / "alice" / "ps_test").mkdir(parents=True)
    (sub / "alice" / "ps_test" / "ps_test.py").write_text(GOOD)
    (sub / "bob").symlink_to(sub / "alice")
    (sub / "carol").mkdir()
    (sub / "carol" / "ps_test").symlink_to(solution.parent)
    (sub / "dave" / "ps_test").mkdir(parents=True)
    (sub / "dave" / "ps_test" / "ps_test.ipynb").symlink_to(solution)
    (sub / "erin" / "ps_test").mkdir(parents=True)  # no link anywhere: graded as usual
    (sub / "erin" / "ps_test" / "ps_test.py").write_text(GOOD)
    rows2, terminal2 = _grade_cli(asg, course, tmp_path / "out2", capsys)
    assert {s: r["status"] for s, r in rows2.items()} == {
        "alice": "graded", "bob": "load-error", "carol": "load-error", "dave": "load-error",
        "erin": "graded"}
    assert float(rows2["alice"]["total"]) == 3.0
    assert {rows2[s]["message"] for s in ("bob", "carol", "dave")} == {"symlinks are not accepted"}
    for text in [terminal, terminal2, *_every_text(tmp_path / "out1").values(),
                 *_every_text(tmp_path / "out2").values()]:
        assert "ROOT_ONLY_4711" not in text


# A hidden input that student code remembers, prints and raises with; none may reach it.
SECRET_INPUT = "123.456"
REMEMBERS = textwrap.dedent("""
    SEEN = []
    def probe(z):
        SEEN.append(float(z[0]))
        print("probe saw", float(z[0]))
        if z[0] > 100:
            raise ValueError(f"seen {SEEN}")
        return 2 * z
    def peek(z):
        raise ValueError(f"I remember {SEEN}")
    """)


def test_finding_9_hidden_inputs_never_reach_the_student(tmp_path, monkeypatch):
    """Every public case runs before any hidden one, in a worker that saw none; what the
    code says after seeing a hidden input goes to the TA only."""
    monkeypatch.setitem(cases.BATTERIES, "probe", lambda: [
        Case("probe", "public probe", (np.array([1.5]),), expect=lambda z: 2 * z),
        Case("probe", "hidden probe", (np.array([float(SECRET_INPUT)]),),
             expect=lambda z: 2 * z, hidden=True)])
    monkeypatch.setitem(cases.BATTERIES, "peek", lambda: [
        Case("peek", "public peek", (np.array([2.0]),), expect=lambda z: z)])
    asg = spec.Assignment("leak", "Leak", {"probe": 1.0, "peek": 1.0}, tmp_path)
    path = tmp_path / "mallory.py"
    path.write_text(REMEMBERS)
    r = grade_submission(path, asg, limits=LIMITS)
    checks = {c.name: c for p in r.problems for c in p.checks}
    assert "I remember [1.5]" in checks["public peek"].message  # it ran before the hidden case
    hidden = checks["hidden probe"]
    assert hidden.message == "a hidden test failed: your function raised ValueError"
    assert f"seen [{SECRET_INPUT}]" in hidden.log  # the TA has it all; and a fresh worker
    assert "probe saw 1.5" in r.output and SECRET_INPUT not in r.output
    assert f"probe saw {SECRET_INPUT}" in r.log
    report.write_all([r], asg, tmp_path / "out")
    for name, text in student_facing(tmp_path / "out").items():
        assert SECRET_INPUT not in text, name
    assert SECRET_INPUT in (tmp_path / "out" / "ta" / "results.jsonl").read_text()


def test_finding_10_report_names_fit_and_never_collide(tmp_path, capsys):
    """A 255-byte file name, and a file named as another student's hashed name: every
    student gets reports of their own, and the batch finishes."""
    asg = make_assignment(tmp_path / "ps_test")
    subs = tmp_path / "subs"
    subs.mkdir()
    hashed = report.file_names(["x y"])[0]  # the name "x y" gets, whatever the hash
    students = ["a" * 251, "x y", hashed, "é" * 125, "zz"]  # .txt: load-error rows, no worker
    for s in students:
        (subs / f"{s}.txt").write_text("essay")
    assert max(len(f"{s}.txt".encode()) for s in students) == 255
    rows, _ = _grade_cli(asg, subs, tmp_path / "out", capsys)
    assert set(rows) == set(students)
    for sub, suffixes in (("results", [".json"]), ("feedback", [".md", ".html"])):
        files = sorted((tmp_path / "out" / sub).iterdir())
        assert len(files) == len(students) * len(suffixes)
        assert all(len(f.name.encode()) <= 255 for f in files)
    assert sorted(json.loads(f.read_text())["score"] == 0 for f in
                  (tmp_path / "out" / "results").iterdir()) == [True] * len(students)
    names = report.file_names(["x y", hashed, "x_y", "X_Y", "a" * 300, "a" * 300 + "b"])
    assert len({n.lower() for n in names}) == len(names)
    assert all(len((n + ".json").encode()) <= 255 for n in names)


def test_finding_11_no_formulas_or_terminal_escapes_in_any_report(tmp_path, capsys):
    """File names that are spreadsheet formulas or terminal escapes, and a forged load
    error full of escapes: the gradebook has no formula, and no report or terminal line
    carries a control character."""
    asg = make_assignment(tmp_path / "ps_test")
    subs = tmp_path / "subs"
    subs.mkdir()
    names = ['=HYPERLINK("evil.example","click")', "@SUM(1+1)", "+1", "-2", "\tx",
             "\x1b[2K\x1b[1A\rmallory 3 graded", "a\u202eb", "\x9b31mc1"]
    for name in names:
        (subs / f"{name}.txt").write_text("essay")
    (subs / "forger.py").write_text(
        "raise ImportError('\\x1b[1A\\x1b[2K\\ralice 3/3 graded\\x1b]0;pwned\\x07\\x07\\x00')\n")
    (subs / "alice.py").write_text(GOOD)
    code = cli.main(["grade", str(asg), str(subs), "--out", str(tmp_path / "out"),
                     "--jobs", "1", *FAST])
    stdout, stderr = capsys.readouterr()
    assert code == 0 and "Traceback" not in stdout + stderr
    for line in (stdout + stderr).splitlines():
        assert not CONTROL.search(line), repr(line)
    with open(tmp_path / "out" / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 1 + len(names) + 2
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert "'=HYPERLINK(\"evil.example\",\"click\")" in [r[0] for r in rows]
    for name, text in _every_text(tmp_path / "out").items():
        assert not CONTROL.search(text), (name, CONTROL.findall(text))
    forger = next(r for r in rows if r[0] == "forger")
    assert "alice 3/3 graded" in forger[-1] and forger[-2] == "load-error"


def _malformed_notebooks(folder: Path) -> dict[str, Path]:
    """One file per kind of malformed notebook."""
    folder.mkdir()
    bodies = {"deep": b"[" * 100_000 + b"]" * 100_000,
              "deep_cells": b'{"cells": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
              "bad_utf8": b'{"cells": [], "x": "\xff\xfe"}',
              "not_a_notebook": b"[1, 2, 3]",
              "cells_not_dicts": b'{"cells": [1, "two", null]}',
              "bad_source": b'{"cells": [{"cell_type": "code", "source": [1, 2]}]}',
              "bad_metadata": b'{"cells": [{"cell_type": "code", "metadata": [], "source": ""}]}',
              "deep_code": notebook("-" * 100_000 + "1").encode()}
    paths = {}
    for name, body in bodies.items():
        paths[name] = folder / f"{name}.ipynb"
        paths[name].write_bytes(body)
    paths["huge"] = folder / "huge.ipynb"
    with open(paths["huge"], "wb") as fh:  # sparse: 21 MB that costs no disk
        fh.truncate(21 * 2**20)
    return paths


def test_finding_13_malformed_notebooks_are_one_line_or_a_load_error_row(tmp_path, capsys):
    asg = make_assignment(tmp_path / "ps_test")
    paths = _malformed_notebooks(tmp_path / "subs")
    for name, path in paths.items():
        if name == "deep_code":  # valid JSON: only the sandboxed worker can tell
            continue
        code = cli.main(["check", str(asg), str(path), *FAST])
        out, err = capsys.readouterr()
        assert_usage_error(code, out, err, f"{path.name} is ")
    rows, _ = _grade_cli(asg, tmp_path / "subs", tmp_path / "out", capsys)
    assert set(rows) == set(paths)
    for name, row in rows.items():
        assert row["status"] == "load-error" and float(row["total"]) == 0, (name, row)
        assert ("not a valid Jupyter notebook" in row["message"]
                or "larger than the limit of 20 MB" in row["message"]), (name, row)


# ---- the sandbox as a whole: findings 5-7 and 14 of the hardening issue
#
# Each attack runs in a worker driven directly (``running`` from test_worker.py) and
# reports what it got; the test asserts the sandbox as a whole bounded it.  Sizes stay
# modest, so that a regression costs this machine a few GB for a second, no more.


BWRAP = pytest.mark.skipif(sandbox.isolation_mode() != "bwrap",
                           reason="needs bubblewrap with a dropped uid (isolation mode 'bwrap')")
WHOLE = sandbox.Limits(call_timeout=20, load_timeout=10)  # default memory, pids and scratch

HOARD = """\
import os, select, signal

def hoard(children, mb):
    '''Fork children that each fill mb MiB; return how many hold it at the same time.'''
    r, w = os.pipe()
    pids = []
    for i in range(children):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            block = b"x" * (mb << 20)          # every page written, so resident
            os.write(w, bytes([i]))
            signal.pause()
            os._exit(0)
        pids.append(pid)
    os.close(w)
    held, dead = set(), set()
    while len(held | dead) < children:     # each child either reports or dies
        if select.select([r], [], [], 0.05)[0]:
            held.update(os.read(r, 64))
        dead.update(i for i, pid in enumerate(pids)
                    if i not in dead and os.waitpid(pid, os.WNOHANG) != (0, 0))
    select.select([], [], [], 0.3)          # a child the OOM killer chose may still be dying
    dead.update(i for i, pid in enumerate(pids)
                if i not in dead and os.waitpid(pid, os.WNOHANG) != (0, 0))
    for i, pid in enumerate(pids):
        if i not in dead:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return len(held - dead)
"""


@BWRAP
def test_finding_5_memory_is_bounded_for_the_worker_as_a_whole(tmp_path):
    """Three children of 512 MiB each fit under a 1 GiB RLIMIT_AS; not under its cgroup."""
    limits = dataclasses.replace(WHOLE, memory_mb=1024)
    with running(tmp_path, HOARD, limits=limits) as w:
        try:
            held = w.call("hoard", 3, 512)
        except sandbox.WorkerFailure:  # the OOM killer took the worker itself: bounded too
            held = 0
    assert held * 512 < limits.memory_mb, f"{held} children held 512 MiB each at once"


NAMESPACES = """\
import ctypes, os, subprocess

def make_namespaces():
    '''Try to become root of a fresh user namespace, three ways; what worked.'''
    tries = {"unshare -Urm (and mount a tmpfs)":
                 ["unshare", "-Urm", "sh", "-c", "mount -t tmpfs none /tmp && echo mounted"],
             "unshare -U": ["unshare", "-U", "true"]}
    worked = [name for name, argv in tries.items()
              if subprocess.run(argv, capture_output=True).returncode == 0]
    CLONE_NEWUSER = 0x10000000
    unshare = getattr(os, "unshare", None) or ctypes.CDLL(None, use_errno=True).unshare
    try:
        if unshare(CLONE_NEWUSER) in (0, None):
            worked.append("unshare(CLONE_NEWUSER)")
    except OSError:
        pass
    return worked
"""


@BWRAP
def test_finding_6_no_new_namespaces_inside_the_sandbox(tmp_path):
    with running(tmp_path, NAMESPACES, limits=WHOLE) as w:
        assert w.call("make_namespaces") == []


FILL = """\
import os

def fill(total_mb, files):
    '''Write up to total_mb MiB in 16 MiB files, then up to `files` empty files.'''
    chunk, written, made = b"x" * (1 << 20), 0, 0
    for k in range(total_mb // 16):
        try:
            with open(f"big{k}", "wb") as fh:
                for _ in range(16):
                    fh.write(chunk)
                    written += len(chunk)
        except OSError:
            break
    for k in range(files):
        try:
            open(f"f{k}", "w").close()
        except OSError:
            break
        made += 1
    return written, made
"""


@BWRAP
def test_finding_7_scratch_is_bounded_in_bytes_and_files(tmp_path):
    tried_mb, tried_files = 512, 20_000
    with running(tmp_path, FILL, limits=WHOLE) as w:
        written, made = w.call("fill", tried_mb, tried_files)
    assert written < tried_mb << 20 and made < tried_files, (written, made)
    assert written <= WHOLE.scratch_mb << 20 and made <= WHOLE.scratch_inodes


DYING_GRADER = """\
import os, sys
from pathlib import Path
from autograder import sandbox
w = sandbox.Worker(sys.argv[1], sandbox.Limits(load_timeout=10))
w.start()
cgroup = getattr(w._lease, "cgroup", None)
print(w._tmp, *(cgroup.dirs if cgroup else []), flush=True)
if sys.argv[2] == "die":
    sys.stdin.read()   # until the test kills this grader
w.close()
"""


def _grader(submission: Path, then: str, **env) -> subprocess.Popen:
    """Another grader process: it starts a worker, prints where it lives, then dies or closes."""
    return subprocess.Popen(
        [sys.executable, "-c", DYING_GRADER, str(submission), then], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True, env={**os.environ, **env})


@BWRAP
def test_finding_7_a_dead_graders_scratch_and_cgroup_go_at_the_next_start(tmp_path):
    submission = tmp_path / "ok.py"
    submission.write_text("def f():\n    return 1\n")
    with _grader(submission, "die") as dead:
        left = [Path(p) for p in dead.stdout.readline().split()]
        dead.kill()
    assert left and all(p.exists() for p in left)  # what the dead grader left behind
    with _grader(submission, "close") as nxt:
        assert nxt.communicate(timeout=60)[0] and nxt.returncode == 0
    assert [p for p in left if p.exists()] == []


@BWRAP
def test_finding_14_uid_leases_do_not_depend_on_tmpdir(tmp_path):
    """A grader with another TMPDIR, whose first choice is our worker's uid, must not take it."""
    submission = tmp_path / "ok.py"
    submission.write_text("def f():\n    return 1\n")
    with running(tmp_path, "def f():\n    return 1\n", limits=WHOLE) as w:
        uid = w._lease.uid
        other = tmp_path / "other-tmp"
        other.mkdir()
        code = ("import os, sys; from autograder import sandbox; "
                f"os.getpid = lambda: {uid - sandbox.UID_BASE}; "  # start the search at our uid
                "w = sandbox.Worker(sys.argv[1], sandbox.Limits(load_timeout=10)); w.start(); "
                "print(w._lease.uid); w.close()")
        theirs = subprocess.run([sys.executable, "-c", code, str(submission)], capture_output=True,
                                text=True, timeout=60, env={**os.environ, "TMPDIR": str(other)})
        assert theirs.returncode == 0, theirs.stderr[-2000:]
        assert int(theirs.stdout) != uid
        assert w.call("f") == 1  # our worker survived the other grader's clean-up


# ---- the channel: findings 1-4 and 12 of the hardening issue
#
# Each hostile submission is graded by a grader in a subprocess of its own, under a
# wall-clock timeout and an address-space limit (prlimit), so that a regression
# fails the test instead of hanging the suite or taking the machine's memory.
# The worker can write any bytes it likes to its output fd (argv[2]) and import
# the codec beside it; these attacks do exactly that.

GRADER = """\
import json, resource, sys
from pathlib import Path
from autograder import sandbox, spec
from autograder.grade import grade_submission
path, points, folder, timeout = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], \
    float(sys.argv[4])
assignment = spec.Assignment("channel", "channel", points, Path(folder))
result = grade_submission(path, assignment,
                          limits=sandbox.Limits(call_timeout=timeout, load_timeout=8))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"result": result.to_dict(), "peak_mb": usage.ru_maxrss / 1024,
                  "cpu_s": usage.ru_utime + usage.ru_stime}))
"""
GRADER_AS = 3 * 2**30       # the grader's address-space limit (bytes)
GRADER_WALL = 120           # seconds before a hung grader is killed


def _grade_bounded(tmp_path: Path, hostile: str, points: dict, call_timeout: float = 3) -> dict:
    """Grade the reference with ``hostile`` appended, in a bounded grader process.

    Returns the result's ``to_dict()`` with ``peak_mb`` (the grader's peak RSS)
    and ``cpu_s`` (its CPU time) added.
    """
    path = tmp_path / "hostile.py"
    path.write_text(flatten.reference_source() + "\n" + textwrap.dedent(hostile))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run(
        ["prlimit", f"--as={GRADER_AS}:unlimited", "--", sys.executable, "-c", GRADER,
         str(path), json.dumps(points), str(tmp_path), str(call_timeout)],
        capture_output=True, text=True, timeout=GRADER_WALL, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    return {**report["result"], "peak_mb": report["peak_mb"], "cpu_s": report["cpu_s"]}


def _points(result: dict) -> dict:
    """The share of each problem's points earned."""
    return {p["name"]: p["points"] / p["max_points"] for p in result["problems"]}


def _messages(result: dict) -> list[str]:
    """Every check's message and TA log."""
    return [text for p in result["problems"] for c in p["checks"]
            for text in (c["message"], c["log"])]


#: Finding 1: forged callback requests, whose replies are never read.
NEVER_READS = """\
        _honest_gd = gradient_descent
        def gradient_descent(X, y, w, b, *, optimizer=None, **kwargs):
            if optimizer is None:
                return _honest_gd(X, y, w, b, **kwargs)
            import sys, time, codec
            p = np.zeros(w.shape[0] + 1)
            request = codec.encode({"callback": optimizer.index, "args": [p, p, {}],
                                    "kwargs": {"lr": 0.1}})
            for _ in range(5000):   # each reply is small; together they fill the pipe
                codec.write_frame(int(sys.argv[2]), request)
            time.sleep(3600)        # and never read one
        """


def test_finding_1_a_worker_that_never_reads_its_callback_replies_costs_only_that_function(
        tmp_path):
    """Forged callback requests, replies never read: the grader's write must time out."""
    r = _grade_bounded(tmp_path, NEVER_READS, {"gradient_descent": 1, "sigmoid": 1},
                       call_timeout=1.5)
    assert r["status"] == "graded", r["message"]
    points = _points(r)
    assert points["sigmoid"] == 1 and 0 < points["gradient_descent"] < 1, points
    assert any("did not return within" in m for m in _messages(r))


FLOOD = """\
    def _flood(z, n_bytes):
        import struct, sys, time, codec
        if z.ndim == 1:  # the first case of each (the worker restarts after it)
            head = b"[" + b"[]," * (n_bytes // 3) + b"[]]"   # tiny JSON items: costly to parse
            codec.write_frame(int(sys.argv[2]), struct.pack(">I", len(head)) + head)
            time.sleep(3600)
        return z
    def sigmoid(z):
        return _flood(z, 30 * 2**20)    # far beyond any honest reply
    def relu(z):
        return _flood(z, 900_000)       # within the size limits, but 300,000 items
    """


def test_finding_2_forged_frames_leave_the_graders_memory_bounded(tmp_path):
    honest = _grade_bounded(tmp_path, "", {"sigmoid": 1, "relu": 1, "tanh_grad": 1})
    r = _grade_bounded(tmp_path, FLOOD, {"sigmoid": 1, "relu": 1, "tanh_grad": 1})
    assert r["peak_mb"] < honest["peak_mb"] + 100, (r["peak_mb"], honest["peak_mb"])
    assert r["status"] == "graded", r["message"]
    assert _points(r) == {"sigmoid": 0, "relu": 0, "tanh_grad": 1}
    assert any("exceeds" in m for m in _messages(r)) and any("items" in m for m in _messages(r))


#: Finding 3: a 2 MB exception type name, and a forged error frame full of escapes.
HUGE_TYPE_NAME = """\
        def tanh_grad(z):
            import json, struct, sys, codec
            name = "\\x1b[2J\\r" + "E" * 500_000         # within the JSON head's limit
            head = json.dumps({"dict": [["error", [name, "\\x07" * 10**4]]]}).encode()
            codec.write_frame(int(sys.argv[2]), struct.pack(">I", len(head)) + head)
            raise type(name + "E" * 1_500_000, (Exception,), {})("boom")
        """


def test_finding_3_exception_type_names_are_bounded_and_clean(tmp_path):
    """A 2 MB class name raised for real, and a long one forged past the worker's truncation."""
    r = _grade_bounded(tmp_path, HUGE_TYPE_NAME, {"sigmoid": 1, "tanh_grad": 1})
    assert r["status"] == "graded", r["message"]
    assert _points(r) == {"sigmoid": 1, "tanh_grad": 0}
    messages = _messages(r)
    assert any("EEEE" in m for m in messages)  # the type is still named, in part
    for m in messages:
        assert len(m) < 1000 and not any(ch in m for ch in "\x1b\r\x07"), m[:200]
    assert len(repr(r)) < 50_000


#: Finding 4: trusted callbacks called with huge or forged arguments; full points only
#: if every call is refused.
ABUSES_CALLBACKS = """\
        def cross_validate(fit, score, X, y, k, rng=None):
            for probe in (lambda: fit(X, y, degree=2500),              # ~1.5 s of solve
                          lambda: fit(np.zeros((10**5, X.shape[1])), np.zeros(10**5)),
                          lambda: fit(X, y, lam=-1.0),
                          lambda: score((np.zeros(2500 * X.shape[1]), 0.0, 2500), X, y)):
                try:
                    probe()
                except ValueError:
                    continue
                return np.zeros(k)       # the grader ran it: give up the points
            return ref.cross_validate(fit, score, X, y, k, rng)
        """


def test_finding_4_trusted_callbacks_run_only_on_arguments_the_case_could_pass(tmp_path):
    """fit with a huge degree or huge arrays is refused (a ValueError), never run."""
    r = _grade_bounded(tmp_path, ABUSES_CALLBACKS, {"cross_validate": 1, "sigmoid": 1},
                       call_timeout=1)
    assert r["status"] == "graded", r["message"]
    assert _points(r) == {"cross_validate": 1, "sigmoid": 1}, _messages(r)


#: Finding 12: a function that mutates its first argument and empties the echo;
#: ``{fn}`` names the function it replaces.
FAKES_PURITY = """\
        _honest_{fn} = {fn}
        def {fn}(z, *rest):
            import sys
            out = _honest_{fn}(z, *rest)
            z[...] = 0.0                                # mutates its input,
            sys._getframe(1).f_locals["args"].clear()   # and hides it from the echo
            return out
        """


def test_finding_12_purity_cannot_be_faked_by_emptying_the_echo(tmp_path):
    r = _grade_bounded(tmp_path, FAKES_PURITY.format(fn="sigmoid"), {"sigmoid": 1})
    pure = [c for p in r["problems"] for c in p["checks"] if c["name"] == "inputs unchanged"]
    assert pure and not pure[0]["passed"], pure
    assert "argument" in pure[0]["log"], pure[0]["log"]  # a hidden case: the detail is the TA's


def _callables(value):
    if isinstance(value, (list, tuple)):
        return [fn for v in value for fn in _callables(v)]
    if isinstance(value, dict):
        return _callables(list(value.values()))
    return [value] if callable(value) else []


def test_every_callback_a_battery_hands_to_student_code_is_guarded():
    """A trusted function reaches the worker only with a statement of what it accepts."""
    assert problems  # imported: the batteries are registered
    passed = [(case.id, fn) for make in BATTERIES.values() for case in make()
              for fn in _callables([case.args, case.kwargs])]
    assert len(passed) >= 30  # gradient_descent's optimizers and schedules, fit and score
    assert [cid for cid, fn in passed if not isinstance(fn, Guarded)] == []


def test_guards_accept_what_the_fold_loop_or_descent_passes_and_nothing_else():
    """The guards themselves, in-process: a pytest.raises table, as the contract's errors."""
    g = np.random.default_rng(0)
    X, y = g.normal(size=(12, 2)), g.normal(size=12)
    fit, score = _guarded(r2_score, X, y, {"lam": [0.1, 1.0], "degree": [1, 2]})
    model = fit(X[:8], y[:8], lam=1.0, degree=2)       # what the fold loop passes
    assert np.isfinite(score(model, X[8:], y[8:]))
    for call in (lambda: fit(X, y, lam=0.5),             # not a grid value
                 lambda: fit(X, y, degree=2500),
                 lambda: fit(X, y, alpha=1.0),           # not a grid key
                 lambda: fit(np.zeros((13, 2)), np.zeros(13)),   # more rows than the data
                 lambda: fit(X[:, :1], y),               # other columns
                 lambda: fit(X.astype(np.float32), y),   # other dtype
                 lambda: fit(X.tolist(), y),
                 lambda: score(tuple(model), X, y),      # a forged model, not fit's
                 lambda: score(model, np.zeros((99, 2)), np.zeros(99))):
        with pytest.raises(ValueError, match="refused its arguments"):
            call()
    adam = small_args(functools.partial(reference.adam, beta1=0.8), 4)
    w, state = adam(np.zeros(4), np.ones(4), {}, lr=0.1)
    assert adam(w, np.ones(4), state, lr=0.1)[1]["t"] == 2
    for call in (lambda: adam(np.zeros(5), np.ones(5), {}, lr=0.1),
                 lambda: adam(np.zeros((2, 2)), np.ones((2, 2)), {}, lr=0.1),
                 lambda: adam(w, np.ones(4), {"m": np.zeros(10**6)}, lr=0.1),
                 lambda: adam(w, np.ones(4), {}, lr=0.1, evil=1),
                 lambda: adam(w, np.ones(4), {}, 0.1, 0.9, 0.9, 1e-8, 5)):
        with pytest.raises(ValueError, match="refused its arguments"):
            call()
