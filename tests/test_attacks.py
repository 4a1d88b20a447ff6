"""Malicious submissions: none may gain a point, stop the batch, or touch another's grade.

Each attack is a full correct submission (the flattened reference) with one
function replaced by hostile code, or with hostile code at import.  It is graded
through the real engine, sandbox included, in one batch with honest submissions.
The fork bomb and the 50 GB allocation run only under bubblewrap with a dropped
uid, where the rlimits hold.
"""
from __future__ import annotations

import os
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
