"""Find the class's submissions: a flat folder, or nbgrader's layout.

Flat: every file in the folder is one student's submission, named after its
stem (``alice.py``, ``bob.ipynb``).  nbgrader: ``submitted/<student>/<assignment>/``
holds the student's notebook.  Every file found yields a row, even one that
cannot be graded (it gets status "load-error"), so no submission is lost.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

GRADABLE = (".py", ".ipynb")


class SubmissionsError(ValueError):
    """The submissions path does not exist or holds nothing to grade."""


@dataclasses.dataclass(frozen=True)
class Submission:
    """One student's file, or the lack of one.

    Attributes
    ----------
    student : str
    path : Path
        The file to grade (for a missing file, the folder where it was expected).
    problem : str
        Why it cannot be graded ("" when it can).
    """

    student: str
    path: Path
    problem: str = ""


def _pick(folder: Path, assignment: str) -> Path | None:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in GRADABLE
                   and not p.name.startswith("."))
    preferred = [p for p in files if p.stem == assignment]
    return (preferred or [p for p in files if p.suffix == ".ipynb"] or files or [None])[0]


def discover(path, assignment: str) -> list[Submission]:
    """List the submissions under ``path`` for ``assignment``, sorted by student.

    Raises
    ------
    SubmissionsError
        If ``path`` does not exist or contains no submission.
    """
    root = Path(path)
    if not root.exists():
        raise SubmissionsError(f"no such file or folder: {root}")
    if root.is_file():
        return [Submission(root.stem, root, "" if root.suffix in GRADABLE else
                           f"{root.name} is not a .py or .ipynb file")]
    if (root / "submitted").is_dir():
        root = root / "submitted"
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if students and any((s / assignment).is_dir() for s in students):
        found = []
        for s in students:
            folder = s / assignment
            chosen = _pick(folder, assignment) if folder.is_dir() else None
            found.append(Submission(s.name, chosen or folder, "" if chosen else
                                    f"no .py or .ipynb file in {folder}"))
        return found
    files = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise SubmissionsError(f"no submissions in {root}: expected .py/.ipynb files, or "
                               f"nbgrader's submitted/<student>/{assignment}/ folders")
    stems = [p.stem for p in files]
    return [Submission(p.stem if stems.count(p.stem) == 1 else p.name, p,
                       "" if p.suffix in GRADABLE else f"{p.name} is not a .py or .ipynb file")
            for p in files]
