"""Find the class's submissions, a flat folder or nbgrader's layout, and read them safely.

Flat: every file in the folder is one student's submission, named after its
stem (``alice.py``, ``bob.ipynb``).  nbgrader: ``submitted/<student>/<assignment>/``
holds the student's notebook.  Every file found yields a row, even one that
cannot be graded (it gets status "load-error"), so no submission is lost.

The grader runs as root, so a submission is read as untrusted input: never
through a symlink (a link could point at the course's solutions, a classmate's
file or a root-only file), only as a regular file inside the submissions folder,
and at most :data:`MAX_BYTES` of it.  :func:`read_bytes` is the one reader, and
:func:`copy_submission` (what the sandbox uses) and :func:`read_notebook` (the
trusted side's only notebook parser, for ``check``) go through it.
"""
from __future__ import annotations

import collections
import dataclasses
import errno
import json
import os
import stat
from pathlib import Path

GRADABLE = (".py", ".ipynb")
#: The largest submission read, in bytes.
MAX_BYTES = 20 * 2**20
SYMLINK = "symlinks are not accepted"


class SubmissionsError(ValueError):
    """The submissions path does not exist or holds nothing to grade."""


class Unreadable(ValueError):
    """One submission that cannot be graded: a symlink, not a regular file, too
    large, or not a notebook.  The message is one line, fit for the student."""


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


# ---------------------------------------------------------------- reading one file

def read_bytes(path, limit: int = MAX_BYTES) -> bytes:
    """The content of the regular file ``path``, opened without following a symlink.

    Raises
    ------
    Unreadable
        ``path`` is a symlink, not a regular file, unreadable, or larger than ``limit``.
    """
    name = Path(path).name
    try:  # O_NONBLOCK: a FIFO must not hang the open
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        problem = SYMLINK if exc.errno == errno.ELOOP else f"cannot read {name} ({exc.strerror})"
    else:
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                problem = f"{name} is not a regular file"
            else:
                data = fh.read(limit + 1)
                problem = "" if len(data) <= limit else _too_large(name, limit)
    if problem:
        raise Unreadable(problem)
    return data


def _too_large(name: str, limit: int) -> str:
    return f"{name} is larger than the limit of {limit / 2**20:g} MB"


def copy_submission(src, dest) -> None:
    """Copy the submission ``src`` (read by :func:`read_bytes`) to the new file ``dest``.

    ``dest`` must not exist yet; a symlink planted there is not followed.
    """
    data = read_bytes(src)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def read_notebook(path) -> dict:
    """Parse the notebook ``path``, bounded: size cap first, then JSON, then structure.

    Returns
    -------
    dict
        A notebook whose cells are dicts with a string ``cell_type``, a
        ``metadata`` dict (if any) and a string or list-of-strings ``source``.

    Raises
    ------
    Unreadable
        For anything else: too large, bad UTF-8, not JSON, nested too deeply,
        or JSON that is not a notebook.
    """
    data = read_bytes(path)
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        problem = f"it is not UTF-8 text (byte {exc.start})"
    except ValueError as exc:
        problem = f"it is not JSON: {str(exc)[:100]}"
    except RecursionError:
        problem = "it is nested too deeply"
    except MemoryError:
        problem = "it is too large to read"
    else:
        problem = _notebook_problem(nb)
    if problem:  # raised here, outside the handlers: no parsed payload stays referenced
        raise Unreadable(f"{Path(path).name} is not a valid Jupyter notebook ({problem})")
    return nb


def check_readable(path) -> None:
    """Refuse what ``check`` can tell is not gradable, before a worker starts.

    ``grade`` does not parse notebooks on the trusted side: the sandboxed worker
    does, and turns a malformed one into a load error.

    Raises
    ------
    Unreadable
        See :func:`read_bytes`, and :func:`read_notebook` for a ``.ipynb``.
    """
    (read_notebook if Path(path).suffix == ".ipynb" else read_bytes)(path)


def _notebook_problem(nb) -> str:
    """Why ``nb`` (parsed JSON) is not a notebook the worker can load, or ""."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return "no list of cells"
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type", ""), str):
            return f"cell {i} is not a cell"
        meta = cell.get("metadata", {})
        if not (isinstance(meta, dict) and isinstance(meta.get("nbgrader", {}), dict)
                and isinstance(meta.get("tags", []), list)):
            return f"cell {i} has malformed metadata"
        src = cell.get("source", "")
        if not (isinstance(src, str) or isinstance(src, list)
                and all(isinstance(s, str) for s in src)):
            return f"cell {i} has a source that is not text"
    return ""


# ---------------------------------------------------------------- finding the class

def refusal(path: Path, root: Path) -> str:
    """Why ``path`` (an entry under the submissions folder ``root``) is not graded, or "".

    Symlinks, and anything whose real path lies outside ``root``, are refused;
    so are non-regular files, files over :data:`MAX_BYTES` and other suffixes.
    """
    if path.is_symlink() or not path.resolve().is_relative_to(root.resolve()):
        return SYMLINK
    st = path.lstat()
    if not stat.S_ISREG(st.st_mode):
        return f"{path.name} is not a regular file"
    if st.st_size > MAX_BYTES:
        return _too_large(path.name, MAX_BYTES)
    return "" if path.suffix in GRADABLE else f"{path.name} is not a .py or .ipynb file"


def _pick(folder: Path, assignment: str) -> Path | None:
    files = sorted(p for p in folder.iterdir() if (p.is_file() or p.is_symlink())
                   and p.suffix in GRADABLE and not p.name.startswith("."))
    preferred = [p for p in files if p.stem == assignment]
    return (preferred or [p for p in files if p.suffix == ".ipynb"] or files or [None])[0]


def _nbgrader(students: list[Path], root: Path, assignment: str) -> list[Submission]:
    found = []
    for s in students:
        folder = s / assignment
        if s.is_symlink() or folder.is_symlink():  # a folder that is a link: refused unread
            found.append(Submission(s.name, folder, SYMLINK))
            continue
        try:
            chosen = _pick(folder, assignment) if folder.is_dir() else None
        except OSError as exc:
            found.append(Submission(s.name, folder, f"cannot read {folder} ({exc.strerror})"))
            continue
        found.append(Submission(s.name, chosen or folder, refusal(chosen, root) if chosen
                                else f"no .py or .ipynb file in {folder}"))
    return found


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
    if not root.is_dir():  # one file, named by the TA: its link, if any, is the TA's own
        root = root.resolve()
        return [Submission(root.stem, root, refusal(root, root.parent))]
    if (root / "submitted").is_dir():
        root = root / "submitted"
    try:
        return _list(root, assignment)
    except OSError as exc:  # e.g. a folder the grader may not read
        raise SubmissionsError(f"cannot read {exc.filename or root}: {exc.strerror}") from None


def _list(root: Path, assignment: str) -> list[Submission]:
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if students and any((s / assignment).is_dir() for s in students):
        return _nbgrader(students, root, assignment)
    files = sorted(p for p in root.iterdir() if (p.is_symlink() or not p.is_dir())
                   and not p.name.startswith("."))
    if not files:
        raise SubmissionsError(f"no submissions in {root}: expected .py/.ipynb files, or "
                               f"nbgrader's submitted/<student>/{assignment}/ folders")
    stems = collections.Counter(p.stem for p in files)  # linear: 100,000 files are seconds
    return [Submission(p.stem if stems[p.stem] == 1 else p.name, p, refusal(p, root))
            for p in files]
