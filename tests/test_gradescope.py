"""The Gradescope autograder, tested as Gradescope runs it.

The zip is built, unpacked into a temporary root, and every script in it runs in
a container like Gradescope's: bubblewrap binds that root at ``/autograder``, with
Docker's default capabilities (so no namespaces, no mounts: the sandbox must fall
back to its ``uid`` mode by itself), a writable copy of ``/etc`` for ``setup.sh``'s
user, and no network.  ``setup.sh`` installs the wheel offline into a venv that finds
its dependencies through a ``.pth`` file (on Gradescope, pip installs them).  Then
``run_autograder`` grades each upload; each results.json is checked against
Gradescope's schema (``gradescope_results.schema.json``) and against what
``autograder grade`` gives the same file.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import reference
from autograder import flatten, gradescope, isolation, sample, sandbox, slots, spec
from autograder.cli import main as cli_main
from autograder.grade import load_error

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())
#: What each test of our results.json carries, beyond what Gradescope requires.
PROMISED = {"name", "number", "score", "max_score", "status", "output", "output_format",
            "tags", "visibility"}
#: Docker's default capabilities: what root has in Gradescope's container.
DOCKER_CAPS = ("CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP SYS_CHROOT MKNOD "
               "AUDIT_WRITE SETFCAP NET_BIND_SERVICE NET_RAW").split()
CONTAINER = pytest.mark.skipif(os.geteuid() != 0 or sandbox.isolation_mode() != "bwrap",
                               reason="the container is made with bubblewrap, as root")

REF = flatten.reference_source()
WRONG_SIGMOID = "\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(z))\n"  # a known mistake
ATTACK = '''
import glob, sys
print("wheels seen:", glob.glob("/autograder/source/wheels/*.whl"))
for _path in ("/autograder/source/setup.sh", "/autograder/source/assignments/ps1/assignment.toml",
              "/autograder/submission_metadata.json"):
    try:
        open(_path).read()
        print("READ", _path)
    except OSError as exc:
        print("denied:", _path, type(exc).__name__)
sys.path[:0] = glob.glob("/autograder/source/wheels/*.whl")  # the zip's wheel holds reference/
sys.path += glob.glob("/autograder/venv/lib/python*/site-packages")
try:
    import reference
    print("STOLE reference" if hasattr(reference, "sigmoid") else "an empty reference")
except Exception as exc:
    print("no reference:", type(exc).__name__)
    reference = None

def _copy(name):
    return lambda *args, **kwargs: getattr(reference, name)(*args, **kwargs)

for _name in %r:
    globals()[_name] = _copy(_name)
'''

# At most 200 processes even if every limit failed: RLIMIT_NPROC must stop it below 64.
FORKS = """
import os, time
_forked = 0
for _ in range(200):
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        _forked += 1
    except OSError:
        break
print("forked", _forked, "processes")
"""


def uploads(assignment: spec.Assignment) -> dict[str, dict[str, str]]:
    """What each student uploads: file name -> text."""
    stubs = flatten.stub_source(list(assignment.points), assignment.title)
    return {
        "correct": {"ps1.ipynb": sample.to_notebook(REF)},
        "partly_wrong": {"my answers.py": REF + WRONG_SIGMOID},
        "stubs": {"ps1.py": stubs},
        "broken": {"ps1.ipynb": '{"cells": [ {"cell_type": "code", "source": '},
        "loops": {"ps1.py": REF + "\nwhile True:\n    pass\n"},
        "attack": {"ps1.py": ATTACK % (list(assignment.points),)},
        "forks": {"ps1.py": FORKS + REF},
        "several": {"ps1.ipynb": sample.to_notebook(stubs), "final.py": REF + WRONG_SIGMOID},
        "empty": {},
    }


def container(root: Path, etc: Path, command: list[str], env: dict | None = None):
    """Run ``command`` as Gradescope would: ``root`` at /autograder, Docker's capabilities."""
    # /tmp first: this Python may live under /tmp (a checkout there), bound on top of it
    argv = ["bwrap", "--tmpfs", "/", "--tmpfs", "/tmp", "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink("/" + name):
            argv += ["--symlink", os.readlink("/" + name), "/" + name]
    for python in sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}):
        if not python.is_relative_to("/usr"):
            for parent in reversed(python.parents[:-1]):  # bwrap would make them 0700
                argv += ["--perms", "0755", "--dir", str(parent)]
            argv += ["--ro-bind", str(python), str(python)]
    # The host's uid leases, so that no worker here shares a uid with one outside.
    state = slots.state_dir()
    argv += ["--bind", str(root), "/autograder", "--bind", str(etc), "/etc",
             "--bind", str(state), str(state), "--ro-bind", "/sys", "/sys",
             "--proc", "/proc", "--dev", "/dev", "--unshare-net",
             "--unshare-pid", "--die-with-parent", "--cap-drop", "ALL"]
    for cap in DOCKER_CAPS:
        argv += ["--cap-add", f"CAP_{cap}"]
    argv += ["--chdir", "/autograder", "--clearenv", "--setenv", "PATH", "/usr/sbin:/usr/bin:/bin"]
    for key, value in (env or {}).items():
        argv += ["--setenv", key, value]
    return subprocess.run(argv + ["--", *command], capture_output=True, text=True, timeout=300)


def unpack(zip_path: Path, dest: Path) -> None:
    """Unpack as Gradescope does, keeping the scripts' modes."""
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            z.extract(info, dest)
            if info.external_attr >> 16:
                os.chmod(dest / info.filename, (info.external_attr >> 16) & 0o777)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Build the zip, set it up in a container, and grade every upload there and with
    ``autograder grade``."""
    tmp = tmp_path_factory.mktemp("gradescope")
    folder = tmp / "ps1"  # ps1, with short budgets so that the endless loop costs 3 s
    shutil.copytree(spec.load("ps1").folder, folder)
    toml = folder / "assignment.toml"
    toml.write_text(toml.read_text().replace(
        "[grading]\n", "[grading]\ncell_timeout = 3\nload_timeout = 30\n")
        + "\n[gradescope]\nleaderboard = true\n")
    assignment = spec.load(folder)
    zip_path = gradescope.build_zip(assignment, tmp / "out")

    root, etc = tmp / "autograder", tmp / "etc"
    unpack(zip_path, root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission_metadata.json").write_text('{"users": [{"email": "ann@example.edu"}]}')
    shutil.copytree("/etc", etc, symlinks=True)
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    setup = container(root, etc, ["bash", "/autograder/source/setup.sh"],
                      {"AUTOGRADER_OFFLINE": "1",
                       "AUTOGRADER_PYTHON": str(Path(sys.base_prefix) / "bin" / version)})
    assert setup.returncode == 0, setup.stderr
    site = root / "venv" / "lib" / version / "site-packages"
    (site / "deps.pth").write_text(str(Path(np.__file__).parent.parent) + "\n")  # pip's job

    runs = {}
    for student, files in uploads(assignment).items():
        for sub in ("submission", "results"):
            shutil.rmtree(root / sub, ignore_errors=True)
        (root / "submission").mkdir()
        for name, text in files.items():
            (root / "submission" / name).write_text(text)
        done = container(root, etc, ["/autograder/run_autograder"])
        assert done.returncode == 0, done.stderr
        results = json.loads((root / "results" / "results.json").read_text())
        runs[student] = {"results": results, "stdout": done.stdout, "files": files}

    flat = tmp / "flat"  # the single-file uploads, graded by `autograder grade`
    flat.mkdir()
    for student, run in runs.items():
        if len(run["files"]) == 1:
            (name, text), = run["files"].items()
            (flat / f"{student}{Path(name).suffix}").write_text(text)
    assert cli_main(["grade", str(folder), str(flat), "--out", str(tmp / "grades"),
                     "--jobs", "2"]) == 0
    return {"runs": runs, "grades": tmp / "grades", "zip": zip_path, "site": site,
            "root": root, "setup": setup}


@CONTAINER
def test_every_results_json_follows_gradescopes_schema(graded):
    for student, run in graded["runs"].items():
        data = run["results"]
        jsonschema.validate(data, SCHEMA)
        for test in data["tests"]:
            assert set(test) == PROMISED, student
        assert data["output_format"] == "md" and data["stdout_visibility"] == "hidden"
        assert data["leaderboard"][0] == {"name": "points", "value": data["score"],
                                          "order": "desc"}
        assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"], abs=1e-3)


@CONTAINER
def test_scores_equal_autograder_grades(graded):
    """Each single-file upload gets, test by test, what `autograder grade` gives it."""
    compared = 0
    for student, run in graded["runs"].items():
        mine = graded["grades"] / "results" / f"{student}.json"
        if not mine.exists():
            continue
        theirs = json.loads(mine.read_text())
        assert run["results"]["score"] == pytest.approx(theirs["score"], abs=1e-9), student
        assert ([(t["name"], t["score"]) for t in run["results"]["tests"]]
                == [(t["name"], t["score"]) for t in theirs["tests"]]), student
        compared += 1
    assert compared == 7


@CONTAINER
def test_what_each_upload_scores(graded):
    runs = {k: v["results"] for k, v in graded["runs"].items()}
    assert runs["correct"]["score"] == 20
    assert runs["loops"]["score"] == 20  # the endless cell keeps only its definitions
    assert 0 < runs["partly_wrong"]["score"] < 20
    assert runs["stubs"]["score"] == 0 and runs["stubs"]["tests"]  # graded, every test failed
    assert runs["broken"]["score"] == 0 and "load-error" in runs["broken"]["output"]
    assert "not a valid Jupyter notebook" in runs["broken"]["output"]
    # Misconception feedback in the test's own output; tags name the lecture topic.
    sigmoid = [t for t in runs["partly_wrong"]["tests"] if t["name"].startswith("sigmoid:")]
    assert any("likely mistake: the sign of z is flipped" in t["output"] for t in sigmoid)
    assert {tuple(t["tags"]) for t in sigmoid} == {("activation",)}
    assert {t["visibility"] for t in sigmoid} == {"visible", "after_published"}


@CONTAINER
def test_the_worker_uid_has_its_process_limit(graded):
    """In mode uid, RLIMIT_NPROC (64 per uid) bounds a fork loop; grading goes on."""
    forks = graded["runs"]["forks"]
    forked = int(forks["stdout"].split("forked ")[1].split()[0])
    assert 0 < forked < 64 and forks["results"]["score"] == 20


@CONTAINER
def test_several_files_grade_the_most_complete_and_say_so(graded):
    several = graded["runs"]["several"]["results"]
    assert several["score"] == graded["runs"]["partly_wrong"]["results"]["score"]
    assert "graded final.py, which implements the most graded functions (13 of 13)" \
        in several["output"]


@CONTAINER
def test_an_empty_upload_scores_zero_with_a_message(graded):
    empty = graded["runs"]["empty"]["results"]
    assert empty["score"] == 0 and empty["tests"] == []
    assert "no .py or .ipynb file (it is empty)" in empty["output"]


@CONTAINER
def test_the_worker_cannot_read_the_autograder(graded):
    """In the container bubblewrap fails, so the worker runs in mode uid: it may not read
    /autograder/source or the installed reference, and gains nothing from trying."""
    attack = graded["runs"]["attack"]
    assert attack["results"]["score"] == 0
    stdout = attack["stdout"]  # the TA's eyes only
    assert "isolation mode: uid" in stdout and "Creating new namespace failed" in stdout
    assert "grader files private from the worker: yes" in stdout
    assert "warning: cannot mount a tmpfs for scratch dirs" in stdout  # no CAP_SYS_ADMIN
    assert "wheels seen: []" in stdout
    for secret in ("source/setup.sh", "source/assignments/ps1/assignment.toml",
                   "submission_metadata.json"):
        assert f"denied: /autograder/{secret} PermissionError" in stdout
    assert "STOLE" not in stdout and "READ" not in stdout
    # What student code printed reaches no student.
    assert "denied" not in json.dumps(attack["results"])
    assert attack["results"]["extra_data"] == {"isolation": "uid"}


@CONTAINER
def test_the_zip_has_gradescopes_layout(graded):
    with zipfile.ZipFile(graded["zip"]) as z:
        names = z.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
        wheel = next(n for n in names if n.startswith("wheels/") and n.endswith(".whl"))
    assert {"setup.sh", "run_autograder", "assignments/ps1/assignment.toml"} <= set(names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    site = graded["site"]
    for installed in ("autograder/pytest.ini", "autograder/problems/loss.py",
                      "autograder/worker/serve.py", "reference/loss.py"):
        assert (site / installed).is_file(), installed
    assert wheel
    assert "autograder-worker:x:62000:62000" in (graded["root"].parent / "etc"
                                                 / "passwd").read_text()


# ---------------------------------------------------------------- without a container

def test_choose_picks_the_file_that_implements_the_most(tmp_path):
    assignment = spec.load("ps1")
    stubs = flatten.stub_source(list(assignment.points), assignment.title)
    (tmp_path / "ps1.py").write_text(stubs)  # defines all 13, implements none
    (tmp_path / "draft.ipynb").write_text(sample.to_notebook(
        "%matplotlib inline\n" + flatten.function_source(reference.relu, "relu")))
    (tmp_path / "notes.txt").write_text("hello")
    path, note = gradescope.choose(tmp_path, assignment)
    assert path.name == "draft.ipynb"
    assert note.startswith("Your submission has 2 files (draft.ipynb, ps1.py); graded "
                           "draft.ipynb, which implements the most graded functions (1 of 13)")
    (tmp_path / "draft.ipynb").unlink()
    assert gradescope.choose(tmp_path, assignment) == (tmp_path / "ps1.py", "")
    (tmp_path / "ps1.py").unlink()
    path, note = gradescope.choose(tmp_path, assignment)
    assert path is None and "has no .py or .ipynb file (it has notes.txt)" in note


def test_a_leaderboard_only_when_the_toml_asks(tmp_path):
    assignment = spec.load("ps1")  # the module's container run has one (its toml asks)
    assert gradescope.leaderboard(assignment, load_error("s", "s.py", assignment, "")) is None
    folder = tmp_path / "ps1"
    shutil.copytree(assignment.folder, folder)
    with open(folder / "assignment.toml", "a") as fh:
        fh.write("\n[gradescope]\nleaderboard = \"yes\"\n")
    with pytest.raises(gradescope.GradescopeError, match="leaderboard = true or false"):
        gradescope.build_zip(spec.load(folder), tmp_path)
    assert not list(tmp_path.glob("*.zip"))


def test_a_grader_defect_still_writes_results_json(tmp_path, capsys):
    data = gradescope.run(tmp_path, str(tmp_path / "no-such-assignment"))
    assert json.loads((tmp_path / "results" / "results.json").read_text()) == data
    assert data["score"] == 0 and "internal error" in data["output"]
    jsonschema.validate(data, SCHEMA)
    assert "grader error" in capsys.readouterr().out  # the details: stdout, for TAs


@pytest.fixture
def fresh_mode():
    """isolation_mode() computed anew, and forgotten afterwards."""
    isolation.isolation_mode.cache_clear()
    isolation.warn_once.cache_clear()
    yield
    isolation.isolation_mode.cache_clear()
    isolation.warn_once.cache_clear()


@pytest.mark.parametrize("euid, cannot, mode", [(0, "", "uid"), (0, "denied", "rlimits"),
                                                (1000, "", "rlimits")])
def test_without_working_bubblewrap_root_grades_in_uid_mode(monkeypatch, fresh_mode,
                                                            euid, cannot, mode):
    """As root, unless an unprivileged uid cannot run Python here (then every submission
    would crash)."""
    monkeypatch.setattr(isolation, "bwrap_argv", lambda *args: ["/bin/false"])
    monkeypatch.setattr(isolation.os, "geteuid", lambda: euid)
    monkeypatch.setattr(isolation, "uid_cannot_run", lambda: cannot)
    with pytest.warns(isolation.SandboxWarning, match="does not work here"):
        assert isolation.isolation_mode() == mode


@pytest.mark.skipif(os.geteuid() != 0, reason="drops to another uid")
def test_the_uid_probe_tells_when_python_is_out_of_reach(monkeypatch, tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    os.symlink(sys.executable, private / "python")
    monkeypatch.setattr(isolation.sys, "executable", str(private / "python"))
    assert "Permission denied" in isolation.uid_cannot_run()


def test_uid_mode_can_be_forced(monkeypatch, fresh_mode):
    monkeypatch.setenv("AUTOGRADER_ISOLATION", "uid")
    monkeypatch.setattr(isolation, "uid_cannot_run", lambda: "")
    with pytest.warns(isolation.SandboxWarning, match="AUTOGRADER_ISOLATION=uid"):
        assert isolation.isolation_mode() == ("uid" if os.geteuid() == 0 else "rlimits")


def test_gradescope_command_errors_are_one_line(tmp_path, capsys):
    assert cli_main(["gradescope", "nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autograder: error: unknown assignment 'nope'") and err.count("\n") == 1


def test_the_schema_refuses_what_gradescope_would():
    ok = {"score": 1.0, "tests": [{"name": "a", "score": 1.0, "max_score": 1.0}]}
    jsonschema.validate(ok, SCHEMA)
    for bad in ({"tests": [{"name": "no score anywhere"}]},
                {**ok, "output_format": "markdown"},
                {**ok, "tests": [{"name": "a", "score": 1, "status": "ok"}]},
                {**ok, "tests": [{"name": "a", "score": 1, "visiblity": "hidden"}]},
                {**ok, "leaderboard": [{"value": 3}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, SCHEMA)
