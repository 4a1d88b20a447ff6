"""Malicious submissions: none may gain a point, stop the batch, or touch another's grade.

Each attack is a full correct submission (the flattened reference) with one
function replaced by hostile code, or with hostile code at import.  It is graded
through the real engine, sandbox included, in one batch with honest submissions.
The fork bomb and the 50 GB allocation run only under bubblewrap with a dropped
uid, where the rlimits hold.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder import flatten, sandbox, spec
from autograder.grade import grade_all, grade_submission

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


# ---- the sandbox as a whole: findings 5-7 and 14 of the hardening issue
#
# Each attack runs in a worker driven directly (``running`` from test_worker.py) and
# reports what it got; the test asserts the sandbox as a whole bounded it.  Sizes stay
# modest, so that a regression costs this machine a few GB for a second, no more.

from test_worker import running  # noqa: E402

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


GRADER = """\
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
        [sys.executable, "-c", GRADER, str(submission), then], stdin=subprocess.PIPE,
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
