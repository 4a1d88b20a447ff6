"""Malicious submissions: none may gain a point, stop the batch, or touch another's grade.

Each attack is a full correct submission (the flattened reference) with one
function replaced by hostile code, or with hostile code at import.  It is graded
through the real engine, sandbox included, in one batch with honest submissions.
The fork bomb and the 50 GB allocation run only under bubblewrap with a dropped
uid, where the rlimits hold.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import reference
from autograder import flatten, problems, sandbox, spec
from autograder.cases import BATTERIES, Guarded
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


def test_finding_1_a_worker_that_never_reads_its_callback_replies_costs_only_that_function(
        tmp_path):
    """Forged callback requests, replies never read: the grader's write must time out."""
    r = _grade_bounded(tmp_path, """\
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
        """, {"gradient_descent": 1, "sigmoid": 1}, call_timeout=1.5)
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


def test_finding_3_exception_type_names_are_bounded_and_clean(tmp_path):
    """A 2 MB class name raised for real, and a long one forged past the worker's truncation."""
    r = _grade_bounded(tmp_path, """\
        def tanh_grad(z):
            import json, struct, sys, codec
            name = "\\x1b[2J\\r" + "E" * 500_000         # within the JSON head's limit
            head = json.dumps({"dict": [["error", [name, "\\x07" * 10**4]]]}).encode()
            codec.write_frame(int(sys.argv[2]), struct.pack(">I", len(head)) + head)
            raise type(name + "E" * 1_500_000, (Exception,), {})("boom")
        """, {"sigmoid": 1, "tanh_grad": 1})
    assert r["status"] == "graded", r["message"]
    assert _points(r) == {"sigmoid": 1, "tanh_grad": 0}
    messages = _messages(r)
    assert any("EEEE" in m for m in messages)  # the type is still named, in part
    for m in messages:
        assert len(m) < 1000 and not any(ch in m for ch in "\x1b\r\x07"), m[:200]
    assert len(repr(r)) < 50_000


def test_finding_4_trusted_callbacks_run_only_on_arguments_the_case_could_pass(tmp_path):
    """fit with a huge degree or huge arrays is refused (a ValueError), never run."""
    r = _grade_bounded(tmp_path, """\
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
        """, {"cross_validate": 1, "sigmoid": 1}, call_timeout=1)
    assert r["status"] == "graded", r["message"]
    assert _points(r) == {"cross_validate": 1, "sigmoid": 1}, _messages(r)


def test_finding_12_purity_cannot_be_faked_by_emptying_the_echo(tmp_path):
    r = _grade_bounded(tmp_path, """\
        _honest_sigmoid = sigmoid
        def sigmoid(z):
            import sys
            out = _honest_sigmoid(z)
            z[...] = 0.0                                # mutates its input,
            sys._getframe(1).f_locals["args"].clear()   # and hides it from the echo
            return out
        """, {"sigmoid": 1})
    pure = [c for p in r["problems"] for c in p["checks"] if c["name"] == "inputs unchanged"]
    assert pure and not pure[0]["passed"], pure
    assert "argument" in pure[0]["message"], pure[0]["message"]


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
