"""``autograder release``: what students receive for one assignment.

``release/<ps>/`` holds:

* ``<ps>.ipynb``: the student notebook, made by ``nbgrader generate_assignment``
  from the source notebook (solutions and hidden tests removed);
* ``<ps>.py``: the same exercises as a plain module of stubs;
* ``autograder/``: the grading engine without batteries, mistakes or solutions,
  so ``python -m autograder check <ps> <ps>.py`` and the notebook's check cells
  work without ``reference/``;
* ``assignments/<ps>/``: the spec, and the public cases with their expected
  values precomputed (``public_cases.bin``);
* ``README.md``: how to check your work.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import build, flatten, kit, spec

ROOT = build.ROOT
ENGINE = Path(__file__).resolve().parent
# Engine parts that hold or need solutions, hidden cases or known mistakes, or serve TAs only.
NOT_IN_KIT = {"problems", "mistakes", "audit.py", "flatten.py", "sample.py", "demo.py",
              "build.py", "release.py", "nbgrader_grading.py", "gradescope.py",
              "__pycache__"}


class ReleaseError(RuntimeError):
    """nbgrader could not generate the student version."""


def setup_code(assignment: spec.Assignment) -> str:
    """The code every submission starts from: helpers and the narrative's setup cells."""
    items = build.parse_narrative((assignment.folder / "notebook.md").read_text(encoding="utf-8"))
    setup = [text for kind, text in items if kind == "setup"]
    helpers = build.setup_source().replace("from autograder.notebook import check, grade\n", "")
    return helpers + "\n\n" + "\n\n".join(setup)


def stub_module(assignment: spec.Assignment) -> str:
    """``<ps>.py``: the setup code, then every exercise as a stub."""
    stubs = flatten.stub_source(list(assignment.points), assignment.title)
    head, _, rest = stubs.partition("import numpy as np\n")
    return (head + "import numpy as np\n\n" + setup_code(assignment) + "\n\n" + rest)


def run_nbgrader(args: list[str], course_root: Path, timeout: float = 1800):
    """Run an nbgrader command headless, with this repository's nbgrader_config.py."""
    bindir = os.path.dirname(sys.executable)  # nbgrader calls `alembic` from PATH
    env = {**os.environ, "NBGRADER_COURSE_ROOT": str(course_root),
           "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def generate_assignment(name: str, course_root: Path) -> None:
    """Run ``nbgrader generate_assignment`` headless for ``name`` in ``course_root``."""
    proc = run_nbgrader(["generate_assignment", name, "--force"], course_root)
    if proc.returncode != 0:
        raise ReleaseError(f"nbgrader generate_assignment {name} failed:\n"
                           f"{(proc.stdout + proc.stderr)[-2000:]}")


def copy_engine(target: Path) -> None:
    """Copy the grading engine, without what must stay with the TAs."""
    shutil.copytree(ENGINE, target, dirs_exist_ok=True,
                    ignore=lambda folder, names: [n for n in names if n in NOT_IN_KIT])


def release(name: str, course_root: Path = ROOT) -> Path:
    """Build, generate and assemble ``course_root/release/<name>/``; return it."""
    assignment = spec.load(name)
    build.build(name, course_root / "source")
    generate_assignment(assignment.name, course_root)
    out = course_root / "release" / assignment.name
    (out / f"{assignment.name}.py").write_text(stub_module(assignment), encoding="utf-8")
    copy_engine(out / "autograder")
    specs = out / "assignments" / assignment.name
    specs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(assignment.folder / "assignment.toml", specs / "assignment.toml")
    kit.write_public(assignment, specs)
    (out / "README.md").write_text(README.format(ps=assignment.name, title=assignment.title),
                                   encoding="utf-8")
    return out


README = """# {ps}: {title}

Work in `{ps}.ipynb` (Jupyter) or in `{ps}.py` (any editor): implement every
function where it says `raise NotImplementedError`.

Check your work at any time; the public tests tell you what is wrong and why:

    python -m autograder check {ps} {ps}.py        # or {ps}.ipynb

In the notebook, the cell after each exercise runs the same public tests.
Hidden tests run when your work is graded. You need Python 3.10+ with numpy,
pytest, matplotlib and scikit-learn.
"""
