"""The grading journal, ``OUT/ta/results.jsonl``: resumable, incremental grading.

``autograder grade`` appends each submission to the journal as soon as it is
graded: one JSON line, flushed and fsynced, so a crash, a SIGKILL or Ctrl-C loses
at most the submissions being graded at that moment.  A line is the result's
``to_dict()`` with two more keys:

* ``sha256``: the SHA-256 of the submitted file (None: not read, never reused);
* ``battery``: :func:`battery_version`, all but the file that decides its grade
  (None: not known, never reused).

A rerun of the same command reuses a student's latest line when its student id,
file name, ``sha256`` and ``battery`` all match the submission now, and grades
the rest: what is missing (the run was killed, a late submission arrived) or
changed (a new file, a changed assignment, battery, reference, limits or seed),
and the rows with status "crashed" (a grader failure says nothing of the file).
``--force`` grades everything again.  Submissions that cannot be graded at all
(a symlink, a ``.txt``) cost nothing and get their row again on every run.

The reports are rendered from the journal's records, reused and fresh alike
(:meth:`~autograder.results.SubmissionResult.from_dict`), so a resumed run's
reports equal an uninterrupted run's, in the same order; only ``seconds`` (shown
as Gradescope's ``execution_time``) is whatever that submission's grading took.

When the reports are written, :func:`write` rewrites the journal atomically: one
line per report row, in report order, then the latest line of each student no
longer in the submissions folder.  Such a student is dropped from the reports
(gradebook, summary) but keeps their line here, for the TA's record.

A torn last line (the grader killed mid-write) is ignored on reading and cut off
before the next append.  Any other unreadable line is skipped and counted; its
submission is graded again.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import importlib.util
import json
import os
from pathlib import Path

from . import __version__
from .results import SubmissionResult
from .submissions import Submission, Unreadable, read_bytes

_HERE = Path(__file__).resolve().parent
#: The engine's files that decide a grade, besides the reference: the batteries,
#: the known mistakes, the checks and the session that runs them.
BATTERY_SOURCES = ("problems", "mistakes", "cases.py", "checks.py", "diagnosis.py", "standins.py",
                   "student.py", "plugin.py", "battery.py")


def battery_version(assignment, limits=None) -> str:
    """A version of everything but the file that decides a submission's grade.

    The SHA-256 (first 16 hex digits) of: the package version; the assignment's
    parsed spec (title, points, ``[grading]`` table; comments do not count); the
    sources of :data:`BATTERY_SOURCES` and of the ``reference`` package; the
    sandbox ``limits`` (when given); and ``AUTOGRADER_SEED``.  A change in any of
    them makes a rerun grade every submission again, and a Dask worker whose
    engine gives another version refuses to grade (:mod:`cluster`).

    Parameters
    ----------
    assignment : Assignment
    limits : Limits, optional
        The sandbox limits the class is graded with (a frozen dataclass).

    Returns
    -------
    str
    """
    spec = {k: v for k, v in dataclasses.asdict(assignment).items() if k != "folder"}
    digest = hashlib.sha256()
    for label, data in [("version", __version__.encode()),
                        ("assignment", json.dumps(spec, sort_keys=True, default=str).encode()),
                        *_sources(), ("limits", repr(limits).encode() if limits else b""),
                        ("seed", os.environ.get("AUTOGRADER_SEED", "0").encode())]:
        digest.update(f"{label}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()[:16]


def _sources() -> list[tuple[str, bytes]]:
    """``(name, content)`` of each source file that :func:`battery_version` covers."""
    roots = [(f"autograder/{name}", _HERE / name) for name in BATTERY_SOURCES]
    ref = importlib.util.find_spec("reference")
    if ref and ref.submodule_search_locations:
        roots.append(("reference", Path(next(iter(ref.submodule_search_locations)))))
    files = []
    for label, root in roots:
        paths = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        files += [(f"{label}/{p.relative_to(root)}" if root.is_dir() else label, p.read_bytes())
                  for p in paths]
    return files


def sha256_of(path) -> str | None:
    """The SHA-256 of the submission ``path`` (read as :func:`read_bytes` reads it),
    or None when it cannot be read."""
    try:
        return hashlib.sha256(read_bytes(path)).hexdigest()
    except Unreadable:
        return None


def read(path) -> tuple[list[dict], int]:
    """The journal's records, in file order, and how many lines were skipped.

    A line counts once its newline is written: a torn last line is ignored (not
    counted).  A line that is not a JSON object with a ``student`` is skipped.
    """
    try:
        return _parse(Path(path).read_bytes())
    except FileNotFoundError:
        return [], 0


def _parse(data: bytes) -> tuple[list[dict], int]:
    """:func:`read` of the journal's bytes ``data``."""
    records, skipped = [], 0
    for line in data.split(b"\n")[:-1]:  # the last piece is b"" or a torn line
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict) and isinstance(record.get("student"), str):
            records.append(record)
        else:
            skipped += bool(line.strip())
    return records, skipped


def latest(records: list[dict]) -> dict[str, dict]:
    """Each student's last record."""
    return {r["student"]: r for r in records}


def record(result: SubmissionResult, sha256: str | None, battery: str | None) -> dict:
    """The journal's line for ``result``, as JSON gives it back."""
    return json.loads(json.dumps({**result.to_dict(), "sha256": sha256, "battery": battery}))


def write(path, results: list[SubmissionResult]) -> None:
    """Rewrite the journal ``path`` atomically: a line per result, then removed students'.

    Each result keeps the ``sha256`` and ``battery`` of the student's latest line
    when that line holds the very same result (its file possibly moved: the path is
    the result's); a result from elsewhere (a direct call of
    :func:`autograder.report.write_all`) gets a line with neither.
    Students of the journal missing from ``results`` keep their latest line, after.
    """
    path = Path(path)
    old = latest(read(path)[0])
    lines = []
    for r in results:
        line, fresh = old.pop(r.student, None), record(r, None, None)
        if line is not None and {**line, "path": r.path, "sha256": None, "battery": None} == fresh:
            fresh.update(sha256=line.get("sha256"), battery=line.get("battery"))
        lines.append(fresh)
    text = "".join(json.dumps(line) + "\n" for line in [*lines, *old.values()])
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Busy(RuntimeError):
    """Another ``autograder grade`` holds the journal."""


#: The journals this process holds open (by real path).
_HELD: set[str] = set()


class Journal:
    """The journal of one ``autograder grade`` run: what is done, and one append per result.

    While open, it holds an exclusive POSIX record lock (``lockf``) on ``ta/.lock``,
    so that two runs never write one ``--out``.  The lock is this process's own:
    unlike an ``flock``, the grading processes it forks do not inherit it, so it goes
    with this process however it ends, even while they finish their last submission.

    Parameters
    ----------
    path : path-like
        ``OUT/ta/results.jsonl``; its folder is made if missing.
    battery : str
        :func:`battery_version` of this run.

    Attributes
    ----------
    skipped : int
        Unreadable lines found (a torn last line not counted).
    """

    def __init__(self, path, battery: str):
        self.path, self.battery = Path(path), battery
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(self.path)
        if key in _HELD:  # a record lock does not exclude its own process
            raise Busy(f"another autograder grade is writing {self.path}")
        self._lock = os.open(self.path.parent / ".lock",
                             os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.lockf(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._lock)
            raise Busy(f"another autograder grade is writing {self.path}") from None
        self._key = key
        _HELD.add(key)
        self._fh = open(self.path, "a+b")  # open for the whole run
        self._fh.seek(0)
        data = self._fh.read()
        records, self.skipped = _parse(data)
        self.records = latest(records)
        self._sha: dict[str, str | None] = {}
        if not data.endswith(b"\n"):  # a torn last line: cut off, so appends start a line
            self._fh.truncate(data.rfind(b"\n") + 1)
        _fsync_dir(self.path.parent)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the file and release the lock."""
        self._fh.close()
        os.close(self._lock)
        _HELD.discard(self._key)

    def plan(self, submissions: list[Submission], force: bool = False) -> list[Submission]:
        """The submissions to grade, in order: all with ``force``, else those without a
        reusable record.  Hashes each file (once; :meth:`append` records the hash)."""
        self._sha = {s.student: sha256_of(s.path) for s in submissions}
        todo = []
        for s in submissions:
            if not force and self._reusable(s):
                self.records[s.student]["path"] = str(s.path)  # the same file, maybe moved
            else:
                todo.append(s)
        return todo

    def _reusable(self, s: Submission) -> bool:
        """Whether ``s`` has a line to reuse: same file name, bytes and battery, not crashed."""
        line, sha = self.records.get(s.student), self._sha[s.student]
        if (line is None or sha is None or line.get("sha256") != sha
                or line.get("battery") != self.battery or line.get("status") == "crashed"
                or Path(str(line.get("path", ""))).name != s.path.name):
            return False
        try:
            SubmissionResult.from_dict(line)
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
        return True

    def append(self, result: SubmissionResult) -> None:
        """Add ``result`` (of a submission :meth:`plan` saw) as a line, flushed and fsynced."""
        line = record(result, self._sha.get(result.student), self.battery)
        self._fh.write(json.dumps(line).encode() + b"\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.records[result.student] = line

    def result(self, student: str) -> SubmissionResult:
        """``student``'s result, rendered from their latest record."""
        return SubmissionResult.from_dict(self.records[student])
