"""A Gradescope autograder for an assignment: the zip, and what runs inside it.

``autograder gradescope ps1 --out DIR`` writes ``DIR/ps1-gradescope.zip``, laid out
as Gradescope's autograder specification asks::

    setup.sh                       builds the image once (Ubuntu 22.04, as root)
    run_autograder                 grades one submission
    wheels/optdl_autograder-*.whl  the engine, the batteries and the reference
    assignments/ps1/               the assignment's spec (points, [grading], [gradescope])

Gradescope unpacks it to ``/autograder/source``, puts each submission in
``/autograder/submission/`` and expects ``/autograder/results/results.json``.
``run_autograder`` calls :func:`main`::

    python -m autograder.gradescope run --assignment /autograder/source/assignments/ps1

which picks the file to grade (:func:`choose`), grades it with
:func:`autograder.grade.grade_submission`, exactly as ``autograder grade`` does, and
writes results.json (:func:`autograder.report.gradescope`).  Whatever the upload, a
results.json is written: an empty or unreadable submission scores 0 with a
message, never "autograder failed".  What only TAs may read (the isolation mode,
grader logs, what student code printed during hidden tests) goes to stdout, which
results.json hides from students.

Gradescope's container usually cannot make the namespaces bubblewrap needs; the
worker then runs in ``uid`` mode (see :mod:`autograder.isolation`), as an
unprivileged uid that cannot read ``/autograder/source``, ``/autograder/results``
or the installed engine (``setup.sh`` and ``run_autograder`` make them private).

An assignment may ask for a leaderboard in its ``assignment.toml``::

    [gradescope]
    leaderboard = true     # points (higher first) and grading time (lower first)
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
import warnings
import zipfile
from pathlib import Path

from . import isolation, report, slots, spec, submissions
from .results import SubmissionResult

ROOT = Path("/autograder")
STUDENT = "submission"
#: Parts of the project the wheel is built from.
PROJECT_FILES = ("pyproject.toml", "README.md", "autograder", "reference")

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder's image (Ubuntu 22.04).
#   AUTOGRADER_OFFLINE=1  skip apt and install the wheel without the network and without
#                         its dependencies (they must be importable already: for tests)
#   AUTOGRADER_PYTHON     the Python that makes the venv (default: python3.11)
#   AUTOGRADER_VENV       where the venv goes (default: /autograder/venv)
set -euo pipefail
source_dir=$(cd "$(dirname "$0")" && pwd)
venv=${AUTOGRADER_VENV:-/autograder/venv}
python=${AUTOGRADER_PYTHON:-python3.11}
pip_options=()
if [ -z "${AUTOGRADER_OFFLINE:-}" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # bubblewrap is used where the container lets it make namespaces; else mode "uid"
    apt-get install -y -q --no-install-recommends python3.11 python3.11-venv bubblewrap \
        util-linux passwd
else
    pip_options=(--no-index --no-deps)
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q "${pip_options[@]}" "$source_dir"/wheels/*.whl
# Student code runs as leased uids from 62000 (autograder.isolation.UID_BASE) that own
# nothing; this names the first, so that ps shows who runs what.
getent group autograder-worker >/dev/null || groupadd --gid 62000 autograder-worker
getent passwd autograder-worker >/dev/null ||
    useradd --uid 62000 --gid 62000 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin autograder-worker
# That uid may read what every user may: keep the engine's own files from it, all but
# the worker's code (it runs it), and the zip's contents.
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
chmod -R go-rwx "$site/reference" "$site/autograder" "$source_dir"
chmod go+x "$site/autograder"
chmod -R go+rX "$site/autograder/worker"
echo "autograder installed in $venv"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission, as root; it writes results/results.json.
set -u
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/results"
# out of the sandboxed worker's reach: the zip, the results, and who submitted (and
# their earlier results)
chmod 700 "$here/source" "$here/results"
chmod -f 600 "$here/submission_metadata.json" || true
exec "${AUTOGRADER_VENV:-$here/venv}/bin/python" -m autograder.gradescope run \
    --root "$here" --assignment "$here/source/assignments/{name}"
"""


class GradescopeError(RuntimeError):
    """The zip cannot be built here (one line, for the user)."""


# ---------------------------------------------------------------- building the zip

def build_zip(assignment: spec.Assignment, out: Path) -> Path:
    """Write ``<out>/<name>-gradescope.zip`` for ``assignment``; return its path.

    Raises
    ------
    GradescopeError
        A bad ``[gradescope]`` table, not the full project, or the wheel does not build.
    """
    wants_leaderboard(assignment)  # a bad [gradescope] table fails here, not on Gradescope
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{assignment.name}-gradescope.zip"
    with tempfile.TemporaryDirectory(prefix="autograder-gradescope-") as tmp:
        wheel = build_wheel(Path(tmp))
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            _add_text(z, "setup.sh", SETUP_SH)
            _add_text(z, "run_autograder", RUN_AUTOGRADER.replace("{name}", assignment.name))
            z.write(wheel, f"wheels/{wheel.name}")
            for f in sorted(assignment.folder.rglob("*")):
                if f.is_file() and "__pycache__" not in f.parts:
                    z.write(f, f"assignments/{assignment.name}/"
                               f"{f.relative_to(assignment.folder).as_posix()}")
    return path


def _add_text(z: zipfile.ZipFile, name: str, text: str) -> None:
    """Add an executable script ``name`` to the zip."""
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, text)


def build_wheel(dest: Path) -> Path:
    """Build the project's wheel into ``dest``, offline, from a clean copy of its sources."""
    from .build import ROOT as project
    if not (project / "pyproject.toml").is_file() or not (project / "reference").is_dir():
        raise GradescopeError("building a Gradescope autograder needs the full project "
                              "(pyproject.toml and reference/), not the student kit")
    src = dest / "src"
    for name in PROJECT_FILES:
        item = project / name
        if item.is_dir():
            shutil.copytree(item, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(item, src / name)
    # offline with this environment's setuptools; else pip fetches one (Python 3.12+ venvs)
    offline = ["--no-index", "--no-build-isolation"] if importlib.util.find_spec(
        "setuptools") else []
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", *offline, "-q",
                           "-w", str(dest / "wheel"), str(src)],
                          capture_output=True, text=True, timeout=600)
    wheels = sorted((dest / "wheel").glob("*.whl"))
    if done.returncode != 0 or not wheels:
        last = (done.stderr.strip().splitlines() or ["no wheel was written"])[-1]
        raise GradescopeError(f"could not build the wheel: {last}")
    return wheels[0]


# ---------------------------------------------------------------- choosing the file

def choose(folder: Path, assignment: spec.Assignment) -> tuple[Path | None, str]:
    """The file to grade in the upload ``folder``, and a note for the student.

    One ``.py``/``.ipynb`` file is graded whatever its name.  Of several, the one
    that implements the most graded functions (a function whose body is only
    ``raise NotImplementedError`` or ``pass`` is a stub, not an implementation),
    then defines the most, then is named after the assignment.  None when there is
    no such file; the note then says what was found.
    """
    found = sorted((p for p in folder.rglob("*") if (p.is_file() or p.is_symlink())
                    and not any(part.startswith((".", "__MACOSX")) for part in
                                p.relative_to(folder).parts)),
                   key=lambda p: p.relative_to(folder).as_posix())
    gradable = [p for p in found if p.suffix in submissions.GRADABLE]
    if not gradable:
        names = ", ".join(p.relative_to(folder).as_posix() for p in found[:10])
        return None, ("Your submission has no .py or .ipynb file"
                      + (f" (it has {names})" if names else " (it is empty)")
                      + f": upload {assignment.name}.ipynb or {assignment.name}.py.")
    counts = {p: graded_functions(p, assignment) for p in gradable}
    best = min(gradable, key=lambda p: (-counts[p][0], -counts[p][1],
                                        p.stem != assignment.name, p.suffix != ".ipynb"))
    if len(gradable) == 1:
        return best, ""
    names = ", ".join(p.relative_to(folder).as_posix() for p in gradable)
    return best, (f"Your submission has {len(gradable)} files ({names}); graded "
                  f"{best.relative_to(folder).as_posix()}, which implements the most graded "
                  f"functions ({counts[best][0]} of {len(assignment.points)}).")


def graded_functions(path: Path, assignment: spec.Assignment) -> tuple[int, int]:
    """``(implemented, defined)``: how many of the assignment's functions ``path``
    defines at top level, read without running it; ``(0, 0)`` if it cannot be read."""
    try:
        if path.suffix == ".ipynb":
            cells = [c.get("source", "") for c in submissions.read_notebook(path)["cells"]
                     if c.get("cell_type") == "code"]
            sources = ["".join(c) if isinstance(c, list) else c for c in cells]
        else:
            sources = [submissions.read_bytes(path).decode("utf-8")]
    except (submissions.Unreadable, OSError, UnicodeDecodeError):
        return 0, 0
    defs = {}
    for source in sources:
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                           for line in source.splitlines())  # IPython magics
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in assignment.points:
                defs[node.name] = not _is_stub(node)
    return sum(defs.values()), len(defs)


def _is_stub(fn: ast.FunctionDef) -> bool:
    """True if ``fn``'s body, after its docstring, is only placeholders."""
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return all(_placeholder(node) for node in body)


def _placeholder(node: ast.stmt) -> bool:
    """``pass``, ``...`` (or any constant) or ``raise NotImplementedError[(...)]``."""
    if isinstance(node, ast.Pass) or (isinstance(node, ast.Expr)
                                      and isinstance(node.value, ast.Constant)):
        return True
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


# ---------------------------------------------------------------- grading one upload

def grade_upload(root: Path, assignment: spec.Assignment) -> tuple[SubmissionResult, str]:
    """Grade what ``<root>/submission`` holds: the result, and the chosen file's note."""
    from .grade import grade_submission, load_error
    folder = root / "submission"
    if not folder.is_dir():
        return load_error(STUDENT, folder, assignment, "No submission was received."), ""
    path, note = choose(folder, assignment)
    if path is None:
        return load_error(STUDENT, folder, assignment, note), ""
    problem = submissions.refusal(path, folder)
    result = (load_error(STUDENT, path, assignment, problem) if problem
              else grade_submission(path, assignment, student=STUDENT))
    return result, note


def wants_leaderboard(assignment: spec.Assignment) -> bool:
    """The ``[gradescope]`` table's ``leaderboard`` (default false), checked.

    Raises
    ------
    GradescopeError
        An unknown key, or a leaderboard that is not true or false.
    """
    path = assignment.folder / "assignment.toml"
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("gradescope", {})
    if not isinstance(table, dict) or set(table) - {"leaderboard"} or not isinstance(
            table.get("leaderboard", False), bool):
        raise GradescopeError(f"{path}: [gradescope] takes one key, leaderboard = true or "
                              f"false; got {table!r}")
    return table.get("leaderboard", False)


def leaderboard(assignment: spec.Assignment, result: SubmissionResult) -> list[dict] | None:
    """The leaderboard entries, if the assignment's ``[gradescope]`` table asks for one."""
    if not wants_leaderboard(assignment):
        return None
    return [{"name": "points", "value": result.points, "order": "desc"},
            {"name": "grading time (s)", "value": round(result.seconds, 2), "order": "asc"}]


def isolation_report() -> list[str]:
    """The isolation mode, and each warning about what it lacks here (for TAs)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", isolation.SandboxWarning)
        mode = isolation.isolation_mode()
        if mode in isolation.LEASED:  # warns once for each limit the container forbids
            slots.WorkerSlot(isolation.Limits()).release()
    return [f"isolation mode: {mode}"] + [f"warning: {w.message}" for w in caught]


def ta_report(result: SubmissionResult, root: Path, isolation_lines: list[str]) -> str:
    """What goes to stdout, for TAs only: isolation, privacy of the grader's files, logs."""
    lines = list(isolation_lines)
    if isolation.isolation_mode() == "uid":  # the worker reads what every user may
        readable = [str(p) for p in _engine_paths(root) if p.exists() and _others_can_read(p)]
        lines.append("grader files private from the worker: " + (
            "yes" if not readable else "NO: readable by others: " + ", ".join(readable)))
    lines += [f"file graded: {result.path}", f"status: {result.status}, "
             f"points: {result.points:g}/{result.max_points:g}"]
    lines += [f"message: {result.message}"] if result.message else []
    lines += ["--- grader log (TA only) ---", result.log] if result.log else []
    lines += ["--- what the submission printed ---", result.output] if result.output else []
    return report.clean("\n".join(lines), newlines=True)


def _engine_paths(root: Path) -> list[Path]:
    """What the worker must not read: the zip's contents, the results, the submitter's
    metadata, the engine's code."""
    import reference
    engine = Path(__file__).resolve().parent
    return [root / "source", root / "results", root / "submission_metadata.json",
            Path(reference.__file__).resolve().parent, engine / "problems"]


def _others_can_read(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IROTH)


def run(root: Path, assignment_path: str) -> dict:
    """Grade the upload under ``root`` and write ``<root>/results/results.json``.

    Always writes it: a grader defect gives a score of 0 and a message that says
    so, with the details on stdout (TA only).  Returns what was written.
    """
    start = time.monotonic()
    try:
        isolation_lines = isolation_report()
        assignment = spec.load(assignment_path)
        result, note = grade_upload(root, assignment)
        if note:
            result.message = f"{note} {result.message}".strip()
        data = report.gradescope(result, leaderboard=leaderboard(assignment, result),
                                 extra={"isolation": isolation.isolation_mode()})
        print(ta_report(result, root, isolation_lines))
    except Exception:  # noqa: BLE001  Gradescope must always get a results.json
        print(f"grader error:\n{traceback.format_exc()}")
        data = {"score": 0.0, "execution_time": round(time.monotonic() - start, 3),
                "output": "The autograder hit an internal error; your TA has the details.",
                "output_format": "md", "stdout_visibility": "hidden", "tests": []}
    out = root / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return data


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder.gradescope run --assignment A [--root DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope",
                                     description="grade a Gradescope upload")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="grade <root>/submission into <root>/results/results.json")
    r.add_argument("--assignment", required=True, help="assignment name or folder")
    r.add_argument("--root", default=str(ROOT), help="Gradescope's folder (default: %(default)s)")
    args = parser.parse_args(argv)
    run(Path(args.root), args.assignment)
    return 0


if __name__ == "__main__":
    sys.exit(main())
